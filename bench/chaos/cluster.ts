/**
 * The chaos mesh: members (nodes) spread over host processes, started,
 * SIGKILLed and restarted a host at a time; what each watcher shows for its
 * contacts, and why (diagnostics for every view that is wrong).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { spawnHost } from './hosts.js'
import type { SubscriptionGap } from './gossip-track.js'
import type { ConnRecord, ListedConn } from './conn-track.js'
import type { Host, HostEvent } from './hosts.js'
import type { HostHealth } from './load.js'
import type { FollowStatus } from '../../node/discovery/index.js'
import type { PresenceView } from '../../node/presence/index.js'
import type { PresenceNodeOptions } from '../../node/presence-node.js'

export interface Member {
  i: number
  home: string
  port: number
  peerId: string
  addr: string
  bootstrap: number[]
  contacts: number[]
  /** Index of its host process, and its slot there. */
  host: number
  slot: number
  /** Message ids send() returned, by receiver index. */
  sent: Map<number, string[]>
}

export interface Diagnosis {
  peer: string
  status?: string
  lastRecordAgoMs?: number
  connections: string[]
  gossipPeer: boolean
  /** Its gossipsub score at this node (below -80 everything it sends is ignored). */
  score: number
  subscribed?: boolean
  follow?: FollowStatus
  addresses: number
  outbox: number
  watchesUs: boolean
  inOurMesh: boolean
  /** Presence rejections by reason ('' for none). */
  rejected: string
  peers: number
  routingTable: number
  announcedAgoMs?: number
  /** When the peer's subscription to this node's own topic last arrived. */
  subscribedAgoMs?: number
  closedConnections: string[]
  /** Whether gossipsub holds an outbound stream to the peer (what it publishes over). */
  holdsStream: boolean
  /** Gossipsub's attaches and detaches of the peer in the last minute (bench/chaos/gossip-track.ts). */
  gossipEvents?: string[]
}

export type Want = 'online' | 'offline' | 'any'


/** The kernel's state of the TCP socket with these ends (ss), or 'none'. */
async function kernelState (localPort: number, remotePort: number): Promise<string> {
  const { stdout } = await promisify(execFile)('ss', ['-tanH', `( sport = :${localPort} and dport = :${remotePort} )`]).catch(() => ({ stdout: 'ss failed' }))
  const lines = stdout.trim().split('\n').filter(l => l !== '')
  return lines.length === 0 ? 'none' : lines.map(l => l.split(/\s+/).slice(0, 3).join(' ')).join(' | ')
}

function describeRecord (r: ConnRecord | undefined, now: number): string {
  if (r == null) return 'never had it'
  const closed = r.closeAt == null
    ? 'NOT closed (yet not listed)'
    : `closed ${((now - r.closeAt) / 1000).toFixed(1)} s ago ${r.closedLocally === true ? 'locally' : 'by the far end'}${r.closeError != null ? ` (${r.closeError})` : ''}`
  const calls = r.calls.map(c => `${c.what} ${((now - c.at) / 1000).toFixed(1)} s ago${c.stack !== '' ? ` from ${c.stack}` : ''}`).join('; ')
  return `${r.direction} opened ${((now - r.openAt) / 1000).toFixed(1)} s ago, ${closed}${calls !== '' ? `; calls: ${calls}` : ''}`
}

export interface WrongView { w: Member, c: Member, seen: string }

export class Cluster {
  readonly hosts: Array<Host | undefined>
  /** Events of each host's killed processes. */
  private readonly earlier: HostEvent[][]
  /** When each host was last SIGKILLed. */
  readonly killedAt = new Map<number, number>()

  constructor (
    readonly members: Member[],
    readonly hostMembers: number[][],
    private readonly script: string,
    private readonly options: (m: Member) => PresenceNodeOptions,
    private readonly startTimeoutMs: number
  ) {
    this.hosts = hostMembers.map(() => undefined)
    this.earlier = hostMembers.map(() => [])
  }

  async start (h: number): Promise<void> {
    const host = await spawnHost(this.script, this.hostMembers[h].map(i => this.options(this.members[i])), this.startTimeoutMs)
    this.hostMembers[h].forEach((i, slot) => {
      if (host.nodes[slot].peerId !== this.members[i].peerId) throw new Error(`node ${i} came up as ${host.nodes[slot].peerId}, expected ${this.members[i].peerId}`)
    })
    this.hosts[h] = host
  }

  async kill (h: number): Promise<void> {
    await this.hosts[h]?.kill()
    this.earlier[h].push(...(this.hosts[h]?.events ?? []))
    this.hosts[h] = undefined
    this.killedAt.set(h, Date.now())
  }

  isAlive (m: Member): boolean {
    return this.hosts[m.host] != null
  }

  alive (): Member[] {
    return this.members.filter(m => this.isAlive(m))
  }

  async call<T = any> (m: Member, method: string, ...params: unknown[]): Promise<T> {
    const host = this.hosts[m.host]
    if (host == null) throw new Error(`node ${m.i} is not running`)
    return await host.call<T>(m.slot, method, ...params)
  }

  /** Events of a live member's current process (`all`: of its earlier, killed processes too). */
  events (m: Member, all = false): HostEvent[] {
    const current = this.hosts[m.host]?.events ?? []
    return (all ? [...this.earlier[m.host], ...current] : current).filter(e => e.node === m.slot)
  }

  async health (): Promise<Map<string, HostHealth>> {
    const out = new Map<string, HostHealth>()
    await Promise.all(this.hosts.map(async (host, h) => {
      if (host == null) return
      out.set(String(h), await host.call<HostHealth>(0, 'health'))
    }))
    return out
  }

  /** Every live watcher's view of each of its contacts. */
  async views (): Promise<Map<number, Map<string, PresenceView>>> {
    const out = new Map<number, Map<string, PresenceView>>()
    await Promise.all(this.alive().map(async m => {
      const list = await this.call<PresenceView[]>(m, 'who')
      out.set(m.i, new Map(list.map(v => [v.peerId, v])))
    }))
    return out
  }

  /** The views of live watchers that differ from want(watcher, contact) now. */
  async wrongViews (want: (w: Member, c: Member) => Want): Promise<WrongView[]> {
    const v = await this.views()
    const wrong: WrongView[] = []
    for (const w of this.alive()) {
      for (const ci of w.contacts) {
        const c = this.members[ci]
        const expect = want(w, c)
        if (expect === 'any') continue
        const seen = v.get(w.i)?.get(c.peerId)?.status ?? 'missing'
        const online = seen !== 'offline' && seen !== 'missing'
        if ((expect === 'online') !== online) wrong.push({ w, c, seen })
      }
    }
    return wrong
  }

  /**
   * Polls until every live watcher's view matches want (or the deadline);
   * returns the views still wrong, each explained by what its watcher knew.
   */
  async converge (want: (w: Member, c: Member) => Want, timeoutMs: number): Promise<{ wrong: string[], ms: number }> {
    const t = Date.now()
    while (true) {
      const wrong = await this.wrongViews(want)
      if (wrong.length === 0) return { wrong: [], ms: Date.now() - t }
      if (Date.now() - t > timeoutMs) return { wrong: await this.explain(wrong), ms: Date.now() - t }
      await new Promise(resolve => setTimeout(resolve, 250))
    }
  }

  /**
   * For a view that turned offline at `at` (watcher's clock, shared here):
   * the contact's records of the lifetime before, and how many went to the watcher.
   */
  async missedRecords (w: Member, c: Member, at: number, ttlMs: number): Promise<string> {
    if (!this.isAlive(c)) return 'contact killed'
    const pubs = await this.call<Array<{ at: number, toPeer: boolean, recipients: number, why?: string }>>(c, 'publishedTo', w.peerId, at - ttlMs - 1_000, at).catch(() => undefined)
    if (pubs == null) return 'contact did not answer'
    return `the contact published ${pubs.length} records in the ${ttlMs + 1_000} ms before, ${pubs.filter(p => p.toPeer).length} of them to the watcher` +
      (pubs.length > 0 ? ` (at ${pubs.map(p => `-${at - p.at}${p.why != null ? ` [${p.why}]` : ''}`).join(', ')} ms)` : '')
  }

  /** Every live node's watchers whose subscription a gossip detach lost while connected (bench/chaos/gossip-track.ts). */
  async subscriptionGaps (): Promise<SubscriptionGap[]> {
    const all = await Promise.all(this.alive().map(async m => await this.call<SubscriptionGap[]>(m, 'subscriptionGaps').catch(() => [])))
    return all.flat()
  }

  /**
   * Connections a live node lists (older than minAgeMs) whose far end no live
   * node lists: a half-open link. Each with the far end's record of it (when
   * and how it closed there, who called close or abort) and the kernel's
   * state of the far end's socket.
   */
  async oneSided (minAgeMs = 5_000): Promise<string[]> {
    const lists = new Map<number, ListedConn[]>()
    await Promise.all(this.alive().map(async m => { lists.set(m.i, await this.call<ListedConn[]>(m, 'listedConns').catch(() => [])) }))
    const listed = new Set<string>()
    for (const l of lists.values()) for (const c of l) listed.add(`${String(c.localPort)}>${String(c.remotePort)}`)
    const candidates = [...lists].flatMap(([i, l]) => l.filter(c => c.ageMs >= minAgeMs && c.localPort != null && c.remotePort != null &&
      !listed.has(`${String(c.remotePort)}>${String(c.localPort)}`)).map(c => ({ i, c })))
    const streams = this.oneSidedStreams(lists, minAgeMs)
    if (candidates.length === 0 && streams.length === 0) return []
    // the lists are read one process after another: a close on its way is not a half-open link; look again
    await new Promise(resolve => setTimeout(resolve, 2_000))
    const again = new Set<string>()
    await Promise.all(this.alive().map(async m => {
      for (const c of await this.call<ListedConn[]>(m, 'listedConns').catch(() => [])) again.add(`${m.i}:${String(c.localPort)}>${String(c.remotePort)}`)
    }))
    // (the second look at the streams reads the lists once more below)
    const out: string[] = []
    const lists2 = new Map<number, ListedConn[]>()
    await Promise.all(this.alive().map(async m => { lists2.set(m.i, await this.call<ListedConn[]>(m, 'listedConns').catch(() => [])) }))
    const still = new Set(this.oneSidedStreams(lists2, minAgeMs).map(x => x.key))
    for (const x of streams) if (still.has(x.key)) out.push(x.text)
    for (const [i, l] of lists) {
      for (const c of l) {
        if (!candidates.some(x => x.c === c)) continue
        if (!again.has(`${i}:${String(c.localPort)}>${String(c.remotePort)}`)) continue
        if ([...again].some(k => k.endsWith(`:${String(c.remotePort)}>${String(c.localPort)}`))) continue
        if (c.localPort == null || c.remotePort == null) continue
        const far = this.members.find(m => m.peerId === c.peer)
        const rec = far != null && this.isAlive(far) ? await this.call<ConnRecord | undefined>(far, 'connByPorts', c.remotePort, c.localPort).catch(() => undefined) : undefined
        const mine = await this.call<ConnRecord | undefined>(this.members[i], 'connByPorts', c.localPort, c.remotePort).catch(() => undefined)
        const now = Date.now()
        out.push(`${i}->${far?.i ?? '?'}${far != null && !this.isAlive(far) ? ' (killed)' : ''} ${c.direction} ${c.status} ${(c.ageMs / 1000).toFixed(1)} s, ${c.streams} streams, ports ${c.localPort}>${c.remotePort}` +
          `${mine != null && mine.calls.length > 0 ? ` [here: ${describeRecord(mine, now)}]` : ''}; far end: ${describeRecord(rec, now)}; far socket in the kernel: ${await kernelState(c.remotePort, c.localPort)}`)
      }
    }
    return out
  }

  /** Streams (older than minAgeMs) on a connection both ends list, that only one end lists: a half-open stream. */
  private oneSidedStreams (lists: Map<number, ListedConn[]>, minAgeMs: number): Array<{ key: string, text: string }> {
    const byPorts = new Map<string, { i: number, c: ListedConn }>()
    for (const [i, l] of lists) for (const c of l) if (c.localPort != null) byPorts.set(`${c.localPort}>${String(c.remotePort)}`, { i, c })
    const out: Array<{ key: string, text: string }> = []
    for (const [i, l] of lists) {
      for (const c of l) {
        const far = byPorts.get(`${String(c.remotePort)}>${String(c.localPort)}`)
        if (far == null) continue
        const farIds = new Set(far.c.streamList.map(st => st.id))
        for (const st of c.streamList) {
          if (st.ageMs < minAgeMs || farIds.has(st.id)) continue
          out.push({
            key: `${i}:${String(c.localPort)}>${String(c.remotePort)}:${st.id}`,
            text: `stream ${st.id} ${st.label} ${(st.ageMs / 1000).toFixed(1)} s at ${i}, not at ${far.i} (connection ports ${String(c.localPort)}>${String(c.remotePort)}, ${c.direction} ${(c.ageMs / 1000).toFixed(1)} s here, ${(far.c.ageMs / 1000).toFixed(1)} s there)`
          })
        }
      }
    }
    return out
  }

  /** "3->7 offline: ..." for each wrong view: the watcher's connections, gossip and follow state for that contact. */
  async explain (wrong: WrongView[]): Promise<string[]> {
    return await Promise.all(wrong.map(async ({ w, c, seen }) => {
      const [d] = await this.call<Diagnosis[]>(w, 'diag', [c.peerId]).catch(() => [undefined])
      const [back] = this.isAlive(c) ? await this.call<Diagnosis[]>(c, 'diag', [w.peerId]).catch(() => [undefined]) : [undefined]
      const other = this.isAlive(c) ? 'running' : 'killed'
      if (d == null) return `${w.i}->${c.i} ${seen} (contact ${other}; no diagnosis)`
      const theirs = back == null ? '' : `; the contact: ${back.watchesUs ? 'knows' : 'does NOT know'} the watcher listens, watcher ${back.inOurMesh ? 'in' : 'NOT in'} its gossip mesh, ` +
        `gossip ${back.gossipPeer ? `attached (score ${back.score}, ${back.holdsStream ? 'stream held' : 'NO stream held'})` : 'NOT attached'}, ` +
        `${back.connections.length} connections to it${back.connections.length > 0 ? ` (${back.connections.join(' + ')})` : ''}, ` +
        `${back.follow == null ? 'NOT following it' : `its follow ${back.follow.state}, ${back.follow.failures} failures, ${back.follow.repairs} repairs${back.follow.lastError != null ? ` (${back.follow.lastError})` : ''}`}, ` +
        `${back.addresses} addresses of it known, ${back.peers} peers, routing table ${back.routingTable}, ` +
        `${back.announcedAgoMs == null ? 'never announced' : `announced ${(back.announcedAgoMs / 1000).toFixed(1)} s ago`}, ` +
        `the watcher's subscription ${back.subscribedAgoMs == null ? 'never arrived' : `arrived ${(back.subscribedAgoMs / 1000).toFixed(1)} s ago`}` +
        `${back.closedConnections.length > 0 ? `, its closed connections to it: ${back.closedConnections.join(' + ')}` : ''}` +
        `${(back.gossipEvents?.length ?? 0) > 0 ? `, its gossip: ${back.gossipEvents!.join(', ')}` : ''}`
      const last = this.events(w).filter(e => e.event === 'presence' && e.view?.peerId === c.peerId).slice(-3)
        .map(e => `${String(e.view.status)}/${String(e.cause)} seq ${String(e.view.seq).slice(-6)} ${((Date.now() - e.at) / 1000).toFixed(1)} s ago`)
      return `${w.i}->${c.i} ${seen} (contact ${other}; ${formatDiagnosis(d)}${theirs}; last events: ${last.length === 0 ? 'none' : last.join(', ')})`
    }))
  }
}

export function formatDiagnosis (d: Diagnosis): string {
  const conn = d.connections.length === 0 ? 'not connected' : `connected ${d.connections.join(' + ')}`
  const record = d.lastRecordAgoMs == null ? 'no record since start' : `last record ${(d.lastRecordAgoMs / 1000).toFixed(1)} s ago`
  return `${conn}; ${record}; gossip peer ${d.gossipPeer ? `yes (score ${d.score})` : 'no'}, subscribed ${d.subscribed === true ? 'yes' : 'no'}; ` +
    `${d.follow == null ? 'NOT followed' : `follow ${d.follow.state}, ${d.follow.failures} failures, ${d.follow.repairs} repairs${d.follow.lastError != null ? ` (${d.follow.lastError})` : ''}`}; ` +
    `${d.addresses} addresses known; outbox ${d.outbox}; records rejected: ${d.rejected === '' ? 'none' : d.rejected}; ${d.peers} peers, routing table ${d.routingTable}` +
    `${d.closedConnections.length > 0 ? `; closed connections to it: ${d.closedConnections.join(' + ')}` : ''}` +
    `${(d.gossipEvents?.length ?? 0) > 0 ? `; gossip: ${d.gossipEvents!.join(', ')}` : ''}`
}

/** The first event since `since` in which the watcher showed the contact offline. */
export function offlineEvent (events: HostEvent[], c: Member, since: number): HostEvent | undefined {
  return events.find(ev => ev.event === 'presence' && ev.view?.peerId === c.peerId && ev.view?.status === 'offline' && ev.at >= since)
}

/** Time from `since` until the watcher showed the contact offline (undefined: not since then). */
export function offlineAfter (events: HostEvent[], c: Member, since: number): number | undefined {
  const e = offlineEvent(events, c, since)
  return e == null ? undefined : e.at - since
}

/** What the watcher showed for the contact just before `at`: its last presence event. */
export function viewBefore (events: HostEvent[], c: Member, at: number): HostEvent | undefined {
  return events.findLast(ev => ev.event === 'presence' && ev.view?.peerId === c.peerId && ev.at < at)
}

export const stats = (xs: number[]): string => {
  if (xs.length === 0) return 'none'
  const s = [...xs].sort((a, b) => a - b)
  return `n=${s.length} min ${s[0]} ms, median ${s[Math.floor(s.length / 2)]} ms, max ${s[s.length - 1]} ms`
}

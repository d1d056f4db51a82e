/**
 * A diagnostic of the chaos hosts: what happens to a node's kad-dht routing
 * table. kad-dht 16 adds a peer (from identify or from a query's answer)
 * only after one ping to it succeeds (its k-bucket's `verify`); this wraps
 * that check to count the pings that failed and how long they took, and
 * counts the table's adds and removals. It reads runtime fields of kad-dht
 * (not its typed API) defensively: a version without them is only not counted.
 */
import { DHT_PROTOCOL } from '../../protocol/dht-presence.js'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

type Walk = (key: any, options?: any) => AsyncGenerator<{ name: string }>

interface KadInternals {
  rpc?: { handleMessage?: (peer: PeerId, msg: { type: unknown }) => Promise<unknown> }
  findPeer?: Walk
  getClosestPeers?: Walk
  routingTable?: EventTarget & {
    size: number
    kb?: { verify?: (contact: { peerId: PeerId }, options?: unknown) => Promise<boolean> }
    routingTableUpdateQueue?: { size: number }
    pingNewContactQueue?: { size: number }
  }
}

export interface TableCounts {
  /** Routing-table size now. */
  table: number
  /** Connected peers that speak the DHT protocol (per the peer store). */
  dhtServersConnected: number
  connections: number
  /** Since the start: pings before an add that succeeded / failed, and the failed ones' longest duration. */
  pingsOk: number
  pingsFailed: number
  pingFailedMaxMs: number
  adds: number
  removes: number
  /** Since the start: DHT walks made (findPeer / getClosestPeers), and the findPeer walks that found the peer. */
  findPeers: number
  findPeersFound: number
  closestPeerWalks: number
  /**
   * Since the start, how each ended findPeer walk ended: 'found' (a FINAL_PEER), 'not-found' (kad-dht's
   * NotFoundError), 'aborted' (its signal ended it: the follow's attempt was cut short or timed out),
   * 'left' (its reader stopped reading without a find) or the error's name; with the walks' summed ms.
   */
  findPeerOutcomes: Record<string, { n: number, ms: number }>
  /** Since the start, per target peer id: the findPeer walks that did not find it (any outcome but 'found'). */
  findPeerMisses: Record<string, number>
  /** Since the start, the events of the findPeer walks that did not find their peer, by name (QUERY_ERROR by its error). */
  findPeerMissEvents: Record<string, number>
  /** Since the start, the node's answers to inbound DHT RPCs, by message type: count, summed ms, slowest ms, over 5 s, failed. */
  rpcHandled: Record<string, { n: number, ms: number, max: number, over5s: number, failed: number }>
  /** Since the start, the node's peer-store and datastore calls by method: count, summed ms, slowest ms, over 1 s. */
  storeCalls: Record<string, { n: number, ms: number, max: number, over1s: number }>
  /** Every failed ping of the node's ping service since the start (kad-dht's and others), by error. */
  pingErrors: Record<string, number>
  /** kad-dht's queues now: routing-table updates waiting, pings of new contacts waiting or running. */
  updateQueue: number
  pingQueue: number
}

export class TableTracker {
  private pingsOk = 0
  private pingsFailed = 0
  private pingFailedMaxMs = 0
  private adds = 0
  private removes = 0
  private readonly pingErrors: Record<string, number> = {}
  private readonly walks = { findPeers: 0, findPeersFound: 0, closestPeerWalks: 0 }
  private readonly findPeerOutcomes: Record<string, { n: number, ms: number }> = {}
  private readonly findPeerMisses: Record<string, number> = {}
  private readonly findPeerMissEvents: Record<string, number> = {}
  private readonly storeCalls: Record<string, { n: number, ms: number, max: number, over1s: number }> = {}
  private readonly rpcHandled: Record<string, { n: number, ms: number, max: number, over5s: number, failed: number }> = {}

  constructor (private readonly libp2p: Libp2p<{ dht: unknown, ping: Ping }>) {
    const ping = libp2p.services.ping
    const send = ping.ping.bind(ping)
    ping.ping = async (peer, options) => await send(peer, options).catch((err: Error) => {
      const key = `${err.name}: ${err.message.slice(0, 80)}`
      this.pingErrors[key] = (this.pingErrors[key] ?? 0) + 1
      throw err
    })
    const dht = libp2p.services.dht as KadInternals
    const walks = this.walks
    const findPeer = dht.findPeer?.bind(dht)
    if (findPeer != null) {
      const outcomes = this.findPeerOutcomes
      const misses = this.findPeerMisses
      const missEvents = this.findPeerMissEvents
      dht.findPeer = async function * (key, options) {
        walks.findPeers++
        const at = Date.now()
        let outcome = 'left'
        const seen: Record<string, number> = {}
        try {
          for await (const e of findPeer(key, options)) {
            const ev = e as { name: string, error?: Error }
            const name = ev.name === 'QUERY_ERROR' ? `QUERY_ERROR ${ev.error?.name ?? ''}: ${String(ev.error?.message ?? '').slice(0, 60)}` : ev.name
            seen[name] = (seen[name] ?? 0) + 1
            if (e.name === 'FINAL_PEER') {
              walks.findPeersFound++
              outcome = 'found'
            }
            yield e
          }
        } catch (err: any) {
          outcome = options?.signal?.aborted === true ? 'aborted' : err?.name === 'NotFoundError' ? 'not-found' : String(err?.name ?? 'error')
          throw err
        } finally {
          const o = (outcomes[outcome] ??= { n: 0, ms: 0 })
          o.n++
          o.ms += Date.now() - at
          if (outcome !== 'found') {
            misses[String(key)] = (misses[String(key)] ?? 0) + 1
            for (const [k, n] of Object.entries(seen)) missEvents[k] = (missEvents[k] ?? 0) + n
          }
        }
      }
    }
    this.timeCalls('peerStore', libp2p.peerStore as unknown as Record<string, unknown>, ['get', 'getInfo', 'has', 'merge', 'patch', 'save'])
    const datastore = (libp2p as unknown as { components?: { datastore?: Record<string, unknown> } }).components?.datastore
    if (datastore != null) this.timeCalls('datastore', datastore, ['get', 'put', 'has', 'delete', 'batch'])
    const rpc = dht.rpc
    const handle = rpc?.handleMessage
    if (rpc != null && handle != null) {
      const handled = this.rpcHandled
      // wraps whatever is installed at construction (dhtPrivacy replaces it at start and restores it at stop)
      const wrap = (inner: typeof handle): typeof handle => async (peer, msg) => {
        const at = Date.now()
        const h = (handled[String(msg.type)] ??= { n: 0, ms: 0, max: 0, over5s: 0, failed: 0 })
        try {
          return await inner.call(rpc, peer, msg)
        } catch (err) {
          h.failed++
          throw err
        } finally {
          const ms = Date.now() - at
          h.n++
          h.ms += ms
          h.max = Math.max(h.max, ms)
          if (ms > 5000) h.over5s++
        }
      }
      rpc.handleMessage = wrap(handle)
    }
    const closest = dht.getClosestPeers?.bind(dht)
    if (closest != null) {
      dht.getClosestPeers = async function * (key, options) {
        walks.closestPeerWalks++
        yield * closest(key, options)
      }
    }
    const table = dht.routingTable
    table?.addEventListener('peer:add', () => { this.adds++ })
    table?.addEventListener('peer:remove', () => { this.removes++ })
    const kb = table?.kb
    const verify = kb?.verify
    if (kb == null || verify == null) return
    kb.verify = async (contact, options) => {
      const at = Date.now()
      const ok = await verify(contact, options)
      if (ok) this.pingsOk++
      else {
        this.pingsFailed++
        this.pingFailedMaxMs = Math.max(this.pingFailedMaxMs, Date.now() - at)
      }
      return ok
    }
  }

  /** Wraps an object's async methods to time them (a method that returns no promise, e.g. batch(), is counted at 0 ms). */
  private timeCalls (what: string, target: Record<string, unknown>, methods: string[]): void {
    for (const m of methods) {
      const f = target[m]
      if (typeof f !== 'function') continue
      const calls = this.storeCalls
      target[m] = function (this: unknown, ...args: unknown[]) {
        const at = Date.now()
        const c = (calls[`${what}.${m}`] ??= { n: 0, ms: 0, max: 0, over1s: 0 })
        const done = (): void => {
          const ms = Date.now() - at
          c.n++
          c.ms += ms
          c.max = Math.max(c.max, ms)
          if (ms > 1000) c.over1s++
        }
        const out = f.apply(this, args)
        if (out instanceof Promise) return out.finally(done)
        done()
        return out
      }
    }
  }

  async counts (): Promise<TableCounts> {
    const table = (this.libp2p.services.dht as KadInternals).routingTable
    const peers = [...new Set(this.libp2p.getConnections().map(c => c.remotePeer))]
    const speaks = await Promise.all(peers.map(async p => await this.libp2p.peerStore.get(p).then(x => x.protocols.includes(DHT_PROTOCOL), () => false)))
    return {
      table: table?.size ?? 0,
      dhtServersConnected: speaks.filter(Boolean).length,
      connections: this.libp2p.getConnections().length,
      pingsOk: this.pingsOk,
      pingsFailed: this.pingsFailed,
      pingFailedMaxMs: this.pingFailedMaxMs,
      adds: this.adds,
      removes: this.removes,
      ...this.walks,
      findPeerOutcomes: this.findPeerOutcomes,
      findPeerMisses: this.findPeerMisses,
      findPeerMissEvents: this.findPeerMissEvents,
      rpcHandled: this.rpcHandled,
      storeCalls: this.storeCalls,
      pingErrors: this.pingErrors,
      updateQueue: table?.routingTableUpdateQueue?.size ?? 0,
      pingQueue: table?.pingNewContactQueue?.size ?? 0
    }
  }
}

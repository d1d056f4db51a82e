/**
 * One chaos host process: runs one or more presence nodes (each with its own
 * home, port and partition gater) and answers line-delimited JSON on stdin:
 *
 *   node bench/chaos/host.js '<json HostNodeOptions[]>'
 *
 * stdin:  {"id": 1, "node": 0, "method": "who", "params": []}
 * stdout: {"id": 1, "result": ...} | {"id": 1, "error": "..."}
 *         {"event": "ready", "nodes": [{peerId, addresses}]} | {"event": "presence", "node": 0, "at": ms, ...}
 *
 * Nothing here dials a peer: whatever connects the nodes is the product's own
 * bootstrap, rejoin and discovery. `deny`/`allowAll` only refuse and cut links
 * (a partition), as a firewall would.
 */
import '../../node/polyfill.js'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import readline from 'node:readline'
import { peerIdFromString } from '@libp2p/peer-id'
import { PresenceNode } from '../../node/presence-node.js'
import { presenceTopic } from '../../protocol/topics.js'
import { ConnTracker } from './conn-track.js'
import { GossipTracker } from './gossip-track.js'
import { TableTracker } from './table-track.js'
import type { ConnRecord } from './conn-track.js'
import type { PresenceNodeOptions } from '../../node/presence-node.js'
import type { ConnectionGater, PeerId, Stream } from '@libp2p/interface'

// the parent went away: nobody to answer
process.stdout.on('error', () => { process.exit(0) })
const json = (v: unknown): string => JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? x.toString() : x)
const out = (v: unknown): void => { process.stdout.write(json(v) + '\n') }

/** Event-loop delay of this process, sampled every 10 ms; read and reset by `health`. */
const lag = monitorEventLoopDelay({ resolution: 10 })
lag.enable()
let cpuAt = { usage: process.cpuUsage(), at: performance.now() }
/** Longest time between two presence announcements of one of this host's nodes since the last `health` (heartbeat: TTL / 3). */
let announceGapMax = 0

interface Hosted {
  node: PresenceNode
  denied: Set<string>
  /** Local time of the last presence record accepted from each watched peer. */
  lastRecord: Map<string, number>
  /** Local time this node last announced its own presence. */
  lastAnnounce: number
  /** What this node published on its own public topic lately: when, and to whom gossipsub sent it. */
  published: Array<{ at: number, recipients: string[], missed: Record<string, string> }>
  conns: ConnTracker
  /** When gossipsub attached and detached each peer. */
  gossip: GossipTracker
  /** Local time each peer's subscription to this node's own topic last arrived. */
  subscribedAt: Map<string, number>
  /** Its DHT routing table's adds, and the pings before them. */
  table: TableTracker
}

/** How long the publications of a node are kept for explanations. */
const PUBLISHED_KEEP_MS = 60_000

/**
 * Records who each of the node's own presence records went to (gossipsub's
 * publish result): whether a record that a watcher missed left the sender.
 */
function recordPublications (h: Hosted): void {
  const pubsub = h.node.libp2p.services.pubsub
  const own = presenceTopic(h.node.peerId)
  const publish = pubsub.publish.bind(pubsub)
  pubsub.publish = async (topic: string, data?: Uint8Array) => {
    const result = await publish(topic, data)
    if (topic === own) {
      const now = Date.now()
      const recipients = result.recipients.map(p => p.toString())
      // for every subscriber left out: why (gossipsub's outbound stream to it, its score)
      const g = pubsub as unknown as { streamsOutbound?: Map<string, unknown>, score?: { score: (p: string) => number } }
      const missed: Record<string, string> = {}
      for (const p of pubsub.getSubscribers(own).map(String)) {
        if (!recipients.includes(p)) missed[p] = `${g.streamsOutbound?.has(p) === true ? 'stream held' : 'no stream held'}, score ${Math.round(g.score?.score(p) ?? NaN)}, ${pubsub.getPeers().some(x => x.toString() === p) ? 'attached' : 'not attached'}`
      }
      h.published.push({ at: now, recipients, missed })
      while (h.published.length > 0 && h.published[0].at < now - PUBLISHED_KEEP_MS) h.published.shift()
    }
    return result
  }
}

/** "out:/meshsub/1.2.0", with what is not as a working stream's would be (e.g. "far end closed"). */
function streamLabel (s: Stream): string {
  const odd = [
    s.status !== 'open' ? s.status : '',
    s.writeStatus !== 'writable' ? `write ${s.writeStatus}` : '',
    s.remoteWriteStatus === 'closed' || s.remoteReadStatus === 'closed' ? 'far end closed' : ''
  ].filter(x => x !== '')
  // a gossip stream's age: how long after its connection the link came up
  if (s.protocol?.includes('meshsub') === true) odd.push(`${((Date.now() - s.timeline.open) / 1000).toFixed(1)} s`)
  return `${s.direction === 'inbound' ? 'in' : 'out'}:${s.protocol ?? '?'}${odd.length > 0 ? ` (${odd.join(', ')})` : ''}`
}

/** "ports 40112>39001 " (local>remote), or nothing when unknown. */
function ports (r: ConnRecord | undefined): string {
  return r?.localPort == null ? '' : `ports ${r.localPort}>${String(r.remotePort)} `
}

function gaterFor (denied: Set<string>): ConnectionGater {
  const isDenied = (peer: PeerId): boolean => denied.has(peer.toString())
  return { denyDialPeer: isDenied, denyInboundEncryptedConnection: isDenied, denyOutboundEncryptedConnection: isDenied }
}

const list = JSON.parse(process.argv[2] ?? '[]') as PresenceNodeOptions[]
const hosted: Hosted[] = await Promise.all(list.map(async (opts) => {
  const denied = new Set<string>()
  const node = await PresenceNode.start({ sharedHost: true, mdns: false, control: false, ...opts, connectionGater: gaterFor(denied) })
  const h: Hosted = { node, denied, lastRecord: new Map(), lastAnnounce: 0, published: [], conns: new ConnTracker(node.libp2p), gossip: new GossipTracker(node.libp2p, presenceTopic(node.peerId)), subscribedAt: new Map(), table: new TableTracker(node.libp2p) }
  node.libp2p.services.pubsub.addEventListener('subscription-change', (evt) => {
    const own = presenceTopic(node.peerId)
    if (evt.detail.subscriptions.some(sub => sub.topic === own && sub.subscribe)) h.subscribedAt.set(evt.detail.peerId.toString(), Date.now())
  })
  recordPublications(h)
  return h
}))

type Method = (h: Hosted, ...params: any[]) => unknown
const methods: Record<string, Method> = {
  watch: async ({ node }, peer, alias) => await node.watch(peer, alias),
  who: ({ node }) => node.who(),
  /** Queues n texts `${prefix} ${i}` in order; returns their ids once all are on disk. */
  sendMany: async ({ node }, peer, prefix, n) => {
    const ids: string[] = []
    for (let i = 0; i < n; i++) ids.push((await node.chat.send(peer, `${prefix} ${i}`)).id)
    return ids
  },
  history: async ({ node }, peer) => await node.history(peer),
  /** Texts held from non-contacts (where a text from someone this node does not count as a contact goes). */
  held: async ({ node }) => await node.chat.requests(),
  /** Where this node's delivery to `peer` stands, with its links to it: why a text is late. */
  delivery: ({ node }, peer: string) => ({
    ...node.chat.deliveryStatus(peer),
    connections: node.libp2p.getConnections().filter(c => c.remotePeer.toString() === peer).length,
    view: node.presence.get(peer)?.status,
    follow: node.libp2p.services.discovery.followStatus(peer)?.state
  }),
  connections: ({ node }) => node.libp2p.getConnections().map(c => c.remotePeer.toString()),
  following: ({ node }) => node.libp2p.services.discovery.following(),
  /** What this node knows about each peer: why a view is what it is. */
  diag: async (h, peers: string[]) => await Promise.all(peers.map(async (peer) => {
    const { node } = h
    const conns = node.libp2p.getConnections().filter(c => c.remotePeer.toString() === peer)
    const topic = node.presence.channelOf(peer)
    const addrs = await node.libp2p.peerStore.get(peerIdFromString(peer)).then(p => p.addresses.length, () => 0)
    const view = node.presence.get(peer)
    return {
      peer,
      status: view?.status,
      lastRecordAgoMs: h.lastRecord.has(peer) ? Date.now() - h.lastRecord.get(peer)! : undefined,
      connections: conns.map(c => `${c.direction}${c.limits != null ? ' limited' : ''} ${c.status} ${Math.round((Date.now() - c.timeline.open) / 1000)} s ${ports(h.conns.records.get(c.id))}[${c.streams.map(streamLabel).join(',')}]`),
      gossipPeer: node.libp2p.services.pubsub.getPeers().some(p => p.toString() === peer),
      score: Math.round((node.libp2p.services.pubsub as unknown as { getScore: (peer: string) => number }).getScore(peer) * 10) / 10,
      subscribed: topic == null ? undefined : node.libp2p.services.pubsub.getSubscribers(topic).some(p => p.toString() === peer),
      follow: node.libp2p.services.discovery.followStatus(peer),
      addresses: addrs,
      outbox: node.chat.outboxSize(peer),
      // the other half: whether the peer listens on our own public topic, and our gossip mesh there holds it
      watchesUs: node.libp2p.services.pubsub.getSubscribers(presenceTopic(node.peerId)).some(p => p.toString() === peer),
      inOurMesh: (node.libp2p.services.pubsub as unknown as { getMeshPeers: (topic: string) => string[] }).getMeshPeers(presenceTopic(node.peerId)).includes(peer),
      rejected: Object.entries(node.presence.getRejections()).filter(([, n]) => n > 0).map(([reason, n]) => `${reason} ${n}`).join(', '),
      peers: node.libp2p.getPeers().length,
      announcedAgoMs: h.lastAnnounce === 0 ? undefined : Date.now() - h.lastAnnounce,
      routingTable: (node.libp2p.services.dht as unknown as { routingTable?: { size: number } }).routingTable?.size ?? 0,
      subscribedAgoMs: h.subscribedAt.has(peer) ? Date.now() - h.subscribedAt.get(peer)! : undefined,
      // the connections to it of the last minute that are gone: a link replaced shortly before
      closedConnections: [...h.conns.records.values()].filter(r => r.peer === peer && r.closeAt != null && Date.now() - r.closeAt < 60_000)
        .map(r => `${r.direction} opened ${((Date.now() - r.openAt) / 1000).toFixed(1)} s ago, closed ${((Date.now() - r.closeAt!) / 1000).toFixed(1)} s ago ${r.closedLocally === true ? 'here' : 'by the far end'}${r.closeError != null ? ` (${r.closeError})` : ''}${r.calls.length > 0 ? ` [${r.calls.map(c => `${c.what}${c.stack !== '' ? ` from ${c.stack}` : ''}`).join(', ')}]` : ''}`),
      holdsStream: (node.libp2p.services.pubsub as unknown as { streamsOutbound?: Map<string, unknown> }).streamsOutbound?.has(peer) ?? false,
      gossipEvents: h.gossip.describe(peer)
    }
  })),
  /** This node's presence records published in [from, to] (local ms): when, and whether `peer` was among the recipients. */
  publishedTo: (h, peer: string, from: number, to: number) => h.published.filter(p => p.at >= from && p.at <= to)
    .map(p => ({ at: p.at, toPeer: p.recipients.includes(peer), recipients: p.recipients.length, why: p.recipients.includes(peer) ? undefined : p.missed[peer] ?? 'not a subscriber' })),
  /** Watchers' subscriptions to this node's topic lost by a gossip detach while connected: how long until they came back. */
  subscriptionGaps: ({ gossip }) => gossip.drainGaps(),
  /** Cuts and refuses every link to these peers until allowAll. */
  deny: async ({ node, denied }, peers: string[]) => {
    for (const p of peers) denied.add(p)
    await Promise.all(node.libp2p.getConnections().filter(c => denied.has(c.remotePeer.toString()))
      .map(async c => c.close().catch(() => { c.abort(new Error('denied')) })))
  },
  allowAll: ({ denied }) => { denied.clear() },
  /** The connections libp2p lists, with their TCP ports (a half-open connection is one only one end lists). */
  listedConns: ({ conns }) => conns.listed(),
  /** What this node's connection with these TCP ends became (undefined: it never had one). */
  connByPorts: ({ conns }, localPort: number, remotePort: number) => conns.byPorts(localPort, remotePort),
  /** This node's connections and its DHT routing table. */
  mesh: ({ node }) => ({
    connections: node.libp2p.getConnections().length,
    routingTable: (node.libp2p.services.dht as unknown as { routingTable?: { size: number } }).routingTable?.size ?? 0,
    following: node.libp2p.services.discovery.following().map(p => node.libp2p.services.discovery.followStatus(p)?.state)
  }),
  /** Its DHT routing table, the DHT servers it is connected to, and the pings before the table's adds. */
  table: async ({ table }) => await table.counts(),
  /** The process: event-loop delay since the last call (ms), CPU share of one core, memory. */
  health: () => {
    const now = performance.now()
    const usage = process.cpuUsage(cpuAt.usage)
    const cpu = (usage.user + usage.system) / 1000 / (now - cpuAt.at)
    cpuAt = { usage: process.cpuUsage(), at: now }
    const ms = (ns: number): number => Math.round(ns / 1e5) / 10
    const r = { lagP50: ms(lag.percentile(50)), lagP99: ms(lag.percentile(99)), lagMax: ms(lag.max), cpu: Math.round(cpu * 100) / 100, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20), announceGapMax }
    lag.reset()
    announceGapMax = 0
    return r
  }
}

hosted.forEach((h, i) => {
  h.node.presence.addEventListener('announce', () => {
    const now = Date.now()
    if (h.lastAnnounce > 0) announceGapMax = Math.max(announceGapMax, now - h.lastAnnounce)
    h.lastAnnounce = now
  })
  h.node.presence.addEventListener('presence', (evt) => {
    if (evt.detail.cause === 'record') h.lastRecord.set(evt.detail.view.peerId, Date.now())
    out({ event: 'presence', node: i, at: Date.now(), ...evt.detail })
  })
  // what was stored, and what the sender was told: a missing message is then either late or lost
  h.node.chat.addEventListener('message', (evt) => { out({ event: 'chat-in', node: i, at: Date.now(), id: evt.detail.id, peer: evt.detail.peer, seq: evt.detail.seq }) })
  h.node.chat.addEventListener('request', (evt) => { out({ event: 'chat-held', node: i, at: Date.now(), id: evt.detail.id, peer: evt.detail.peer }) })
  h.node.chat.addEventListener('state', (evt) => { out({ event: 'chat-state', node: i, at: Date.now(), id: evt.detail.id, state: evt.detail.state }) })
})

const commands = readline.createInterface({ input: process.stdin })
// a parent that died without killing us closes our stdin: go too
commands.on('close', () => { process.exit(0) })
commands.on('line', (line) => {
  void (async () => {
    let id: unknown
    try {
      const req = JSON.parse(line) as { id: unknown, node?: number, method: string, params?: unknown[] }
      id = req.id
      const fn = methods[req.method]
      if (fn == null) throw new Error(`unknown method ${req.method}`)
      const h = hosted[req.node ?? 0]
      if (h == null) throw new Error(`no node ${String(req.node)} in this host`)
      out({ id, result: await fn(h, ...(req.params ?? [])) })
    } catch (err: any) {
      out({ id, error: err?.message ?? String(err) })
    }
  })()
})

out({ event: 'ready', nodes: hosted.map(h => ({ peerId: h.node.peerId.toString(), addresses: h.node.addresses() })) })

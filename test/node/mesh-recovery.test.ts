/**
 * Six nodes watch each other; two that watch each other run in processes of
 * their own, are SIGKILLed and restarted together on the same homes and
 * ports, then the mesh is cut in two and healed. The four never killed run
 * in the test's process (a node process costs about a CPU-second to start
 * and load, an in-process node a tenth of that). Nothing here
 * dials a peer: each node starts with one bootstrap address (its neighbour)
 * and finds and keeps its watched peers itself (discovery's follow). After a
 * restart and after the heal, every watcher shows every contact online again
 * within two record lifetimes.
 */
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { cleanupHomes, PUBLIC, startNode, stopNodes, tmpHome, waitFor } from '../helpers.js'
import { freePorts, makeIdentity } from '../mesh-helpers.js'
import { killAllNodes, spawnNode } from '../process-helpers.js'
import type { PresenceView } from '../../node/presence/index.js'
import type { PresenceNode } from '../../node/presence-node.js'
import type { NodeProcess } from '../process-helpers.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

const inProcess: PresenceNode[] = []

afterEach(async () => {
  await killAllNodes()
  await stopNodes(inProcess.splice(0))
  await cleanupHomes()
})

/** What the test does with a node, in a process of its own or in the test's. */
interface MeshNode {
  watch: (peer: string, alias: string) => Promise<unknown>
  who: () => Promise<PresenceView[]>
  /** Cuts and refuses every link to these peers until allowAll (the process fixture's deny). */
  deny: (peers: string[]) => Promise<void>
  allowAll: () => Promise<void>
  kill: () => Promise<void>
}

const overProcess = (p: NodeProcess): MeshNode => ({
  watch: async (peer, alias) => await p.call('watch', peer, alias),
  who: async () => await p.call<PresenceView[]>('who'),
  deny: async (peers) => { await p.call('deny', peers) },
  allowAll: async () => { await p.call('allowAll') },
  kill: p.kill
})

/** A node in the test's process behind the same gater as the process fixture's. */
async function startInProcess (opts: Parameters<typeof startNode>[0]): Promise<MeshNode> {
  const denied = new Set<string>()
  const isDenied = (peer: PeerId): boolean => denied.has(peer.toString())
  const connectionGater: ConnectionGater = { denyDialPeer: isDenied, denyInboundEncryptedConnection: isDenied, denyOutboundEncryptedConnection: isDenied }
  const n = await startNode({ ...opts, connectionGater })
  inProcess.push(n)
  return {
    watch: async (peer, alias) => await n.watch(peer, alias),
    who: async () => n.who(),
    deny: async (peers) => {
      for (const p of peers) denied.add(p)
      await Promise.all(n.libp2p.getConnections().filter(c => denied.has(c.remotePeer.toString())).map(async c => await c.close().catch(() => { c.abort(new Error('denied')) })))
    },
    allowAll: async () => { denied.clear() },
    kill: async () => { throw new Error('only a node in a process of its own is killed') }
  }
}

const N = 6
const TTL = 8_000
/** The claim under test: converged again within two record lifetimes. */
const RECOVERY_MS = 2 * TTL
/** Everything else waits generously: a shared 2-core machine starts processes slowly. */
const GENEROUS_MS = 90_000
/** The whole test: about 35 s on a quiet machine; the deadlines above bound each step, this the sum. */
const TEST_TIMEOUT_MS = 300_000

/** Node i watches i±1 and i±2 (mutual): every pair but the opposite one. */
const watches = (i: number): number[] => [1, 2, N - 2, N - 1].map(d => (i + d) % N)

it('watchers see two SIGKILLed nodes restarted together, and each other after a healed partition, online again within 2 TTLs', async () => {
  const root = await tmpHome('mesh')
  const ports = await freePorts(N)
  const homes = Array.from({ length: N }, (_, i) => path.join(root, `n${i}`))
  const ids = await Promise.all(homes.map(makeIdentity))
  const addr = (i: number): string => `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${ids[i]}`
  // one bootstrap address each, the previous node: a ring the DHT starts from. No presence records in
  // the DHT: a watcher never reads them (only fetchPresence does), and with 8 s records each node put
  // its own every few seconds to all the others (a ninth of the test's CPU, session 12)
  const options = (i: number): Parameters<typeof spawnNode>[0] => ({
    home: homes[i], listen: [`/ip4/127.0.0.1/tcp/${ports[i]}`], bootstrap: [addr((i + N - 1) % N)], sharedHost: true, presence: { ttlMs: TTL }, roster: PUBLIC, publishPresence: false
  })
  // SIGKILL nodes 0 and 1, which watch each other: no goodbye; their watchers see them offline once their records expire
  const killed = [0, 1]
  const start = async (i: number): Promise<MeshNode> => killed.includes(i) ? overProcess(await spawnNode(options(i), GENEROUS_MS)) : await startInProcess(options(i))
  const nodes: Array<MeshNode | undefined> = await Promise.all(ids.map(async (_, i) => await start(i)))
  const node = (i: number): MeshNode => nodes[i]!
  await Promise.all(ids.map(async (_, i) => { for (const j of watches(i)) await node(i).watch(ids[j], `n${j}`) }))

  /** "w->c:status" for every live watcher whose view of a contact differs from want. */
  const wrong = async (want: (w: number, c: number) => 'online' | 'offline'): Promise<string[]> => {
    const out: string[] = []
    await Promise.all(ids.map(async (_, w) => {
      if (nodes[w] == null) return
      const views = await node(w).who()
      for (const c of watches(w)) {
        const status = views.find(v => v.peerId === ids[c])?.status ?? 'missing'
        if ((status !== 'offline' && status !== 'missing') !== (want(w, c) === 'online')) out.push(`${w}->${c}:${status}`)
      }
    }))
    return out
  }
  const converge = async (want: (w: number, c: number) => 'online' | 'offline', what: string, timeoutMs: number): Promise<number> => {
    const t = Date.now()
    let last: string[] = []
    await waitFor(async () => (last = await wrong(want)).length === 0, `${what} (still wrong: ${last.join(' ')})`, timeoutMs)
    return Date.now() - t
  }
  const allOnline = (): 'online' => 'online'

  await converge(allOnline, 'every view online after the start', GENEROUS_MS)

  await Promise.all(killed.map(async i => { await node(i).kill(); nodes[i] = undefined }))
  await converge((_w, c) => killed.includes(c) ? 'offline' : 'online', 'nodes 0 and 1 offline at their watchers', GENEROUS_MS)
  // restarted together on the same homes and ports: back online at their watchers, and they see their contacts, each other too
  await Promise.all(killed.map(async i => { nodes[i] = await start(i) }))
  expect(await converge(allOnline, 'every view online after the restart', GENEROUS_MS)).toBeLessThanOrEqual(RECOVERY_MS)

  // cut {0,1,2} | {3,4,5}: each side offline for the other, its own side online
  const side = (i: number): number => i < N / 2 ? 0 : 1
  await Promise.all(ids.map(async (_, i) => { await node(i).deny(ids.filter((_id, j) => side(j) !== side(i))) }))
  await converge((w, c) => side(w) === side(c) ? 'online' : 'offline', 'each side offline for the other', GENEROUS_MS)
  // heal: nobody dials; the nodes find each other again
  await Promise.all(ids.map(async (_, i) => { await node(i).allowAll() }))
  expect(await converge(allOnline, 'every view online after the heal', GENEROUS_MS)).toBeLessThanOrEqual(RECOVERY_MS)
}, TEST_TIMEOUT_MS)

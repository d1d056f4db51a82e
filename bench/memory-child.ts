/**
 * One measurement of bench/memory.ts, in its own process (run with --expose-gc):
 *   node --expose-gc <compiled>/bench/memory-child.js (bench/memory.ts compiles it) <presence|bare|gossipsub> <extra nodes> [contacts]
 * With extra nodes 0: one idle node; prints its memory after settling and GC.
 * With extra nodes N: measures after one node, then after N more (each dialling
 * the first), and prints both, so the caller can compute the cost per node.
 */
import '../node/polyfill.js'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { PresenceNode } from '../node/presence-node.js'
import { createPubsub } from '../node/pubsub.js'
import type { PresenceLibp2p } from '../node/libp2p.js'
import type { Libp2p } from '@libp2p/interface'

export type MemoryKind = 'presence' | 'bare' | 'gossipsub'
export const SETTLE_MS = 3_000

interface Started { addr: string, libp2p: Libp2p, stop: () => Promise<void> }

const LISTEN = ['/ip4/127.0.0.1/tcp/0']

async function startOne (kind: MemoryKind, root: string, i: number): Promise<Started> {
  if (kind === 'presence') {
    const node = await PresenceNode.start({ home: path.join(root, `n${i}`), listen: LISTEN, sharedHost: true })
    return { addr: node.addresses()[0], libp2p: node.libp2p, stop: async () => node.stop() }
  }
  // the same transport stack as node/libp2p.ts, without our services or a datastore
  const services: Record<string, (components: any) => unknown> = { identify: identify(), ping: ping() }
  if (kind === 'gossipsub') services.pubsub = createPubsub({ sharedHostMesh: true })
  const libp2p = await createLibp2p({
    addresses: { listen: LISTEN },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000 },
    services
  })
  return { addr: libp2p.getMultiaddrs()[0].toString(), libp2p: libp2p as unknown as Libp2p, stop: async () => libp2p.stop() }
}

async function settledMemory (): Promise<NodeJS.MemoryUsage> {
  await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc == null) throw new Error('run with --expose-gc')
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise(resolve => setImmediate(resolve))
  }
  return process.memoryUsage()
}

const kind = process.argv[2] as MemoryKind
const extra = Number(process.argv[3] ?? 0)
const contacts = Number(process.argv[4] ?? 0)
if (!['presence', 'bare', 'gossipsub'].includes(kind) || !Number.isInteger(extra) || extra < 0) {
  console.error('usage: memory-child.ts <presence|bare|gossipsub> <extra nodes> [contacts]')
  process.exit(2)
}
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-mem-'))
const started: Started[] = []
try {
  const { multiaddr } = await import('@multiformats/multiaddr')
  started.push(await startOne(kind, root, 0))
  if (kind === 'presence' && contacts > 0) {
    const node = started[0]
    const roster = (node.libp2p as PresenceLibp2p).services.roster
    for (let i = 0; i < contacts; i++) await roster.watch(peerIdFromPrivateKey(await generateKeyPair('Ed25519')))
  }
  const first = await settledMemory()
  let after: NodeJS.MemoryUsage | undefined
  if (extra > 0) {
    for (let i = 1; i <= extra; i++) {
      const s = await startOne(kind, root, i)
      started.push(s)
      await s.libp2p.dial(multiaddr(started[0].addr))
    }
    after = await settledMemory()
  }
  process.stdout.write(JSON.stringify({ kind, extra, contacts, first, after }) + '\n')
} finally {
  await Promise.all(started.map(async s => s.stop().catch(() => {})))
  await fs.rm(root, { recursive: true, force: true })
}
process.exit(0)

/**
 * Many presence nodes in one process on TCP loopback, built through the one
 * factory (PresenceNode, sharedHost), joined in a sparse random connected
 * topology. Shared by the multi-node suites.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { PresenceNode } from '../node/presence-node.js'
import type { GroupsServiceInit } from '../node/groups/index.js'
import type { PresenceServiceInit } from '../node/presence/index.js'

export const TRANSPORT = 'TCP loopback (127.0.0.1), noise, yamux'

export interface Mesh {
  nodes: PresenceNode[]
  /** Undirected links that were dialled. */
  links: Array<[number, number]>
  stop: () => Promise<void>
}

export interface MeshOptions {
  nodes: number
  /** Extra random dials per node on top of the spanning-tree link. */
  extraDials?: number
  presence?: PresenceServiceInit
  groups?: GroupsServiceInit
  /** Seed for the topology, so runs are comparable. */
  seed?: number
}

/** Small deterministic PRNG (mulberry32): the same seed gives the same topology. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A connected sparse graph: a random spanning tree plus `extra` random links per node. */
export function sparseTopology (n: number, extra: number, random: () => number): Array<[number, number]> {
  const seen = new Set<string>()
  const links: Array<[number, number]> = []
  const add = (a: number, b: number): void => {
    if (a === b) return
    const k = a < b ? `${a}-${b}` : `${b}-${a}`
    if (seen.has(k)) return
    seen.add(k)
    links.push([a, b])
  }
  for (let i = 1; i < n; i++) add(i, Math.floor(random() * i))
  for (let i = 0; i < n; i++) {
    for (let e = 0; e < extra && n > 2; e++) add(i, Math.floor(random() * n))
  }
  return links
}

async function inBatches<T, R> (items: T[], size: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += size) {
    out.push(...await Promise.all(items.slice(i, i + size).map(async (item, j) => fn(item, i + j))))
  }
  return out
}

/** Connects two nodes; a busy host drops the odd connection while it opens, so this tries again a few times. */
export async function dial (from: PresenceNode, to: PresenceNode, attempts = 10): Promise<void> {
  await dialAddress(from, to.addresses()[0].toString(), attempts)
}

/** dial() to a node of another process, by its address. */
export async function dialAddress (from: PresenceNode, address: string, attempts = 10): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await from.libp2p.dial(multiaddr(address))
      return
    } catch (err) {
      if (attempt >= attempts) throw err
      await new Promise(resolve => setTimeout(resolve, Math.min(2_000, 200 * attempt)))
    }
  }
}

export async function startMesh (opts: MeshOptions): Promise<Mesh> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-bench-'))
  const nodes: PresenceNode[] = []
  const stop = async (): Promise<void> => {
    await inBatches(nodes.splice(0), 20, async n => n.stop().catch(() => {}))
    await fs.rm(root, { recursive: true, force: true })
  }
  try {
    const started = await inBatches(Array.from({ length: opts.nodes }, (_, i) => i), 10, async i =>
      PresenceNode.start({ home: path.join(root, `n${i}`), listen: ['/ip4/127.0.0.1/tcp/0'], sharedHost: true, presence: opts.presence, groups: opts.groups, roster: { defaultVisibility: 'public' } }))
    nodes.push(...started)
    const links = sparseTopology(opts.nodes, opts.extraDials ?? 2, prng(opts.seed ?? 1))
    await inBatches(links, 20, async ([a, b]) => { await dial(nodes[a], nodes[b]) })
    return { nodes, links, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

export async function waitUntil (cond: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

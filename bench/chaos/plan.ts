/**
 * The chaos mesh's members, made the same way for every run of a seed: each
 * node's identity and port, its random contacts (made mutual) and the two
 * random peers it bootstraps from, spread over host processes. The chaos run
 * (bench/chaos.ts) and its short start-phase diagnostic (bench/chaos-tables.ts)
 * both build their mesh here, so one seed is one mesh in both.
 */
import path from 'node:path'
import { freePorts, makeIdentity } from '../../test/mesh-helpers.js'
import { Cluster } from './cluster.js'
import type { Member } from './cluster.js'

/** Bootstrap peers per node: what a user configures, not its contacts. */
export const BOOTSTRAP_PEERS = 2
export const HOST_START_TIMEOUT_MS = 120_000

export interface MeshPlan {
  members: Member[]
  /** Member indices of each host process. */
  hostMembers: number[][]
}

/** k distinct numbers in [0, n), none of `not`. */
export function pickDistinct (random: () => number, n: number, k: number, not: Set<number>): number[] {
  const out = new Set<number>()
  for (let guard = 0; out.size < k && guard < 10_000; guard++) {
    const x = Math.floor(random() * n)
    if (!not.has(x)) out.add(x)
  }
  return [...out]
}

export async function planMesh (root: string, n: number, perProcess: number, contacts: number, random: () => number): Promise<MeshPlan> {
  const ports = await freePorts(n)
  // identities exist before the first start so every bootstrap list can name any peer
  const members: Member[] = []
  for (let i = 0; i < n; i++) {
    const home = path.join(root, `n${i}`)
    const peerId = await makeIdentity(home)
    members.push({
      i, home, port: ports[i], peerId, addr: `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${peerId}`, bootstrap: [], contacts: [],
      host: Math.floor(i / perProcess), slot: i % perProcess, sent: new Map()
    })
  }
  // contacts are mutual, so chat between them is contact chat, not a request
  for (const m of members) {
    for (const c of pickDistinct(random, n, contacts, new Set([m.i]))) {
      if (!m.contacts.includes(c)) m.contacts.push(c)
      if (!members[c].contacts.includes(m.i)) members[c].contacts.push(m.i)
    }
  }
  for (const m of members) m.bootstrap = pickDistinct(random, n, BOOTSTRAP_PEERS, new Set([m.i]))
  const hostCount = Math.ceil(n / perProcess)
  const hostMembers = Array.from({ length: hostCount }, (_, h) => members.filter(m => m.host === h).map(m => m.i))
  return { members, hostMembers }
}

/** The cluster of a plan: its hosts run `script` (the compiled bench/chaos/host.js); public presence, bootstrap only. */
export function meshCluster (plan: MeshPlan, script: string, ttlMs: number): Cluster {
  const { members, hostMembers } = plan
  return new Cluster(members, hostMembers, script, (m) => ({
    home: m.home,
    listen: [`/ip4/127.0.0.1/tcp/${m.port}`],
    bootstrap: m.bootstrap.map(j => members[j].addr),
    presence: { ttlMs },
    // the chaos run watches strangers: public presence
    roster: { defaultVisibility: 'public' }
  }), HOST_START_TIMEOUT_MS)
}

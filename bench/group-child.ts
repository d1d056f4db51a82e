/**
 * Some of group.delivery's nodes in their own process (bench/group.ts): the
 * parent names them by their index in the whole mesh and drives them by
 * calls. Members report each run once per process: `arrived` with the time
 * the last of this process's members had it, for the group text (key
 * `g<text>`) and for the raw message (key `r<n>`) alike. Times are
 * process.hrtime in ms (CLOCK_MONOTONIC: one clock for every process).
 */
import '../node/polyfill.js'
import './as-product.js'
import path from 'node:path'
import { groupTopic } from '../protocol/group-crypto.js'
import { PresenceNode } from '../node/presence-node.js'
import { serveParent } from './ipc.js'
import { utilisationSampler } from './quiet.js'
import { LocalArrivals } from './group-layout.js'
import { dialAddress } from './mesh.js'
import { startGroupTrace, TRACE_DIR } from './group-trace.js'
import type { GroupTrace } from './group-trace.js'
import type { GroupsServiceInit } from '../node/groups/index.js'
import type { PresenceServiceInit } from '../node/presence/index.js'

const now = (): number => Number(process.hrtime.bigint()) / 1e6

export interface StartParams {
  /** Indices in the whole mesh of the nodes this process runs. */
  indices: number[]
  root: string
  /** The IPv4 address the nodes listen on (default 127.0.0.1; a host's own in the --netns variant). */
  host?: string
  presence?: PresenceServiceInit
  groups?: GroupsServiceInit
}

const nodes = new Map<number, PresenceNode>()
let trace: GroupTrace | undefined
const node = (i: number): PresenceNode => {
  const n = nodes.get(i)
  if (n == null) throw new Error(`node ${i} is not in this process`)
  return n
}

const utilisation = utilisationSampler()
const push = serveParent({
  /** This process's event-loop utilisation since the previous call (bench/quiet.ts). */
  utilisation: () => utilisation(),
  start: async (p: StartParams) => {
    for (let i = 0; i < p.indices.length; i += 10) {
      await Promise.all(p.indices.slice(i, i + 10).map(async (index) => {
        nodes.set(index, await PresenceNode.start({ home: path.join(p.root, `n${index}`), listen: [`/ip4/${p.host ?? '127.0.0.1'}/tcp/0`], sharedHost: true, presence: p.presence, groups: p.groups, roster: { defaultVisibility: 'public' } }))
      }))
    }
    return p.indices.map(i => ({ index: i, peerId: node(i).peerId.toString(), address: node(i).addresses()[0].toString() }))
  },
  dial: async ({ from, address }: { from: number, address: string }) => { await dialAddress(node(from), address) },
  addContacts: async ({ at, peers }: { at: number, peers: string[] }) => { for (const p of peers) await node(at).roster.addContact(p) },
  createGroup: async ({ at, name }: { at: number, name: string }) => (await node(at).createGroup(name)).id,
  invite: async ({ at, group, peer }: { at: number, group: string, peer: string }) => { await node(at).inviteToGroup(group, peer) },
  invited: ({ indices }: { indices: number[] }) => indices.every(i => node(i).groupInvitations().length > 0),
  accept: async ({ indices, group }: { indices: number[], group: string }) => { for (const i of indices) await node(i).acceptGroup(group) },
  members: ({ at, group }: { at: number, group: string }) => node(at).group(group).members.length,
  /** The fewest members any of this process's nodes sees in the group. */
  fewestMembers: ({ group }: { group: string }) => Math.min(...[...nodes.values()].map(n => n.group(group).members.length)),
  /** Listens for the group's texts and the raw messages (members); the raw topic is subscribed by `subscribeRaw`. */
  listen: async ({ members, rawTopic }: { members: number[], rawTopic: string }) => {
    const arrivals = new LocalArrivals(members.length, (key, t) => { push('arrived', { key, t }) })
    if (TRACE_DIR != null) trace = await startGroupTrace(TRACE_DIR, nodes)
    for (const i of members) {
      node(i).addEventListener('group:message', (evt) => {
        const t = now()
        arrivals.arrive(`g${evt.detail.text}`, i, t)
        trace?.arrived(`g${evt.detail.text}`, i, t)
      })
      node(i).libp2p.services.pubsub.addEventListener('message', (evt) => {
        const t = now()
        if (evt.detail.topic !== rawTopic) return
        const key = `r${new DataView(evt.detail.data.buffer, evt.detail.data.byteOffset).getUint32(0)}`
        arrivals.arrive(key, i, t)
        trace?.arrived(key, i, t)
      })
    }
  },
  subscribeRaw: ({ indices, rawTopic }: { indices: number[], rawTopic: string }) => { for (const i of indices) node(i).libp2p.services.pubsub.subscribe(rawTopic) },
  /** The peers `at` holds on the group's topic or on `topic`, in the order it learned them (the order gossipsub publishes in). */
  topicPeers: ({ at, group, topic }: { at: number, group?: string, topic?: string }) =>
    node(at).libp2p.services.pubsub.getSubscribers(topic ?? groupTopic(Buffer.from(group ?? '', 'hex'))).map(p => p.toString()),
  /** How many peers `at` knows on the group's topic and on the raw topic. */
  subscribers: ({ at, group, rawTopic }: { at: number, group: string, rawTopic: string }) => {
    const pubsub = node(at).libp2p.services.pubsub
    return Math.min(pubsub.getSubscribers(groupTopic(Buffer.from(group, 'hex'))).length, pubsub.getSubscribers(rawTopic).length)
  },
  /** One measured run at the sender: returns when sendToGroup resolves, with the time it was called. */
  sendGroup: async ({ at, group, text }: { at: number, group: string, text: string }) => {
    const t0 = now()
    trace?.run('g', `g${text}`, t0)
    await node(at).sendToGroup(group, text)
    return t0
  },
  /** One raw run at the sender: `size` bytes numbered `n`. */
  publishRaw: async ({ at, topic, n, size }: { at: number, topic: string, n: number, size: number }) => {
    const data = new Uint8Array(size)
    new DataView(data.buffer).setUint32(0, n)
    const t0 = now()
    trace?.run('r', `r${n}`, t0)
    await node(at).libp2p.services.pubsub.publish(topic, data)
    return t0
  },
  stop: async () => {
    await trace?.stop()
    await Promise.all([...nodes.values()].map(async n => n.stop().catch(() => {})))
    nodes.clear()
  }
})
push('started', null)

import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PresenceNode } from '../node/presence-node.js'
import type { PresenceNodeOptions } from '../node/presence-node.js'

const homes: string[] = []

/** A fresh home directory, removed by cleanupHomes(). */
export async function tmpHome (name = 'node'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `pm-${name}-`))
  homes.push(dir)
  return dir
}

export async function cleanupHomes (): Promise<void> {
  await Promise.all(homes.splice(0).map(async d => fs.rm(d, { recursive: true, force: true })))
}

export const LOOPBACK = ['/ip4/127.0.0.1/tcp/0']

/**
 * What a public node puts in the DHT for fetchers (publishPresence): a test that reads or
 * checks those records passes it on again. Off by default here: a public node re-puts its record
 * at half its lifetime, a DHT lookup and a store on each closest peer, and with the short
 * lifetimes tests use that was most of what their nodes did while the test waited (three public
 * nodes, 4 s records, doing nothing: 1.7-1.9 CPU-s in 20 s with the puts, 0.17 without).
 */
export const DHT_PUTS = { publishPresence: true }

/** Starts a node on loopback with a fresh home unless one is given; no DHT presence puts unless asked for (DHT_PUTS). */
export async function startNode (opts: Partial<PresenceNodeOptions> = {}): Promise<PresenceNode> {
  return await PresenceNode.start({
    home: opts.home ?? await tmpHome(),
    listen: LOOPBACK,
    sharedHost: true,
    // test nodes on one machine must not find each other (or other agents' nodes) by multicast
    mdns: false,
    publishPresence: false,
    ...opts
  })
}

/**
 * Stops nodes at the end of a file or test, where no check follows, without the DHT goodbyes of a
 * clean stop: the empty intake record (ReachService) and an empty locator per contact
 * (LocatorService), which nobody reads then and which go to nodes that are stopping too. They were
 * most of a teardown's CPU: five public nodes with contacts, stopped together, 1.3 CPU-s with them
 * and 0.3 without (13 puts, each a lookup and a store; session 17). Nor does it wait for what only
 * a reader of the goodbye would need (session 21): the presence goodbye still goes out, but its
 * barrier's pings (goodbye-barrier.ts) fail at once, where a ping to a contact stopping in the same
 * call went unanswered until the 2 s deadline (GOODBYE_TIMEOUT_MS); and dhtPresence's beforeStop
 * does not wait for a DHT goodbye put, which the no-op put above makes nothing of (a node not public
 * waited its 3 s, DHT_GOODBYE_TIMEOUT_MS, out every time until d9a8983). Everything else of the stop
 * runs. A test that checks what a stopped node leaves behind calls node.stop() itself.
 */
export async function stopNodes (nodes: Iterable<PresenceNode | undefined>): Promise<void> {
  await Promise.all([...nodes].map(async n => {
    if (n == null || n.libp2p.status !== 'started') return
    const { dht, ping, dhtPresence } = n.libp2p.services as Partial<typeof n.libp2p.services>
    if (dht != null) dht.put = async function * () {}
    if (ping != null) ping.ping = async () => { throw new Error('stopping: no read receipt wanted') }
    if (dhtPresence != null) dhtPresence.beforeStop = async () => {}
    await n.stop()
  }))
}

/** setTimeout as it was before any test faked it: waitFor polls on the real clock. */
const realSetTimeout = globalThis.setTimeout

/**
 * Polls until cond() holds; fails with `what` after the deadline. Never a fixed sleep. It polls on the
 * real clock, so a test whose fake clock stands still while real work goes on (signing, sending) waits
 * for that work, instead of hanging on a timer nobody advances.
 */
export async function waitFor (cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let delay = 10
  while (Date.now() < deadline) {
    if (await cond()) return
    await new Promise(resolve => realSetTimeout(resolve, delay))
    delay = Math.min(delay * 2, 200)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** For nodes that others watch or locate as strangers: only public mode allows that (contacts is the default). */
export const PUBLIC = { defaultVisibility: 'public' as const }

/** x asks y to be a contact with y's contact code (reaches any node, public or not) and y accepts: both are contacts once this resolves. */
export async function makeContacts (x: PresenceNode, y: PresenceNode): Promise<void> {
  await x.requestContact(y.contactCode())
  await waitFor(() => y.contactRequests().incoming.some(r => r.peerId === x.peerId.toString()), 'the request to arrive')
  await y.accept(x.peerId)
  await waitFor(() => x.contacts().some(c => c.peerId === y.peerId.toString()), 'the accept to arrive')
}

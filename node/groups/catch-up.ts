/**
 * Catch-up (/presence-mesh/group-sync/1.0.0): a member asks another for the
 * ops and feed entries it lacks, saying how far it has each feed; the other
 * answers from its store, each author's entries in order from there. One
 * request and one response per stream (docs/protocol.md §12.5).
 */
import { lpStream } from '@libp2p/utils'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { openGroupEntry } from '../../protocol/group-entry.js'
import { canonicalEnvelope } from '../../protocol/signed-envelope.js'
import { hex, openGroupOp, peerOfMultihash } from '../../protocol/group-op.js'
import { GroupSyncRequest, GroupSyncResponse } from '../../protocol/pb/group.js'
import { decodeSyncRequest, decodeSyncResponse } from '../../protocol/group-streams.js'
import { addOp, readEntry, ReadBatch } from './feed-reader.js'
import { multihashOf } from './group.js'
import type { FeedContext } from './feed-reader.js'
import type { GroupRuntime } from './group.js'
import type { GroupStore } from './group-store.js'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import { openStreamTo } from '../util/open-stream.js'
import { askOnce } from '../util/ask-once.js'

/**
 * What this node asks for: its op heads and how far it has stored every feed
 * it knows of (a position is a receipt: the responder counts its own texts up
 * to there as delivered, so an entry read but not yet committed is not claimed).
 */
export function syncRequest (g: GroupRuntime): GroupSyncRequest {
  return {
    group: Uint8Array.from(g.groupId),
    heads: g.log.heads().map(h => uint8ArrayFromString(h, 'base16')),
    feeds: g.authors().sort().map(a => ({ author: Uint8Array.from(multihashOf(a)), next: BigInt(g.stored.get(a) ?? 1) }))
  }
}

/** How far a request says its sender has each feed, by author peer id. */
export function requestedPositions (req: GroupSyncRequest): Map<string, number> {
  const out = new Map<string, number>()
  for (const f of req.feeds) {
    const author = peerOfMultihash(f.author)
    if (author != null && f.next >= 1n && f.next <= BigInt(Number.MAX_SAFE_INTEGER)) out.set(author, Number(f.next))
  }
  return out
}

/**
 * The answer to `peer`'s request. A member or invited peer gets the ops it
 * lacks and every feed from where it stands; a member who left or was
 * removed gets only the ops up to its removal (so it learns it), nothing
 * written since; anyone else an empty answer.
 */
export async function syncResponse (g: GroupRuntime, store: GroupStore, me: string, peer: string, req: GroupSyncRequest, maxBytes: number): Promise<GroupSyncResponse> {
  const empty: GroupSyncResponse = { ops: [], entries: [], tips: [], more: false }
  const standing = g.standing(peer)
  if (standing === 'none') return empty
  const heads = req.heads.map(h => hex(h))
  if (standing === 'left' || standing === 'removed') {
    const removal = g.log.removalOf(peer)
    if (removal == null) return empty
    const known = new Set(g.log.upTo(removal.id).map(o => o.id))
    return { ...empty, ops: g.log.opsMissingFrom(heads).filter(o => known.has(o.id)).map(o => Uint8Array.from(o.envelope)) }
  }
  const ops = g.log.opsMissingFrom(heads).map(o => Uint8Array.from(o.envelope))
  let bytes = ops.reduce((n, o) => n + o.length, 0)
  const wanted = requestedPositions(req)
  const entries: Array<Uint8Array<ArrayBuffer>> = []
  let more = false
  const authors = [...new Set([...g.positions.keys(), me])].sort()
  for (const author of authors) {
    const from = wanted.get(author) ?? 1
    const to = g.positions.get(author) ?? 1
    if (from >= to) continue
    for await (const { bytes: e } of store.entriesFrom(g.id, author, from)) {
      if (bytes + e.length > maxBytes && entries.length > 0) { more = true; break }
      // the original of a copy a node before session 21 stored (§12.3): an older peer would read the copy as a fork
      entries.push(Uint8Array.from(canonicalEnvelope(e)))
      bytes += e.length
    }
    if (more) break
  }
  const tips = authors.map(a => ({ author: Uint8Array.from(multihashOf(a)), next: BigInt(g.positions.get(a) ?? 1) }))
  return { ops, entries, tips, more }
}

/** Sends one request over a new stream and reads the answer. */
export async function requestSync (connectionManager: ConnectionManager, protocol: string, peer: PeerId, req: GroupSyncRequest, maxFrame: number, signal: AbortSignal): Promise<GroupSyncResponse> {
  const stream = await openStreamTo(connectionManager, peer, protocol, { signal, runOnLimitedConnection: true })
  const res = decodeSyncResponse(await askOnce(stream, GroupSyncRequest.encode(req), { maxDataLength: maxFrame, signal }))
  if (!res.ok) throw new Error(`${res.reason} sync response: ${res.detail ?? ''}`)
  return res.frame
}

/** Reads one request, hands it to `answer`, writes the response, closes. */
export async function serveSync (stream: Stream, connection: Connection, maxFrame: number, signal: AbortSignal, answer: (peer: string, req: GroupSyncRequest) => Promise<GroupSyncResponse>): Promise<void> {
  try {
    const lp = lpStream(stream, { maxDataLength: maxFrame })
    const req = decodeSyncRequest((await lp.read({ signal })).subarray())
    if (!req.ok) throw new Error(`${req.reason} sync request: ${req.detail ?? ''}`)
    await lp.write(GroupSyncResponse.encode(await answer(connection.remotePeer.toString(), req.frame)), { signal })
    await stream.close({ signal })
  } catch (err: any) {
    stream.abort(err)
  }
}

/**
 * One catch-up response read into a batch (ops, then entries); `fresh`: the
 * entries it applied that were written less than `recentMs` ago, which the
 * asker passes on to the topic for members not connected to the responder.
 */
export function readSyncResponse (g: GroupRuntime, res: GroupSyncResponse, ctx: FeedContext, recentMs: number): { batch: ReadBatch, fresh: Uint8Array[] } {
  const batch = new ReadBatch(g.state)
  for (const bytes of res.ops) {
    const op = openGroupOp(bytes, g.groupId)
    if (op.ok) addOp(g, op.op, ctx, batch)
  }
  const fresh: Uint8Array[] = []
  for (const bytes of res.entries) {
    const e = openGroupEntry(bytes, g.groupId)
    if (!e.ok) continue
    const before = batch.applied
    readEntry(g, e.entry, ctx, batch)
    // as read: a copy goes on as the entry it copies
    if (batch.applied > before && Date.now() - e.entry.sentAt < recentMs) fresh.push(e.entry.bytes)
  }
  // what is still missing after this round is the next round's (or the next trigger's)
  batch.gap = false
  batch.excluded = false
  return { batch, fresh }
}

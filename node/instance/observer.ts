/**
 * The observer's side of the instance protocol (docs/protocol.md §13.3):
 * given two connections of one peer id, asks each for its hello, has each
 * sign the other's challenge, and hands each the other's statement. The
 * observer proves nothing itself and is trusted with nothing: an instance
 * believes a notice only because the statement in it is signed with its own
 * key over a challenge it just chose.
 */
import { CODE_P2P } from '@multiformats/multiaddr'
import { lpStream } from '@libp2p/utils'
import { equals as equal } from 'uint8arrays/equals'
import { decodeInstanceHello, encodeInstanceProbe, INSTANCE_PROTOCOL, MAX_ADDR_BYTES, MAX_INSTANCE_FRAME_BYTES, openInstanceStatement } from '../../protocol/instance.js'
import { InstanceProtocolError } from './errors.js'
import type { InstanceHello } from '../../protocol/instance.js'
import type { Connection, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'

/** same: both connections lead to one node; duplicate: two nodes, each was handed the other's statement. */
export type ExchangeResult = 'same' | 'duplicate'


interface Side { conn: Connection, stream: Stream, lp: LengthPrefixedStream<Stream> }

export async function runExchange (a: Connection, b: Connection, signal: AbortSignal): Promise<ExchangeResult> {
  const peer = a.remotePeer
  const opened = await Promise.allSettled([a, b].map(async (conn) => await conn.newStream(INSTANCE_PROTOCOL, { signal, runOnLimitedConnection: true })))
  const streams = opened.flatMap(r => r.status === 'fulfilled' ? [r.value] : [])
  const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed != null) {
    for (const s of streams) s.abort(failed.reason)
    throw failed.reason
  }
  const [sa, sb]: Side[] = [a, b].map((conn, i) => ({ conn, stream: streams[i], lp: lpStream(streams[i], { maxDataLength: MAX_INSTANCE_FRAME_BYTES }) }))
  try {
    const [ha, hb] = await Promise.all([readHello(sa, signal), readHello(sb, signal)])
    if (equal(ha.instance, hb.instance)) {
      await Promise.all([sa, sb].map(async s => { await s.stream.close({ signal }) }))
      return 'same'
    }
    await Promise.all([
      sa.lp.write(encodeInstanceProbe({ kind: 'sign', challenge: hb.challenge }), { signal }),
      sb.lp.write(encodeInstanceProbe({ kind: 'sign', challenge: ha.challenge }), { signal })
    ])
    const [sta, stb] = await Promise.all([sa.lp.read({ signal }), sb.lp.read({ signal })])
    // relay only what the receiver will accept: each statement over the other's challenge, by the instance that said hello
    const check = (bytes: Uint8Array, hello: InstanceHello, over: InstanceHello): Uint8Array => {
      const opened = openInstanceStatement(bytes, { expectedPeer: peer, challenge: over.challenge })
      if (!opened.ok) throw new InstanceProtocolError(peer.toString(), `statement: ${opened.reason}`)
      if (!equal(opened.statement.instance, hello.instance)) throw new InstanceProtocolError(peer.toString(), 'statement of another instance than its hello')
      return bytes
    }
    const fromA = check(sta.subarray(), ha, hb)
    const fromB = check(stb.subarray(), hb, ha)
    await Promise.all([
      sa.lp.write(encodeInstanceProbe({ kind: 'duplicate', statement: fromB, otherAddr: addrOf(b) }), { signal }),
      sb.lp.write(encodeInstanceProbe({ kind: 'duplicate', statement: fromA, otherAddr: addrOf(a) }), { signal })
    ])
    await Promise.all([sa, sb].map(async s => { await s.stream.close({ signal }) }))
    return 'duplicate'
  } catch (err: any) {
    for (const s of [sa, sb]) s.stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

async function readHello (side: Side, signal: AbortSignal): Promise<InstanceHello> {
  const res = decodeInstanceHello((await side.lp.read({ signal })).subarray())
  if (!res.ok) throw new InstanceProtocolError(side.conn.remotePeer.toString(), `hello: ${res.reason}`)
  return res.hello
}

/** The connection's remote address without the peer id every instance shares, if it fits in a probe (a hint for the user, not proof). */
function addrOf (conn: Connection): Uint8Array | undefined {
  const addr = conn.remoteAddr
  const bytes = (addr.getComponents().at(-1)?.name === 'p2p' ? addr.decapsulateCode(CODE_P2P) : addr).bytes
  return bytes.byteLength <= MAX_ADDR_BYTES ? bytes : undefined
}

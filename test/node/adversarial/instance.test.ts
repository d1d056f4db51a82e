/**
 * Nobody without a node's key can make it stop (docs/protocol.md §13,
 * docs/threat-model.md). The attacker is built from public libp2p packages
 * only and speaks the instance protocol byte by byte. It tries: a notice
 * signed with its own key that names A; A's own statement reflected back
 * (asked for over A's challenge on a second stream: a valid signature, the
 * right challenge); a replayed statement over an older challenge; garbage.
 * A refuses each and runs on.
 */
import { lpStream } from '@libp2p/utils'
import { beforeAll, describe, expect, it } from 'vitest'
import { sealRaw, WIRE } from '../../fixtures/attacker.js'
import { bytesOf, decode, encode } from '../../fixtures/raw-protobuf.js'
import { PUBLIC, waitFor } from '../../helpers.js'
import { targetAndAttacker } from './target.js'
import type { Attacker } from '../../fixtures/attacker.js'
import type { PresenceNode } from '../../../node/presence-node.js'
import type { Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'

interface Open { stream: Stream, lp: LengthPrefixedStream<Stream>, instance: Uint8Array, challenge: Uint8Array }

describe('an attacker without the key cannot stop a node', () => {
  let a: PresenceNode
  let x: Attacker
  let halted = false

  const t = targetAndAttacker({ roster: PUBLIC }, (a) => { void a.halted().then(() => { halted = true }) })
  beforeAll(() => { ({ a, x } = t) })

  /** A fresh instance stream to A: its hello read. */
  async function open (): Promise<Open> {
    const stream = await x.node.dialProtocol(a.peerId, WIRE.instance, { signal: AbortSignal.timeout(10_000) })
    const lp = lpStream(stream)
    const hello = decode((await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray())
    return { stream, lp, instance: bytesOf(hello, 1)[0], challenge: bytesOf(hello, 2)[0] }
  }
  const sign = (challenge: Uint8Array): Uint8Array => encode([[1, challenge]])
  const notice = (statement: Uint8Array): Uint8Array => encode([[2, statement], [3, Uint8Array.of(0x04, 127, 0, 0, 1, 0x06, 0x0f, 0xa1)]])
  const statementPayload = (instance: Uint8Array, challenge: Uint8Array, startedAt = 1): Uint8Array =>
    encode([[1, a.peerId.toMultihash().bytes], [2, instance], [3, BigInt(startedAt)], [4, challenge]])
  /** Writes the frame (A may reset the stream before it is all out). */
  async function send (s: Open, frame: Uint8Array): Promise<void> {
    await s.lp.write(frame).catch(() => {})
  }

  it('refuses every forged, reflected or replayed notice, and runs on', async () => {
    const refused = (): number => a.libp2p.services.instance.getStats().refused

    // 1. signed with the attacker's key, naming A's peer id, over A's fresh challenge, a made-up instance
    const s1 = await open()
    const forged = await sealRaw(x.privateKey, WIRE.instanceDomain, WIRE.instancePayloadType, statementPayload(new Uint8Array(16).fill(7), s1.challenge))
    await send(s1, notice(forged))
    await waitFor(() => refused() >= 1, 'the forged notice refused')

    // 2. reflection: A signs the challenge of a second stream of ours; we hand its statement back on that stream
    const s2 = await open()
    const s3 = await open()
    await s2.lp.write(sign(s3.challenge))
    const own = (await s2.lp.read({ signal: AbortSignal.timeout(10_000) })).subarray()
    await send(s3, notice(own))
    await waitFor(() => refused() >= 2, 'the reflected notice refused')

    // 3. replay: that genuine statement again, on a new stream (over an older challenge)
    const s4 = await open()
    await send(s4, notice(own))
    await waitFor(() => refused() >= 3, 'the replayed notice refused')

    // 4. garbage where a probe goes
    const s5 = await open()
    await send(s5, Uint8Array.of(0xff, 0xff, 0xff))
    await waitFor(() => refused() >= 4, 'the garbage refused')

    expect(a.libp2p.services.instance.getStats()).toMatchObject({ notices: 0 })
    expect(a.libp2p.services.instance.yieldedTo).toBeUndefined()
    expect(halted).toBe(false)
    expect(a.libp2p.status).toBe('started')
    // and it still answers: a new stream gets a hello
    const s6 = await open()
    expect(s6.instance).toEqual(s1.instance)
    s6.stream.abort(new Error('done'))
  }, 90_000)
})

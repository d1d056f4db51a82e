/** Vectors of presence records in the DHT: keys, validator, selector (docs/protocol.md §6.2). */
import { MAX_TIME_MS } from '../../protocol/limits.js'
import { A, accepted, B, C, hex, identityJson, NOW, refused, utf8, verified } from './common.js'
import { encodeFields, signed } from './envelopes.js'
import { decodedRecord, paddedTo, PM, PRESENCE_DOMAIN, record, signedRecord } from './presence.js'
import type { Identity, VectorCase, VectorFile } from './common.js'
import type { RecordJson } from './presence.js'

const PREFIX = utf8('/pm-presence/')
const keyOf = (id: Identity): Uint8Array => Uint8Array.from([...PREFIX, ...id.multihash])

export async function dhtPresenceVectors (): Promise<VectorFile> {
  const keys: VectorCase[] = [
    ...[A, B].map(id => ({ name: `key of ${id.name}`, why: 'ASCII /pm-presence/ then the 38 multihash bytes: 51 bytes', encode: { presentity: id.peerId.toString() }, bytes: hex(keyOf(id)), expect: accepted({ presentity: id.peerId.toString() }) })),
    { name: 'another namespace', bytes: hex(utf8(`/pk/${A.peerId.toString()}`)), expect: refused('malformed') },
    { name: 'prefix only', bytes: hex(PREFIX), expect: refused('malformed') },
    { name: 'truncated multihash', bytes: hex(keyOf(A).subarray(0, 40)), expect: refused('malformed') }
  ]

  const ctx = (id: Identity, over: Record<string, unknown> = {}): Record<string, unknown> => ({ key: hex(keyOf(id)), now: NOW, ...over })
  const valid = (name: string, r: RecordJson, context: Record<string, unknown>, why?: string): VectorCase =>
    ({ name, why, encode: { signer: 'A', record: r }, bytes: hex(signedRecord(A, r)), context, expect: accepted(decodedRecord(r)) })
  const refusal = (name: string, why: string, bytes: Uint8Array, reason: string, context: Record<string, unknown>): VectorCase =>
    ({ name, why, bytes: hex(bytes), context, expect: refused(reason) })

  const r = record({ seq: '5' })
  const good = signedRecord(A, r)
  const largest = record({ status: 'away', note: '😀'.repeat(280), activity: '😀'.repeat(64), seq: (2n ** 64n - 1n).toString(), issuedAt: MAX_TIME_MS - 600_000, expiresAt: MAX_TIME_MS })
  const flipped = good.slice()
  flipped[flipped.byteLength - 1] ^= 1
  const badKeyBytes = Uint8Array.from([...PREFIX, 0x00, 0x24, 0x08, 0x01])

  const records: VectorCase[] = [
    valid('A\'s record under A\'s key', r, ctx(A)),
    valid('the largest legal record (1,565 bytes)', largest, ctx(A, { now: MAX_TIME_MS - 1_000 }), 'the DHT takes the gossip envelope unchanged: limit 2,048, not 1,024'),
    valid('the same seq as the stored record', r, ctx(A, { storedSeq: '5' }), 'an equal seq is the same record, accepted'),
    valid('a higher seq than the stored record', r, ctx(A, { storedSeq: '4' })),
    refusal('a lower seq than the stored record', 'kad-dht stores whatever the validator accepts', good, 'replay', ctx(A, { storedSeq: '6' })),
    refusal('key of another namespace', 'the key is checked first', good, 'malformed', { key: hex(utf8('/pk/x')), now: NOW }),
    refusal('key with a truncated multihash', 'the key must name a peer id', good, 'malformed', { key: hex(badKeyBytes), now: NOW }),
    refusal('A\'s record under B\'s key', 'the signer must be the peer the key names', good, 'wrong-presentity', ctx(B)),
    refusal('record naming B, signed by A, under B\'s key', 'presentity = signer is checked before the key owner', signed(A, PRESENCE_DOMAIN, PM, encodeFields([{ n: 1, bytes: B.multihash }, { n: 2, varint: 1n }, { n: 5, varint: 5n }, { n: 6, varint: BigInt(NOW) }, { n: 7, varint: BigInt(NOW + 60_000) }])), 'signer-mismatch', ctx(B)),
    refusal('2,049 bytes', 'as on gossip', paddedTo(2_049), 'oversize', ctx(A)),
    refusal('expired', 'expires_at > now of the validating node', good, 'expired', ctx(A, { now: NOW + 60_000 })),
    refusal('future', 'issued_at <= now + 30 s', good, 'future', ctx(A, { now: NOW - 30_001 })),
    refusal('bad signature', 'checked last', flipped, 'bad-signature', ctx(A)),
    refusal('older than the stored record and forged', 'the replay check comes before the signature', flipped, 'replay', ctx(A, { storedSeq: '6' }))
  ]

  const s = (seq: string, over: Partial<RecordJson> = {}): string => hex(signedRecord(A, record({ seq, ...over })))
  const selection: VectorCase[] = [
    { name: 'highest seq wins', context: { values: [s('3'), s('7')] }, expect: accepted({ index: 1 }) },
    { name: 'highest seq wins, whatever the order', context: { values: [s('7'), s('3')] }, expect: accepted({ index: 0 }) },
    { name: 'equal seq: the later expiry wins', context: { values: [s('7'), s('7', { expiresAt: NOW + 90_000 })] }, expect: accepted({ index: 1 }) },
    { name: 'equal seq and expiry: the lowest index', context: { values: [s('7'), s('7')] }, expect: accepted({ index: 0 }) },
    { name: 'an undecodable value never wins', context: { values: [hex(Uint8Array.of(9, 9)), s('1')] }, expect: accepted({ index: 1 }) },
    { name: 'nothing decodes: index 0', context: { values: [hex(Uint8Array.of(9, 9)), hex(Uint8Array.of(1))] }, expect: accepted({ index: 0 }) }
  ]

  return await verified({
    type: 'dht-presence',
    spec: 'docs/protocol.md §6.2',
    description: 'Presence records in the private DHT. keys: presenceDhtKey(presentity) must give bytes; decoding names the presentity or is malformed. records: the validator checkPresenceDhtRecord(context.key, bytes, {now, storedSeq}) (encode: sealPresence, as for presence-envelope). selection: the selector picks index among context.values (it does not check signatures: validators ran first).',
    identities: { A: identityJson(A), B: identityJson(B), C: identityJson(C) },
    sections: { keys, records, selection }
  })
}

/**
 * Vectors of enhanced presence (docs/protocol.md §10): category items
 * (categories.json), bundles and the versioned inner bytes of pair messages
 * (category-bundles.json), query frames (category-query.json). Bytes are built
 * by hand (the protobuf field writer, @noble signatures, @noble/ciphers boxes),
 * independently of protocol/.
 */
import { MAX_TIME_MS } from '../../protocol/limits.js'
import { derivePairKeys, pairSharedSecret } from '../../protocol/pair-keys.js'
import { A, accepted, B, C, hex, identityJson, NOW, refused, utf8, verified } from './common.js'
import { ed25519KeyProto, encodeFields, envelope, signed } from './envelopes.js'
import { box, nonce, plaintext } from './sealed-presence.js'
import type { Field } from './envelopes.js'
import type { Identity, VectorCase, VectorFile } from './common.js'

const DOMAIN = 'presence-mesh-category'
const PE = Uint8Array.of(0x70, 0x65, 0x01)
const AVAILABILITY = { online: 1, away: 2, busy: 3, dnd: 4, offline: 5 } as const
const SOURCE = { manual: 1, automatic: 2 } as const
const ACTIVITY = ['other', 'appointment', 'away', 'breakfast', 'busy', 'dinner', 'holiday', 'in-transit', 'looking-for-work', 'lunch', 'meal',
  'meeting', 'on-the-phone', 'performance', 'permanent-absence', 'playing', 'presentation', 'shopping', 'sleeping', 'spectator', 'steering',
  'travel', 'tv', 'unknown', 'vacation', 'working', 'worship']
const MOBILITY = { fixed: 1, mobile: 2 } as const
const FREE_BUSY = { free: 1, tentative: 2, busy: 3, 'out-of-office': 4 } as const
const FIELD = { state: 10, note: 11, activity: 12, card: 13, capabilities: 14, calendar: 15, app: 16 } as const

/** A category as the vectors write it (app data in hex). */
type CategoryJson = Record<string, any> & { kind: keyof typeof FIELD }

interface ItemJson {
  presentity: string
  seq: string
  issuedAt: number
  expiresAt: number
  category: CategoryJson
}

const opt = (v: unknown, f: (x: any) => Field): Field[] => v == null ? [] : [f(v)]
const str = (n: number) => (s: string): Field => ({ n, bytes: utf8(s) })
const num = (n: number) => (t: number): Field => ({ n, varint: BigInt(t) })

/** The body fields as our encoder writes them: field order, defaults omitted, optional fields when present. */
function bodyFields (c: CategoryJson): Field[] {
  switch (c.kind) {
    case 'state': return [{ n: 1, varint: BigInt(AVAILABILITY[c.availability as keyof typeof AVAILABILITY]) }, ...opt(c.source, s => ({ n: 2, varint: BigInt(SOURCE[s as keyof typeof SOURCE]) })), ...opt(c.idleSince, num(3)), ...opt(c.manualSince, num(4))]
    case 'note': return [{ n: 1, bytes: utf8(c.text) }]
    case 'activity': return [{ n: 1, varint: BigInt(ACTIVITY.indexOf(c.activity) + 1) }, ...opt(c.text, str(2)), ...opt(c.until, num(3))]
    case 'card': return [{ n: 1, bytes: utf8(c.displayName) }, ...opt(c.title, str(2)), ...opt(c.organization, str(3)), ...opt(c.email, str(4)), ...opt(c.phone, str(5)), ...opt(c.url, str(6))]
    case 'capabilities': return [...opt(c.description, str(1)), ...opt(c.mobility, m => ({ n: 2, varint: BigInt(MOBILITY[m as keyof typeof MOBILITY]) })), ...(c.features as string[]).map(f => ({ n: 3, bytes: utf8(f) }))]
    case 'calendar': return [{ n: 1, varint: BigInt(FREE_BUSY[c.freeBusy as keyof typeof FREE_BUSY]) }, ...opt(c.until, num(2)), ...opt(c.nextFree, num(3))]
    case 'app': return [{ n: 1, bytes: utf8(c.namespace) }, ...(c.data === '' ? [] : [{ n: 2, bytes: Uint8Array.from(Buffer.from(c.data, 'hex')) }])]
  }
}

const mhOf = (peer: string): Uint8Array => [A, B, C].find(x => x.peerId.toString() === peer)!.multihash

/** The item payload fields; `body` replaces the category fields when given. */
function itemFields (i: ItemJson, body?: Field[]): Field[] {
  return [
    { n: 1, bytes: mhOf(i.presentity) }, { n: 2, varint: BigInt(i.seq) }, { n: 3, varint: BigInt(i.issuedAt) }, { n: 4, varint: BigInt(i.expiresAt) },
    ...(body ?? [{ n: FIELD[i.category.kind], bytes: encodeFields(bodyFields(i.category)) }])
  ]
}

export const item = (category: CategoryJson, over: Partial<ItemJson> = {}): ItemJson =>
  ({ presentity: A.peerId.toString(), seq: String(NOW), issuedAt: NOW, expiresAt: NOW + (category.kind === 'state' ? 60_000 : 3_600_000), category, ...over })

export const signedItem = (id: Identity, i: ItemJson): Uint8Array => signed(id, DOMAIN, PE, encodeFields(itemFields(i)))
const signedFields = (fields: Field[], id: Identity = A): Uint8Array => signed(id, DOMAIN, PE, encodeFields(fields))
const withBody = (kind: keyof typeof FIELD, body: Field[], over: Partial<ItemJson> = {}): Uint8Array =>
  signedFields(itemFields(item({ kind }, over), [{ n: FIELD[kind], bytes: encodeFields(body) }]))

/** The decoded form: the item with the category's absent fields left out. */
const decoded = (i: ItemJson): Record<string, unknown> => ({ ...i, category: Object.fromEntries(Object.entries(i.category).filter(([, v]) => v != null && v !== '')) })

const ctx = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ now: NOW + 1_000, ...over })

/** `i` signed by A with an unknown field 30 that brings the envelope to exactly `size` bytes. */
function paddedTo (i: ItemJson, size: number): Uint8Array {
  for (let n = 0; n < size; n++) {
    const bytes = signedFields([...itemFields(i), { n: 30, bytes: new Uint8Array(n) }])
    if (bytes.byteLength === size) return bytes
  }
  throw new Error(`cannot pad an item to ${size} bytes`)
}

/** A bundle of `items` and a filler item that brings it to exactly `size` bytes. */
function bundleOf (items: Uint8Array[], size: number): Uint8Array {
  for (let n = 0; n < size; n++) {
    const bytes = encodeFields([...items, new Uint8Array(n)].map(b => ({ n: 1, bytes: b })))
    if (bytes.byteLength === size) return bytes
  }
  throw new Error(`cannot fill a bundle to ${size} bytes`)
}

const STATE: CategoryJson = { kind: 'state', availability: 'online', source: 'automatic' }
const NOTE: CategoryJson = { kind: 'note', text: 'in the lab' }

async function itemVectors (): Promise<VectorFile> {
  const valid = (name: string, i: ItemJson, context = ctx(), why?: string): VectorCase =>
    ({ name, why, encode: { signer: 'A', item: i }, bytes: hex(signedItem(A, i)), context, expect: accepted(decoded(i)) })
  const decodeOnly = (name: string, why: string, bytes: Uint8Array, i: ItemJson, context = ctx()): VectorCase =>
    ({ name, why, bytes: hex(bytes), context, expect: accepted(decoded(i)) })
  const refusal = (name: string, why: string, bytes: Uint8Array, reason: string, context = ctx()): VectorCase =>
    ({ name, why, bytes: hex(bytes), context, expect: refused(reason) })

  const note = item(NOTE)
  const good = signedItem(A, note)
  const flipped = good.slice()
  flipped[flipped.byteLength - 1] ^= 1
  const features = Array.from({ length: 16 }, (_, k) => `f${k}`.padEnd(32, 'x'))
  const items: VectorCase[] = [
    valid('state: online, automatic', item(STATE)),
    valid('state: away automatically, idle since 5 min', item({ kind: 'state', availability: 'away', source: 'automatic', idleSince: NOW - 300_000 })),
    valid('state: dnd chosen by hand', item({ kind: 'state', availability: 'dnd', source: 'manual' })),
    valid('state: busy chosen by hand a minute ago (manual_since)', item({ kind: 'state', availability: 'busy', source: 'manual', manualSince: NOW - 60_000 })),
    valid('state converted from version 1: source not known', item({ kind: 'state', availability: 'busy' })),
    valid('note', note),
    valid('note of 280 four-byte code points', item({ kind: 'note', text: '😀'.repeat(280) }), ctx(), 'the limit is inclusive'),
    valid('activity: meeting until in an hour', item({ kind: 'activity', activity: 'meeting', text: 'weekly sync', until: NOW + 3_600_000 })),
    valid('activity: other with its own text', item({ kind: 'activity', activity: 'other', text: 'gardening' })),
    valid('activity: worship, the last token', item({ kind: 'activity', activity: 'worship' })),
    valid('card with every field', item({ kind: 'card', displayName: 'Alice Anders', title: 'Engineer', organization: 'ACME', email: 'alice@example.org', phone: '+1 555 0100', url: 'https://example.org/alice' })),
    valid('card: display name of 64 code points', item({ kind: 'card', displayName: 'é'.repeat(64) })),
    valid('capabilities: 16 features of 32 characters', item({ kind: 'capabilities', description: 'laptop', mobility: 'fixed', features })),
    valid('capabilities: nothing said', item({ kind: 'capabilities', features: [] }), ctx(), 'an empty body'),
    valid('calendar: busy until, next free', item({ kind: 'calendar', freeBusy: 'busy', until: NOW + 1_800_000, nextFree: NOW + 1_800_000 })),
    valid('calendar: out of office', item({ kind: 'calendar', freeBusy: 'out-of-office' })),
    valid('application category: 512 bytes under a 64-character namespace', item({ kind: 'app', namespace: `org.${'x'.repeat(55)}.game`, data: '07'.repeat(512) })),
    valid('state with a ttl of exactly 10 min', item(STATE, { expiresAt: NOW + 600_000 })),
    valid('note with a ttl of exactly 24 h', item(NOTE, { expiresAt: NOW + 86_400_000 })),
    valid('seq equal to the floor', note, ctx({ minSeq: String(NOW) }), 'an item resent unchanged is not a replay'),
    valid('the category asked for', note, ctx({ expectedKey: 'note', expectedPresentity: A.peerId.toString() })),
    decodeOnly('unknown fields in the item and in the body are ignored', 'forward compatibility', signedFields([...itemFields(note, [{ n: 11, bytes: encodeFields([{ n: 1, bytes: utf8('in the lab') }, { n: 9, varint: 1n }]) }]), { n: 30, bytes: utf8('later') }]), note),
    decodeOnly('an empty optional text is absent', 'activity text "" on the wire', withBody('activity', [{ n: 1, varint: 12n }, { n: 2, bytes: new Uint8Array(0) }]), item({ kind: 'activity', activity: 'meeting' })),
    decodeOnly('item fields in reverse order', 'protobuf does not fix the order', signedFields([...itemFields(note)].reverse()), note),

    refusal('2,049 bytes', 'checked before decoding', paddedTo(note, 2049), 'oversize'),
    decodeOnly('exactly 2,048 bytes', 'the size limit is inclusive', paddedTo(note, 2048), note),
    refusal('not an envelope', 'the envelope does not decode', Uint8Array.of(0xff, 0xff), 'malformed'),
    refusal('availability 6', 'closed enum: an undeclared value is malformed', withBody('state', [{ n: 1, varint: 6n }]), 'malformed'),
    refusal('note text given twice', 'a singular field of a body occurs once', withBody('note', [{ n: 1, bytes: utf8('a') }, { n: 1, bytes: utf8('b') }]), 'malformed'),
    refusal('note text not UTF-8', '0xc3 0x28', withBody('note', [{ n: 1, bytes: Uint8Array.of(0xc3, 0x28) }]), 'malformed'),
    refusal('a category field as a varint', 'category fields are messages', signedFields(itemFields(note, [{ n: 11, varint: 1n }])), 'malformed'),
    refusal('presence payload type', 'the payload type must be 0x706501', signed(A, DOMAIN, Uint8Array.of(0x70, 0x6d, 0x01), encodeFields(itemFields(note))), 'wrong-payload-type'),
    refusal('secp256k1 key', 'only Ed25519', envelope(encodeFields([{ n: 1, varint: 2n }, { n: 2, bytes: new Uint8Array(33).fill(2) }]), PE, encodeFields(itemFields(note)), new Uint8Array(64)), 'unsupported-key'),
    refusal('presentity B, signed by A', 'presentity = the signer', signedFields(itemFields({ ...note, presentity: B.peerId.toString() })), 'signer-mismatch'),
    refusal('A\'s item where B\'s is expected', 'the other member of the pair, or the peer asked', good, 'wrong-presentity', ctx({ expectedPresentity: B.peerId.toString() })),
    refusal('a note where the card was asked', 'an answer is of the category asked', good, 'wrong-category', ctx({ expectedKey: 'card' })),
    refusal('no category', 'exactly one category field', signedFields(itemFields(note, [])), 'invalid-field'),
    refusal('two categories', 'exactly one category field', signedFields(itemFields(note, [{ n: 11, bytes: encodeFields(bodyFields(NOTE)) }, { n: 13, bytes: encodeFields([{ n: 1, bytes: utf8('A') }]) }])), 'invalid-field'),
    refusal('availability 0', 'declared but unspecified', withBody('state', [{ n: 2, varint: 1n }]), 'invalid-field'),
    refusal('idle_since on a state chosen by hand', 'only an automatic away has it', signedItem(A, item({ kind: 'state', availability: 'away', source: 'manual', idleSince: NOW })), 'invalid-field'),
    refusal('manual_since on an automatic state', 'only a state chosen by hand has it', signedItem(A, item({ kind: 'state', availability: 'away', source: 'automatic', manualSince: NOW })), 'invalid-field'),
    refusal('empty note', 'a note has 1 to 280 code points', withBody('note', []), 'invalid-field'),
    refusal('note of 281 code points', 'limit 280', signedItem(A, item({ kind: 'note', text: 'x'.repeat(281) })), 'invalid-field'),
    refusal('activity other without text', 'other needs its text', withBody('activity', [{ n: 1, varint: 1n }]), 'invalid-field'),
    refusal('activity text with a line feed', 'single line', signedItem(A, item({ kind: 'activity', activity: 'meeting', text: 'a\nb' })), 'invalid-field'),
    refusal('card without display name', 'display name 1 to 64', withBody('card', [{ n: 2, bytes: utf8('Engineer') }]), 'invalid-field'),
    refusal('card url of 257 code points', 'limit 256', signedItem(A, item({ kind: 'card', displayName: 'A', url: 'u'.repeat(257) })), 'invalid-field'),
    refusal('17 features', 'at most 16', signedItem(A, item({ kind: 'capabilities', features: [...features, 'chat'] })), 'invalid-field'),
    refusal('a feature twice', 'no two equal', signedItem(A, item({ kind: 'capabilities', features: ['chat', 'chat'] })), 'invalid-field'),
    refusal('a feature in capitals', '[a-z0-9][a-z0-9.-]*', signedItem(A, item({ kind: 'capabilities', features: ['Chat'] })), 'invalid-field'),
    refusal('calendar state 0', 'declared but unspecified', withBody('calendar', [{ n: 2, varint: BigInt(NOW) }]), 'invalid-field'),
    refusal('namespace without a dot', 'reverse DNS', signedItem(A, item({ kind: 'app', namespace: 'game', data: '' })), 'invalid-field'),
    refusal('513 bytes of application data', 'limit 512', signedItem(A, item({ kind: 'app', namespace: 'org.example.game', data: '00'.repeat(513) })), 'invalid-field'),
    refusal('seq 0', 'seq > 0', signedFields(itemFields(note).filter(f => f.n !== 2)), 'invalid-field'),
    refusal('ttl 999 ms', 'ttl >= 1 s', signedItem(A, item(NOTE, { expiresAt: NOW + 999 })), 'invalid-field', ctx({ now: NOW })),
    refusal('issued_at 2^53', 'times are at most 2^53 - 1', signedFields(itemFields(item(NOTE, { issuedAt: MAX_TIME_MS + 1, expiresAt: MAX_TIME_MS + 3_600_001 }))), 'invalid-field'),
    refusal('state with a ttl of 10 min + 1 ms', 'the state follows presence records', signedItem(A, item(STATE, { expiresAt: NOW + 600_001 })), 'ttl-too-long'),
    refusal('note with a ttl of 24 h + 1 ms', 'MAX_CATEGORY_TTL_MS', signedItem(A, item(NOTE, { expiresAt: NOW + 86_400_001 })), 'ttl-too-long'),
    refusal('issued 30 s + 1 ms ahead', 'issued_at <= now + 30 s', signedItem(A, item(NOTE, { issuedAt: NOW + 31_001, expiresAt: NOW + 3_631_001 })), 'future'),
    refusal('expired', 'expires_at > now', signedItem(A, item(NOTE, { issuedAt: NOW - 10_000, expiresAt: NOW + 1_000 })), 'expired'),
    refusal('seq below the floor', 'an older item than one accepted', good, 'replay', ctx({ minSeq: String(NOW + 1) })),
    refusal('one bit of the signature flipped', 'checked last', flipped, 'bad-signature'),
    refusal('signed over the presence domain', 'the domain is part of what is signed', envelope(ed25519KeyProto(A.publicKey), PE, encodeFields(itemFields(note)), signed(A, 'presence-mesh-presence', PE, encodeFields(itemFields(note))).subarray(-64)), 'bad-signature')
  ]
  return await verified({
    type: 'categories',
    spec: 'docs/protocol.md §10.1, §10.2',
    description: 'Signed category items. encode: the signer and the item (times as numbers, seq as a decimal string, application data in hex); bytes: the marshaled envelope. The decoder runs with context now, and optionally expectedPresentity, expectedKey (the category a query asked for) and minSeq (the replay floor: a lower seq is a replay, an equal one is not); expect.decoded is the item, absent fields left out.',
    identities: { A: identityJson(A), B: identityJson(B), C: identityJson(C) },
    sections: { items }
  })
}

async function bundleVectors (): Promise<VectorFile> {
  const keys = derivePairKeys(pairSharedSecret(B.seed, A.publicKey), B.multihash, A.multihash)
  const bundle = (items: Uint8Array[]): Uint8Array => encodeFields(items.map(bytes => ({ n: 1, bytes })))
  const state = signedItem(A, item(STATE, { seq: String(NOW + 10) }))
  const note = signedItem(A, item(NOTE, { seq: String(NOW) }))
  const calendar = signedItem(A, item({ kind: 'calendar', freeBusy: 'busy' }, { seq: String(NOW + 1) }))
  const forgedNote = note.slice()
  forgedNote[forgedNote.byteLength - 1] ^= 1
  const bctx = (floors: Record<string, string> = {}, held: Record<string, string> = {}): Record<string, unknown> =>
    ({ now: NOW + 1_000, presentity: A.peerId.toString(), floors, held })
  const result = (accepted: string[], kept: string[] = []): Record<string, unknown> => ({ state: decoded(item(STATE, { seq: String(NOW + 10) })), accepted, kept })
  const ok = (name: string, items: Uint8Array[], context: Record<string, unknown>, res: Record<string, unknown>, why?: string): VectorCase =>
    ({ name, why, encode: { items: items.map(hex) }, bytes: hex(bundle(items)), context, expect: accepted(res) })
  const bad = (name: string, why: string, bytes: Uint8Array, reason: string, context = bctx()): VectorCase =>
    ({ name, why, bytes: hex(bytes), context, expect: refused(reason) })
  const apps = Array.from({ length: 9 }, (_, k) => signedItem(A, item({ kind: 'app', namespace: `org.example.a${k}`, data: '01' }, { seq: String(NOW + 20 + k) })))
  const bundles: VectorCase[] = [
    ok('the state alone: a goodbye, or all a status-only contact sees', [state], bctx(), result(['state'])),
    ok('state, note and calendar, first seen', [state, note, calendar], bctx(), result(['state', 'note', 'calendar'])),
    ok('the note held with the same seq is kept as it is', [state, note], bctx({ state: String(NOW + 9), note: String(NOW) }, { note: String(NOW) }), result(['state'], ['note']), 'only its state is verified'),
    ok('a held item kept even with a bent signature', [state, forgedNote], bctx({ state: String(NOW + 9), note: String(NOW) }, { note: String(NOW) }), result(['state'], ['note']), 'the pair\'s box authenticates the bundle; the item held was verified before'),
    ok('an item seen before but not held now is verified again', [state, note], bctx({ state: String(NOW + 9), note: String(NOW) }), result(['state', 'note'])),
    ok('eight application categories', [state, ...apps.slice(0, 8)], bctx(), result(['state', ...Array.from({ length: 8 }, (_, k) => `app:org.example.a${k}`)])),
    bad('more than 8,192 bytes', 'MAX_BUNDLE_BYTES', bundle([state, new Uint8Array(8_200)]), 'oversize'),
    bad('not protobuf', 'a length past the end', Uint8Array.of(0x0a, 0x09, 0x01), 'malformed'),
    bad('an item as a varint', 'items are bytes', encodeFields([{ n: 1, bytes: state }, { n: 1, varint: 3n }]), 'malformed'),
    bad('17 items', 'MAX_BUNDLE_ITEMS', bundle(Array.from({ length: 17 }, () => state)), 'too-many-items'),
    bad('nine application categories', 'MAX_APP_CATEGORIES', bundle([state, ...apps]), 'too-many-items'),
    bad('no state', 'every bundle carries the state', bundle([note]), 'missing-state'),
    bad('two notes', 'one item per category', bundle([state, note, signedItem(A, item({ kind: 'note', text: 'again' }, { seq: String(NOW + 2) }))]), 'duplicate-category'),
    bad('an item of C in A\'s bundle', 'every item is the presentity\'s', bundle([state, signedItem(C, item(NOTE, { presentity: C.peerId.toString() }))]), 'wrong-presentity'),
    bad('an invalid item refuses the bundle', 'items are checked whole (§10.1)', bundle([state, signedItem(A, item({ kind: 'note', text: 'x'.repeat(281) }))]), 'invalid-field'),
    bad('a state not newer than the floor: a replayed message', 'every genuine bundle carries a newer state', bundle([state, note]), 'replay', bctx({ state: String(NOW + 10) })),
    bad('an item older than one accepted', 'no category goes back', bundle([state, note]), 'replay', bctx({ state: String(NOW + 9), note: String(NOW + 1) })),
    bad('a new item with a bent signature', 'items not held are verified', bundle([state, forgedNote]), 'bad-signature')
  ]

  const v1 = signed(A, 'presence-mesh-presence', Uint8Array.of(0x70, 0x6d, 0x01), encodeFields([{ n: 1, bytes: A.multihash }, { n: 2, varint: 1n }, { n: 5, varint: BigInt(NOW) }, { n: 6, varint: BigInt(NOW) }, { n: 7, varint: BigInt(NOW + 60_000) }, { n: 8, varint: 2n }]))
  const inner2 = (b: Uint8Array): Uint8Array => Uint8Array.from([0x00, 0x02, ...b])
  const mctx = { key: hex(keys.presence), topic: keys.topic }
  const message = (name: string, inner: Uint8Array, n: number, expect: VectorCase['expect'], why?: string, encode = true): VectorCase =>
    ({ name, why, ...(encode ? { encode: { nonce: hex(nonce(n)), inner: hex(inner) } } : {}), bytes: hex(box(keys.presence, keys.topic, nonce(n), plaintext(inner))), context: mctx, expect })
  const big = bundleOf([state], 8_192)
  const messages: VectorCase[] = [
    message('version 2: a bundle', inner2(bundle([state, note])), 21, accepted({ version: 2, bundle: hex(bundle([state, note])) })),
    message('version 1: a presence envelope with max_version 2', v1, 22, accepted({ version: 1, envelope: hex(v1) }), 'what a node sends a contact until it reads bundles'),
    message('the largest bundle: 8,488 bytes sealed', inner2(big), 23, accepted({ version: 2, bundle: hex(big) })),
    message('version 3', Uint8Array.of(0x00, 0x03, 0x0a, 0x00), 24, refused('malformed'), 'no such version', false),
    message('a lone 0x00', Uint8Array.of(0x00), 25, refused('malformed'), 'a version byte is missing', false),
    message('nothing inside', new Uint8Array(0), 26, refused('malformed'), 'an empty inner has no version', false),
    { name: 'over 8,488 bytes', why: 'not opened', bytes: hex(box(keys.presence, keys.topic, nonce(27), plaintext(new Uint8Array(8_500)))), context: mctx, expect: refused('undecryptable') },
    { name: 'sealed under another pair\'s key', why: 'the AEAD does not open', bytes: hex(box(keys.locator, keys.topic, nonce(28), plaintext(inner2(bundle([state]))))), context: mctx, expect: refused('undecryptable') }
  ]
  return await verified({
    type: 'category-bundles',
    spec: 'docs/protocol.md §10.4, §8.3',
    description: 'What one watcher gets. Section messages: sealed pair-topic messages (context: the A-B pair\'s presence key and topic; encode: nonce and inner bytes) and the version their inner bytes have (decoded: version 1 with the envelope, or 2 with the bundle). Section bundles: CategoryBundle bytes (encode: the item envelopes) as B opens A\'s bundle, with the floors (highest seq accepted per category; the state\'s is A\'s record floor) and the items B holds (category -> seq); decoded: the state item, the categories verified now (accepted, in bundle order) and those kept as held.',
    identities: { A: identityJson(A), B: identityJson(B), C: identityJson(C) },
    pair: { topic: keys.topic, presence: hex(keys.presence) },
    sections: { messages, bundles }
  })
}

async function queryVectors (): Promise<VectorFile> {
  const note = signedItem(A, item(NOTE))
  const q = (name: string, category: string | undefined, bytes: Uint8Array, expect: VectorCase['expect'], why?: string): VectorCase =>
    ({ name, why, ...(category != null ? { encode: { category } } : {}), bytes: hex(bytes), expect })
  const a = (name: string, itemHex: string | undefined, bytes: Uint8Array, expect: VectorCase['expect'], why?: string, encode = true): VectorCase =>
    ({ name, why, ...(encode ? { encode: itemHex == null ? {} : { item: itemHex } } : {}), bytes: hex(bytes), expect })
  const queries: VectorCase[] = [
    q('the calendar', 'calendar', encodeFields([{ n: 1, bytes: utf8('calendar') }]), accepted({ category: 'calendar' })),
    q('an application category', 'app:org.example.game', encodeFields([{ n: 1, bytes: utf8('app:org.example.game') }]), accepted({ category: 'app:org.example.game' })),
    q('129 bytes', undefined, encodeFields([{ n: 1, bytes: utf8(`app:org.${'x'.repeat(119)}`) }]), refused('oversize'), 'MAX_QUERY_BYTES'),
    q('not protobuf', undefined, Uint8Array.of(0x0a, 0x05), refused('malformed')),
    q('no such category', undefined, encodeFields([{ n: 1, bytes: utf8('mood') }]), refused('invalid-field'), 'a key of §10.2'),
    q('nothing asked', undefined, new Uint8Array(0), refused('invalid-field'))
  ]
  const answers: VectorCase[] = [
    a('found: the note', hex(note), encodeFields([{ n: 1, varint: 1n }, { n: 2, bytes: note }]), accepted({ item: hex(note) })),
    a('nothing to see', undefined, encodeFields([{ n: 1, varint: 2n }]), accepted({}), 'not set and not allowed look the same'),
    a('found without an item', undefined, encodeFields([{ n: 1, varint: 1n }]), refused('invalid-field'), undefined, false),
    a('nothing, with an item', undefined, encodeFields([{ n: 1, varint: 2n }, { n: 2, bytes: note }]), refused('invalid-field'), undefined, false),
    a('result 0', undefined, new Uint8Array(0), refused('invalid-field'), undefined, false),
    a('result 3', undefined, encodeFields([{ n: 1, varint: 3n }]), refused('malformed'), 'closed enum', false),
    a('2,065 bytes', undefined, encodeFields([{ n: 1, varint: 1n }, { n: 2, bytes: new Uint8Array(2_060) }]), refused('oversize'), 'MAX_ANSWER_BYTES', false)
  ]
  return await verified({
    type: 'category-query',
    spec: 'docs/protocol.md §10.6',
    description: 'The frames of /presence-mesh/presence-query/1.0.0 (without their length prefix). queries: encode.category, decoded.category. answers: encode.item (hex, absent for NONE), decoded.item; the item is then opened as categories.json says.',
    identities: { A: identityJson(A) },
    sections: { queries, answers }
  })
}

export const categoryVectors = itemVectors
export const categoryBundleVectors = bundleVectors
export const categoryQueryVectors = queryVectors

/**
 * The conformance harness: how each section of a vector file under
 * docs/vectors/ maps onto protocol/. Every adapter reads only the JSON case
 * (identities are rebuilt from the seeds the file lists), runs the encoder
 * when the case has `encode`, and always the decoder on `bytes`.
 * docs/protocol.md §9 says how to add a wire type.
 */
import { privateKeyFromProtobuf, privateKeyFromRaw, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { decodeChatFrame, encodeChatFrame } from '../../../protocol/chat-frame.js'
import { decodePunch, encodePunch } from '../../../protocol/punch.js'
import { multiaddr } from '@multiformats/multiaddr'
import { PROTOCOL_NAME as CHAT_PROTOCOL_NAME, PROTOCOL_VERSION as CHAT_PROTOCOL_VERSION } from '../../../node/chat/constants.js'
import { CONTACT_PROTOCOL } from '../../../node/contacts/constants.js'
import {
  decodeContactReceipt, encodeContactReceipt, messageKey, openContactMessage, sealContactMessage
} from '../../../protocol/contact-request.js'
import { ContactCodeError, deriveCodeKeys, formatContactCode, intakeIdentity, parseContactCode } from '../../../protocol/contact-code.js'
import { checkPresenceDhtRecord, DHT_PROTOCOL, presenceDhtKey, presentityOfDhtKey, selectPresenceDhtRecord } from '../../../protocol/dht-presence.js'
import { checkLocatorDhtValue, locatorAad, openLocator, sealLocator } from '../../../protocol/locator-record.js'
import { derivePairKeys, locatorDhtKey, PairKeyError, pairSharedSecret } from '../../../protocol/pair-keys.js'
import { categoryKey } from '../../../protocol/categories.js'
import { encodeBundle, openBundle, openPairMessage, sealPairMessage } from '../../../protocol/category-bundle.js'
import { openCategory, sealCategory } from '../../../protocol/category-item.js'
import { decodeAnswer, decodeQuery, encodeAnswer, encodeQuery, QUERY_PROTOCOL } from '../../../protocol/category-query.js'
import { encodeNotifyFrame, NOTIFY_PROTOCOL, readNotifyFrame } from '../../../protocol/notify-frame.js'
import { openPresence, sealPresence } from '../../../protocol/presence-record.js'
import { openPresenceFromPair, sealPresenceForPair } from '../../../protocol/sealed-box.js'
import { PAIR_TOPIC_PREFIX, presenceTopic, protocolId } from '../../../protocol/topics.js'
import { GROUP_ADAPTERS } from './group-adapters.js'
import { INSTANCE_ADAPTERS } from './instance-adapters.js'
import { DEVICE_ADAPTERS } from './device-adapters.js'
import type { Category } from '../../../protocol/categories.js'
import type { CategoryItem } from '../../../protocol/category-item.js'
import type { ChatFrame } from '../../../protocol/chat-frame.js'
import type { ContactMessage, ContactMessageKind, ContactReceipt } from '../../../protocol/contact-request.js'
import type { Locator } from '../../../protocol/locator-record.js'
import type { OpenResult, Presence, PresenceStatus } from '../../../protocol/presence-record.js'
import type { PrivateKey } from '@libp2p/interface'

export type Expect = { ok: true, decoded: unknown } | { ok: false, reason: string }

export interface VectorCase {
  name: string
  why?: string
  encode?: any
  bytes?: string
  context?: any
  expect: Expect
}

export interface VectorFile {
  type: string
  spec: string
  description: string
  identities?: Record<string, { seed: string, publicKey: string, peerId: string }>
  /** Derived inputs the cases share, for readers (the adapters use the cases' own context). */
  pair?: Record<string, unknown>
  sections: Record<string, VectorCase[]>
}

/** What the implementation made of a case: the encoder's bytes (when the case encodes) and the decoder's outcome. */
export interface Outcome {
  encoded?: string
  outcome: Expect
}

export type Adapter = (c: VectorCase, file: VectorFile) => Promise<Outcome>

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const fail = (reason: string): Expect => ({ ok: false, reason })
const okay = (decoded: unknown): Expect => ({ ok: true, decoded })

/** The private key of a named identity, from the seed the file lists. */
export function keyOf (file: VectorFile, name: string): PrivateKey {
  const id = file.identities?.[name]
  if (id == null) throw new Error(`${file.type}: no identity ${name}`)
  const seed = unhex(id.seed)
  return privateKeyFromRaw(Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]))
}

// ---- presence (§2, §3) ----

export function presenceJson (p: Presence): Record<string, unknown> {
  return {
    presentity: p.presentity.toString(),
    status: p.status,
    ...(p.note != null ? { note: p.note } : {}),
    ...(p.activity != null ? { activity: p.activity } : {}),
    seq: p.seq.toString(),
    issuedAt: p.issuedAt,
    expiresAt: p.expiresAt,
    ...(p.maxVersion != null ? { maxVersion: p.maxVersion } : {})
  }
}

function presenceFromJson (r: any): Presence {
  return { presentity: peerIdFromString(r.presentity), status: r.status as PresenceStatus, note: r.note, activity: r.activity, seq: BigInt(r.seq), issuedAt: r.issuedAt, expiresAt: r.expiresAt, maxVersion: r.maxVersion }
}

const openResult = (res: OpenResult): Expect => res.ok ? okay(presenceJson(res.presence)) : fail(res.reason)

function openOptions (ctx: any): Parameters<typeof openPresence>[1] {
  return { now: ctx.now, expectedPresentity: ctx.expectedPresentity, lastSeq: ctx.lastSeq != null ? BigInt(ctx.lastSeq) : undefined }
}

async function sealPresenceCase (c: VectorCase, file: VectorFile): Promise<string | undefined> {
  return c.encode == null ? undefined : hex(await sealPresence(presenceFromJson(c.encode.record), keyOf(file, c.encode.signer)))
}

const presenceRecords: Adapter = async (c, file) => ({
  encoded: await sealPresenceCase(c, file),
  outcome: openResult(await openPresence(unhex(c.bytes!), openOptions(c.context)))
})

// ---- sealed presence on a pair topic (§8.3) ----

const sealedPresence: Adapter = async (c) => {
  const key = unhex(c.context.key)
  const encoded = c.encode == null ? undefined : hex(sealPresenceForPair(key, c.context.topic, unhex(c.encode.envelope), unhex(c.encode.nonce)))
  const envelope = openPresenceFromPair(key, c.context.topic, unhex(c.bytes!))
  if (envelope == null) return { encoded, outcome: fail('undecryptable') }
  const res = await openPresence(envelope, openOptions(c.context))
  return { encoded, outcome: res.ok ? okay({ envelope: hex(envelope), presence: presenceJson(res.presence) }) : fail(res.reason) }
}

// ---- presence in the DHT (§6.2) ----

const dhtKeys: Adapter = async (c) => {
  const encoded = c.encode == null ? undefined : hex(presenceDhtKey(peerIdFromString(c.encode.presentity)))
  try {
    return { encoded, outcome: okay({ presentity: presentityOfDhtKey(unhex(c.bytes!)).toString() }) }
  } catch {
    return { encoded, outcome: fail('malformed') }
  }
}

const dhtRecords: Adapter = async (c, file) => ({
  encoded: await sealPresenceCase(c, file),
  outcome: openResult(await checkPresenceDhtRecord(unhex(c.context.key), unhex(c.bytes!), {
    now: c.context.now, storedSeq: c.context.storedSeq != null ? BigInt(c.context.storedSeq) : undefined
  }))
})

const dhtSelection: Adapter = async (c) => ({
  outcome: okay({ index: selectPresenceDhtRecord((c.context.values as string[]).map(unhex)) })
})

// ---- locator records (§8.6) ----

function locatorJson (l: Locator): Record<string, unknown> {
  return { publisher: l.publisher.toString(), audience: l.audience.toString(), addrs: l.addrs.map(hex), seq: l.seq.toString(), issuedAt: l.issuedAt, expiresAt: l.expiresAt }
}

const locatorRecords: Adapter = async (c, file) => {
  const ctx = c.context
  const locatorKey = unhex(ctx.locatorKey)
  const dhtKey = unhex(ctx.dhtKey)
  if (locatorAad(dhtKey) !== ctx.aad) throw new Error(`${c.name}: the AAD of ${ctx.dhtKey} is ${locatorAad(dhtKey)}, the vector says ${ctx.aad as string}`)
  let encoded: string | undefined
  if (c.encode != null) {
    const l = c.encode.locator
    const locator: Locator = { publisher: peerIdFromString(l.publisher), audience: peerIdFromString(l.audience), addrs: l.addrs.map(unhex), seq: BigInt(l.seq), issuedAt: l.issuedAt, expiresAt: l.expiresAt }
    encoded = hex(await sealLocator(locator, keyOf(file, c.encode.signer), locatorKey, dhtKey, unhex(c.encode.nonce)))
  }
  const res = await openLocator(unhex(c.bytes!), locatorKey, dhtKey, {
    now: ctx.now, publisher: peerIdFromString(ctx.publisher), audience: peerIdFromString(ctx.audience), lastSeq: ctx.lastSeq != null ? BigInt(ctx.lastSeq) : undefined
  })
  return { encoded, outcome: res.ok ? okay(locatorJson(res.locator)) : fail(res.reason) }
}

const locatorDhtShape: Adapter = async (c) => {
  try {
    checkLocatorDhtValue(unhex(c.context.key), unhex(c.bytes!))
    return { outcome: okay({}) }
  } catch (err: any) {
    return { outcome: fail(err.reason ?? String(err)) }
  }
}

// ---- contact messages and receipts (§8.4) ----

function contactJson (m: ContactMessage): Record<string, unknown> {
  return {
    kind: m.kind,
    requestId: hex(m.requestId),
    from: m.from.toString(),
    to: m.to.toString(),
    ...(m.greeting != null ? { greeting: m.greeting } : {}),
    sentAt: m.sentAt,
    ...(m.replyAddrs != null ? { replyAddrs: m.replyAddrs.map(hex) } : {})
  }
}

const contactMessages: Adapter = async (c, file) => {
  let encoded: string | undefined
  if (c.encode != null) {
    const m = c.encode.message
    const message: ContactMessage = { kind: m.kind, requestId: unhex(m.requestId), from: peerIdFromString(m.from), to: peerIdFromString(m.to), greeting: m.greeting, sentAt: m.sentAt, replyAddrs: m.replyAddrs?.map(unhex) }
    encoded = hex(await sealContactMessage(message, keyOf(file, c.encode.signer)))
  }
  const seen = new Set<string>(c.context.seen ?? [])
  const sender = c.context.sender == null ? undefined : peerIdFromString(file.identities![c.context.sender].peerId)
  const res = await openContactMessage(unhex(c.bytes!), { now: c.context.now, me: peerIdFromString(c.context.me), seen, sender, intake: c.context.intake === true })
  return { encoded, outcome: res.ok ? okay(contactJson(res.message)) : fail(res.reason) }
}

const receiptJson = (r: ContactReceipt): Record<string, unknown> =>
  ({ requestId: hex(r.requestId), ...(r.kind != null ? { kind: r.kind } : {}), accepted: r.accepted, ...(r.retryLater === true ? { retryLater: true } : {}) })

const contactReceipts: Adapter = async (c) => {
  const encoded = c.encode == null
    ? undefined
    : hex(encodeContactReceipt({ requestId: unhex(c.encode.requestId), kind: c.encode.kind as ContactMessageKind | undefined, accepted: c.encode.accepted, retryLater: c.encode.retryLater }))
  const res = decodeContactReceipt(unhex(c.bytes!))
  return { encoded, outcome: res.ok ? okay(receiptJson(res.receipt)) : fail(res.reason) }
}

/** messageKey() of a processed message, as the `seen` context lists it. */
export const seenKey = (kind: ContactMessageKind, requestId: string): string => messageKey(kind, unhex(requestId))

// ---- contact codes (§8.7) ----

const contactCodes: Adapter = async (c, file) => {
  const encoded = c.encode == null
    ? undefined
    : hex(new TextEncoder().encode(formatContactCode({ peer: peerIdFromString(file.identities![c.encode.owner].peerId), secret: unhex(c.encode.secret) })))
  try {
    const code = parseContactCode(new TextDecoder().decode(unhex(c.bytes!)))
    return { encoded, outcome: okay({ peerId: code.peer.toString(), secret: hex(code.secret) }) }
  } catch (err) {
    if (err instanceof ContactCodeError) return { encoded, outcome: fail(err.reason) }
    throw err
  }
}

const codeDerivations: Adapter = async (c, file) => {
  const owner = peerIdFromString(file.identities![c.context.owner].peerId)
  const keys = deriveCodeKeys({ peer: owner, secret: unhex(c.context.secret) })
  const intake = await intakeIdentity(keys)
  const dhtKey = locatorDhtKey(keys, owner.toMultihash().bytes)
  return {
    outcome: okay({
      intakeSeed: hex(keys.intakeSeed),
      intakePublicKey: hex(intake.key.publicKey.raw),
      intakePeerId: intake.peerId.toString(),
      locator: hex(keys.locator),
      locatorId: hex(keys.locatorId),
      intakeLocatorDhtKey: hex(dhtKey),
      intakeLocatorAad: locatorAad(dhtKey)
    })
  }
}

// ---- chat frames (§7) ----

function chatJson (f: ChatFrame): Record<string, unknown> {
  const base = { kind: f.kind, id: hex(f.id), sentAt: f.sentAt }
  if (f.kind === 'text') return { ...base, text: f.text }
  if (f.kind === 'typing') return base
  return { ...base, ref: hex(f.ref) }
}

function chatFromJson (f: any): ChatFrame {
  const base = { id: unhex(f.id), sentAt: f.sentAt }
  if (f.kind === 'text') return { kind: 'text', ...base, text: f.text }
  if (f.kind === 'typing') return { kind: 'typing', ...base }
  return { kind: f.kind, ...base, ref: unhex(f.ref) }
}

const chatFrames: Adapter = async (c) => {
  const encoded = c.encode == null ? undefined : hex(encodeChatFrame(chatFromJson(c.encode.frame)))
  const res = decodeChatFrame(unhex(c.bytes!))
  return { encoded, outcome: res.ok ? okay(chatJson(res.frame)) : fail(res.reason) }
}

// ---- hole punch messages (§6.5) ----

const punchMessages: Adapter = async (c) => {
  const f = c.encode?.frame
  const encoded = f == null ? undefined : hex(encodePunch(f.kind === 'sync' ? { kind: 'sync' } : { kind: 'connect', addr: multiaddr(f.addr) }))
  const res = decodePunch(unhex(c.bytes!))
  if (!res.ok) return { encoded, outcome: fail(res.reason) }
  return { encoded, outcome: okay(res.frame.kind === 'sync' ? { kind: 'sync' } : { kind: 'connect', addr: res.frame.addr.toString() }) }
}

// ---- notify frames (§10.2) ----

const notifyFrames: Adapter = async (c) => {
  const encoded = c.encode == null ? undefined : hex(encodeNotifyFrame(unhex(c.encode.payload)))
  const read = readNotifyFrame(unhex(c.bytes!))
  if (read == null) throw new Error(`${c.name}: the frame is incomplete`)
  return { encoded, outcome: read.ok ? okay({ payload: hex(read.payload), size: read.size }) : fail(read.reason) }
}

// ---- identities and pair keys (§1, §8.2) ----

const identityFiles: Adapter = async (c) => {
  const encoded = c.encode == null
    ? undefined
    : hex(privateKeyToProtobuf(privateKeyFromRaw(Uint8Array.from([...unhex(c.encode.seed), ...ed25519.getPublicKey(unhex(c.encode.seed))]))))
  const key = privateKeyFromProtobuf(unhex(c.bytes!))
  if (key.type !== 'Ed25519') return { encoded, outcome: fail('unsupported-key') }
  return { encoded, outcome: okay({ seed: hex(key.raw.subarray(0, 32)), publicKey: hex(key.publicKey.raw), peerId: peerIdFromPrivateKey(key).toString() }) }
}

const pairDerivations: Adapter = async (c) => {
  const ctx = c.context
  let shared: Uint8Array
  try {
    shared = pairSharedSecret(unhex(ctx.mySeed), unhex(ctx.theirPublicKey))
  } catch (err) {
    if (err instanceof PairKeyError) return { outcome: fail(err.reason) }
    throw err
  }
  const mine = unhex(ctx.myMultihash)
  const theirs = unhex(ctx.theirMultihash)
  const keys = derivePairKeys(shared, mine, theirs)
  const mineKey = locatorDhtKey(keys, mine)
  const theirsKey = locatorDhtKey(keys, theirs)
  return {
    outcome: okay({
      shared: hex(shared),
      topic: keys.topic,
      presence: hex(keys.presence),
      locator: hex(keys.locator),
      locatorId: hex(keys.locatorId),
      myLocatorDhtKey: hex(mineKey),
      myLocatorAad: locatorAad(mineKey),
      theirLocatorDhtKey: hex(theirsKey),
      theirLocatorAad: locatorAad(theirsKey)
    })
  }
}

// ---- enhanced presence (§10) ----

function categoryFromJson (c: any): Category {
  return c.kind === 'app' ? { ...c, data: unhex(c.data) } : c
}

function categoryJson (c: Category): Record<string, unknown> {
  const out: Record<string, unknown> = c.kind === 'app' ? { ...c, data: hex(c.data) } : { ...c }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v != null && v !== ''))
}

function itemJson (i: CategoryItem): Record<string, unknown> {
  return { presentity: i.presentity.toString(), seq: i.seq.toString(), issuedAt: i.issuedAt, expiresAt: i.expiresAt, category: categoryJson(i.category) }
}

const categoryItems: Adapter = async (c, file) => {
  const encoded = c.encode == null
    ? undefined
    : hex(sealCategory({ ...c.encode.item, presentity: peerIdFromString(c.encode.item.presentity), seq: BigInt(c.encode.item.seq), category: categoryFromJson(c.encode.item.category) }, keyOf(file, c.encode.signer)))
  const ctx = c.context
  const res = openCategory(unhex(c.bytes!), { now: ctx.now, expectedPresentity: ctx.expectedPresentity, expectedKey: ctx.expectedKey, minSeq: ctx.minSeq != null ? BigInt(ctx.minSeq) : undefined })
  return { encoded, outcome: res.ok ? okay(itemJson(res.item)) : fail(res.reason) }
}

const bigintMap = (m: Record<string, string> = {}): Map<string, bigint> => new Map(Object.entries(m).map(([k, v]) => [k, BigInt(v)]))

const categoryBundles: Adapter = async (c) => {
  const encoded = c.encode == null ? undefined : hex(encodeBundle((c.encode.items as string[]).map(unhex)))
  const res = openBundle(unhex(c.bytes!), { now: c.context.now, presentity: c.context.presentity, floors: bigintMap(c.context.floors), held: bigintMap(c.context.held) })
  return {
    encoded,
    outcome: res.ok
      ? okay({ state: itemJson(res.state), accepted: res.accepted.map(i => categoryKey(i.category)), kept: res.kept })
      : fail(res.reason)
  }
}

const pairMessages: Adapter = async (c) => {
  const key = unhex(c.context.key)
  const encoded = c.encode == null ? undefined : hex(sealPairMessage(key, c.context.topic, unhex(c.encode.inner), unhex(c.encode.nonce)))
  const m = openPairMessage(key, c.context.topic, unhex(c.bytes!))
  if (m == null) return { encoded, outcome: fail('undecryptable') }
  if (m.version === 'unknown') return { encoded, outcome: fail('malformed') }
  return { encoded, outcome: okay(m.version === 1 ? { version: 1, envelope: hex(m.envelope) } : { version: 2, bundle: hex(m.bundle) }) }
}

const categoryQueries: Adapter = async (c) => {
  const res = decodeQuery(unhex(c.bytes!))
  return { encoded: c.encode == null ? undefined : hex(encodeQuery(c.encode.category)), outcome: res.ok ? okay({ category: res.key }) : fail(res.reason) }
}

const categoryAnswers: Adapter = async (c) => {
  const res = decodeAnswer(unhex(c.bytes!))
  return {
    encoded: c.encode == null ? undefined : hex(encodeAnswer(c.encode.item == null ? undefined : unhex(c.encode.item))),
    outcome: res.ok ? okay(res.item == null ? {} : { item: hex(res.item) }) : fail(res.reason)
  }
}

// ---- names (§4, §6, §7, §8) ----

const NAMES: Record<string, (args: any) => string> = {
  protocolId: ([name, version]) => protocolId(name, version),
  presenceTopic: ([peer]) => presenceTopic(peer),
  pairTopicPrefix: () => PAIR_TOPIC_PREFIX,
  dhtProtocol: () => DHT_PROTOCOL,
  contactProtocol: () => CONTACT_PROTOCOL,
  queryProtocol: () => QUERY_PROTOCOL,
  chatProtocol: () => protocolId(CHAT_PROTOCOL_NAME, CHAT_PROTOCOL_VERSION),
  notifyProtocol: () => NOTIFY_PROTOCOL
}

const names: Adapter = async (c) => {
  const fn = NAMES[c.encode.fn]
  if (fn == null) throw new Error(`${c.name}: no name function ${String(c.encode.fn)}`)
  return { outcome: okay(fn(c.encode.args ?? [])) }
}

/** `<file type>/<section>` -> adapter. A section without one fails the conformance test. */
export const ADAPTERS: Record<string, Adapter> = {
  'presence-envelope/records': presenceRecords,
  'sealed-presence/messages': sealedPresence,
  'dht-presence/keys': dhtKeys,
  'dht-presence/records': dhtRecords,
  'dht-presence/selection': dhtSelection,
  'locator/records': locatorRecords,
  'locator/dht-shape': locatorDhtShape,
  'contact/messages': contactMessages,
  'contact/receipts': contactReceipts,
  'contact-code/codes': contactCodes,
  'contact-code/keys': codeDerivations,
  'chat/frames': chatFrames,
  'notify/frames': notifyFrames,
  'pair-keys/identity-files': identityFiles,
  'pair-keys/derivations': pairDerivations,
  'names/names': names,
  'categories/items': categoryItems,
  'category-bundles/bundles': categoryBundles,
  'category-bundles/messages': pairMessages,
  'category-query/queries': categoryQueries,
  'category-query/answers': categoryAnswers,
  'punch/messages': punchMessages,
  ...GROUP_ADAPTERS,
  ...INSTANCE_ADAPTERS,
  ...DEVICE_ADAPTERS
}

export async function runCase (file: VectorFile, section: string, c: VectorCase): Promise<Outcome> {
  const adapter = ADAPTERS[`${file.type}/${section}`]
  if (adapter == null) throw new Error(`no adapter for ${file.type}/${section}`)
  return await adapter(c, file)
}

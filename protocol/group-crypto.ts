/**
 * The keys of a group conversation and the one AEAD composition they use
 * (docs/protocol.md §12.4). Pure; nonce sources are parameters for tests.
 *
 * - sender key: 32 random bytes per author and epoch, named by a random
 *   16-byte key id; it seals that author's CONTENT entries.
 * - key slot: a sender key sealed for one member with the pair's `group`
 *   key (HKDF of the two identities, docs/protocol.md §8.2).
 * - both: XChaCha20-Poly1305 (libsodium, protocol/xchacha.ts), a fresh 24-byte random nonce
 *   per message, associated data binding the ciphertext to its group,
 *   author and place:
 *
 *     slot    = nonce || AEAD(pairGroupKey, nonce, aad = "presence-mesh/group-key/1" || group || mh(author) || mh(member) || keyId, senderKey)
 *     content = nonce || AEAD(senderKey,    nonce, aad = "presence-mesh/group-content/1" || group || mh(author) || u64be(seq) || keyId,
 *                             uint16be(len(c)) || c || zero bytes up to a multiple of 64)
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { base32 } from 'multiformats/bases/base32'
import { RandomPool } from './random-pool.js'
import { protocolId } from './topics.js'
import { XCHACHA_NONCE_BYTES, XCHACHA_TAG_BYTES, xchachaOpen, xchachaSeal } from './xchacha.js'

export const GROUP_ID_BYTES = 16
export const KEY_ID_BYTES = 16
export const SENDER_KEY_BYTES = 32
export const NONCE_BYTES = XCHACHA_NONCE_BYTES
export const TAG_BYTES = XCHACHA_TAG_BYTES
/** A slot: nonce, the sealed 32-byte key and its tag. */
export const SLOT_SEALED_BYTES = NONCE_BYTES + SENDER_KEY_BYTES + TAG_BYTES
/** Content plaintexts are padded to a multiple of this, so sizes say little about the text. */
export const CONTENT_PAD_BYTES = 64
const LEN_BYTES = 2

const SLOT_LABEL = 'presence-mesh/group-key/1'
const CONTENT_LABEL = 'presence-mesh/group-content/1'
const TOPIC_LABEL = 'presence-mesh/group-topic/1'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const slotLabel = utf8(SLOT_LABEL)
const contentLabel = utf8(CONTENT_LABEL)

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

function u64be (n: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n))
  return out
}

export const randomBytes = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n))
/** XChaCha20-Poly1305 nonces are random and public: drawn from a pool (a sender seals one per text). */
const nonces = new RandomPool(NONCE_BYTES)
export const randomNonce = (): Uint8Array => nonces.take()

/** Every group topic starts with this, followed by 26 base32 characters. */
export const GROUP_TOPIC_PREFIX = `${protocolId('group', '1')}/`

/** A group's gossipsub topic: opaque to anyone who does not know the group id. */
export function groupTopic (group: Uint8Array): string {
  const digest = sha256(concat(utf8(TOPIC_LABEL), group))
  return `${GROUP_TOPIC_PREFIX}${base32.baseEncode(digest.subarray(0, 16))}`
}

export interface SlotContext {
  group: Uint8Array
  /** Multihash bytes of the key's author and of the member the slot is for. */
  author: Uint8Array
  member: Uint8Array
  keyId: Uint8Array
}

export function slotAad (c: SlotContext): Uint8Array {
  return concat(slotLabel, c.group, c.author, c.member, c.keyId)
}

/** Seals a sender key for one member with the pair's group key. */
export function sealSlot (pairGroupKey: Uint8Array, c: SlotContext, senderKey: Uint8Array, nonce: Uint8Array = randomNonce()): Uint8Array {
  if (senderKey.length !== SENDER_KEY_BYTES) throw new Error(`a sender key is ${SENDER_KEY_BYTES} bytes`)
  return xchachaSeal(pairGroupKey, nonce, slotAad(c), senderKey)
}

/** The sender key in a slot, or undefined when it is not sealed for this pair and context. Never throws. */
export function openSlot (pairGroupKey: Uint8Array, c: SlotContext, sealed: Uint8Array): Uint8Array | undefined {
  if (sealed.length !== SLOT_SEALED_BYTES) return undefined
  return xchachaOpen(pairGroupKey, slotAad(c), sealed)
}

export interface ContentContext {
  group: Uint8Array
  author: Uint8Array
  seq: number
  keyId: Uint8Array
}

export function contentAad (c: ContentContext): Uint8Array {
  return concat(contentLabel, c.group, c.author, u64be(c.seq), c.keyId)
}

/** The sealed size of `n` content bytes. */
export function sealedContentSize (n: number): number {
  return NONCE_BYTES + Math.ceil((n + LEN_BYTES) / CONTENT_PAD_BYTES) * CONTENT_PAD_BYTES + TAG_BYTES
}

/** Seals an encoded GroupContent with the author's sender key. */
export function sealContent (senderKey: Uint8Array, c: ContentContext, content: Uint8Array, nonce: Uint8Array = randomNonce()): Uint8Array {
  if (content.length > 0xffff) throw new Error('content too large')
  const plain = new Uint8Array(sealedContentSize(content.length) - NONCE_BYTES - TAG_BYTES)
  plain[0] = content.length >> 8
  plain[1] = content.length & 0xff
  plain.set(content, LEN_BYTES)
  return xchachaSeal(senderKey, nonce, contentAad(c), plain)
}

/**
 * The content bytes, or undefined unless `sealed` is exactly what sealContent
 * makes with this key for this context (size, length prefix, zero padding).
 * Never throws.
 */
export function openContent (senderKey: Uint8Array, c: ContentContext, sealed: Uint8Array): Uint8Array | undefined {
  const body = sealed.length - NONCE_BYTES - TAG_BYTES
  if (body <= 0 || body % CONTENT_PAD_BYTES !== 0) return undefined
  const plain = xchachaOpen(senderKey, contentAad(c), sealed)
  if (plain == null) return undefined
  const len = (plain[0] << 8) | plain[1]
  if (sealedContentSize(len) !== sealed.length) return undefined
  for (let i = LEN_BYTES + len; i < plain.length; i++) if (plain[i] !== 0) return undefined
  return plain.slice(LEN_BYTES, LEN_BYTES + len)
}

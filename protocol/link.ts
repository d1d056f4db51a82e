/**
 * Linking a new device (docs/protocol.md §14.5): the one-time code a person
 * copies from the device holding the person key to the new one, what both
 * derive from it, and the frames of /presence-mesh/link/1.0.0 and
 * /presence-mesh/devices/1.0.0. Pure; decoders never throw (a code that does
 * not parse throws LinkCodeError: it is user input).
 *
 *   code  = "pml1:" || peer id || ":" || base32(secret || check) || "@" || addr ("," addr)*
 *   check = SHA-256(utf8("presence-mesh/link/v1") || mh(peer) || secret)[0..2]
 *   intake seed = HKDF-SHA256(secret, salt = utf8("presence-mesh/link/v1"), info = utf8("intake-identity") || mh(peer), 32)
 */
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { CHECK_BYTES, concat, formatSecret, newSecret, parseSecret, SECRET_BYTES, SECRET_CHARS, utf8 } from './code-secret.js'
import { deviceNameProblem, ed25519PeerOf, LINK_DOMAIN, LINK_PAYLOAD_TYPE, LINK_REQUEST_RULES, MAX_LINK_REQUEST_BYTES } from './device-cert.js'
import { ed25519KeyFromSeed } from './ed25519-fast.js'
import { MAX_DEVICE_CERT_BYTES, MAX_DEVICE_LIST_BYTES, MAX_TIME_MS } from './limits.js'
import { DeviceListAck as DeviceListAckPb, LinkRequest as LinkRequestPb, LinkResponse as LinkResponsePb, LinkResult } from './pb/devices.js'
import { decodeSignedRecord, sealSignedRecord, verifySignedRecord } from './signed-envelope.js'
import { scanMessage } from './strict-protobuf.js'
import { protocolId } from './topics.js'
import type { MessageRules } from './strict-protobuf.js'
import type { Ed25519PrivateKey, PeerId, PrivateKey } from '@libp2p/interface'

export const LINK_PROTOCOL = protocolId('link', '1.0.0')
export const DEVICES_PROTOCOL = protocolId('devices', '1.0.0')
export const LINK_CODE_PREFIX = 'pml1'
export const LINK_SALT = 'presence-mesh/link/v1'
export { LINK_DOMAIN, LINK_PAYLOAD_TYPE, LINK_REQUEST_RULES, MAX_LINK_REQUEST_BYTES }
export const LINK_SECRET_BYTES = SECRET_BYTES
export const LINK_CHECK_BYTES = CHECK_BYTES
/** The secret part: base32 of 18 bytes. */
export const LINK_SECRET_CHARS = SECRET_CHARS
/** Addresses a code carries: 1 to 4. */
export const MAX_LINK_ADDRS = 4
/** The longest code text a parser reads. */
export const MAX_LINK_CODE_CHARS = 1024
/** A LinkResponse; a DeviceListAck (without their length prefixes). */
export const MAX_LINK_RESPONSE_BYTES = MAX_DEVICE_CERT_BYTES + MAX_DEVICE_LIST_BYTES + 16
export const MAX_DEVICE_ACK_BYTES = 16
/** How far a LinkRequest's sent_at may be from the receiver's clock, either way. */
export const MAX_LINK_SKEW_MS = 5 * 60_000

export const LINK_CODE_REJECT_REASONS = ['not-a-code', 'bad-peer-id', 'bad-secret', 'checksum', 'bad-address'] as const
export type LinkCodeRejectReason = typeof LINK_CODE_REJECT_REASONS[number]

export const LINK_REJECT_REASONS = [
  'oversize', 'malformed', 'wrong-payload-type', 'unsupported-key', 'wrong-recipient', 'wrong-intake', 'invalid-field', 'future', 'expired', 'bad-signature'
] as const
export type LinkRejectReason = typeof LINK_REJECT_REASONS[number]


/** A parsed code: whom to dial, where, and the secret. */
export interface LinkCode {
  peer: PeerId
  secret: Uint8Array
  /** Multiaddr strings without a trailing /p2p/<peer>. */
  addrs: string[]
}

export class LinkCodeError extends Error {
  static override name = 'LinkCodeError'
  constructor (readonly reason: LinkCodeRejectReason, detail?: string) {
    super(`not a valid link code (${reason}${detail != null ? `: ${detail}` : ''})`)
    this.name = 'LinkCodeError'
  }
}

export const newLinkSecret = newSecret

/** The code text. Throws LinkCodeError for a secret of the wrong size, or no addresses or too many. */
export function formatLinkCode (code: LinkCode): string {
  if (code.secret.byteLength !== LINK_SECRET_BYTES) throw new LinkCodeError('bad-secret')
  if (code.addrs.length === 0 || code.addrs.length > MAX_LINK_ADDRS) throw new LinkCodeError('bad-address', `1 to ${MAX_LINK_ADDRS} addresses`)
  return `${LINK_CODE_PREFIX}:${code.peer.toString()}:${formatSecret(LINK_SALT, code.peer, code.secret)}@${code.addrs.join(',')}`
}

/** Whether a string is meant as a link code (it may still be invalid). */
export function looksLikeLinkCode (text: string): boolean {
  return text.trim().toLowerCase().startsWith(`${LINK_CODE_PREFIX}:`)
}

/** Parses a code (white space around it, the case of the prefix and of the secret forgiven); throws LinkCodeError with the first reason that applies. */
export function parseLinkCode (text: string): LinkCode {
  const trimmed = text.trim()
  const at = trimmed.indexOf('@')
  const parts = (at < 0 ? trimmed : trimmed.slice(0, at)).split(':')
  if (trimmed.length > MAX_LINK_CODE_CHARS || parts.length !== 3 || parts[0].toLowerCase() !== LINK_CODE_PREFIX) throw new LinkCodeError('not-a-code')
  let peer: PeerId
  try {
    peer = peerIdFromString(parts[1])
  } catch {
    throw new LinkCodeError('bad-peer-id')
  }
  if (peer.toString() !== parts[1] || ed25519PeerOf(peer.toMultihash().bytes) == null) throw new LinkCodeError('bad-peer-id')
  const parsed = parseSecret(parts[2], LINK_SALT, peer)
  if (!parsed.ok) throw new LinkCodeError(parsed.reason)
  const secret = parsed.secret
  const list = at < 0 ? [] : trimmed.slice(at + 1).split(',')
  if (list.length === 0 || list.length > MAX_LINK_ADDRS) throw new LinkCodeError('bad-address', `1 to ${MAX_LINK_ADDRS} addresses`)
  const addrs = list.map(a => {
    try {
      const ma = multiaddr(a)
      const last = ma.getComponents().at(-1)
      if (last == null) throw new Error('empty')
      if (last.name !== 'p2p') return ma.toString()
      // a trailing /p2p/<id> must be the code's peer (a relayed address names its relay before /p2p-circuit)
      if (last.value !== peer.toString()) throw new Error('another peer')
      return ma.decapsulateCode(421).toString()
    } catch {
      throw new LinkCodeError('bad-address', a)
    }
  })
  return { peer, secret, addrs }
}

/** The seed of the code's intake identity: the key the new device connects with, which only code holders know. */
export function linkIntakeSeed (peer: PeerId, secret: Uint8Array): Uint8Array {
  return hkdf(sha256, secret, utf8(LINK_SALT), concat(utf8('intake-identity'), peer.toMultihash().bytes), 32)
}

export async function linkIntakeIdentity (peer: PeerId, secret: Uint8Array): Promise<{ key: Ed25519PrivateKey, peerId: PeerId }> {
  const key = ed25519KeyFromSeed(linkIntakeSeed(peer, secret))
  return { key, peerId: peerIdFromPrivateKey(key) }
}

// ---- /presence-mesh/link/1.0.0 ----

export const LINK_RESPONSE_RULES: MessageRules = { 1: { type: 'enum', values: [0, 1, 2, 3] }, 2: { type: 'bytes' }, 3: { type: 'bytes' } }
export const DEVICE_ACK_RULES: MessageRules = { 1: { type: 'uint64' } }

export interface LinkRequest {
  /** The new device (the envelope's signer). */
  device: PeerId
  to: PeerId
  intake: PeerId
  name: string
  sentAt: number
}

type LinkFail = { ok: false, reason: LinkRejectReason, detail?: string }
const linkReject = (reason: LinkRejectReason, detail?: string): LinkFail => ({ ok: false, reason, detail })

/** The new device signs its request with its own key: proof that it holds the key of the peer id it asks a certificate for. */
export function sealLinkRequest (r: { to: PeerId, intake: PeerId, name: string, sentAt: number }, deviceKey: PrivateKey): Uint8Array {
  const problem = deviceNameProblem(r.name)
  if (problem != null) throw new LinkCodeError('not-a-code', `device name: ${problem}`)
  return sealSignedRecord(LINK_DOMAIN, LINK_PAYLOAD_TYPE, LinkRequestPb.encode({
    to: r.to.toMultihash().bytes, intake: r.intake.toMultihash().bytes, name: r.name, sentAt: BigInt(r.sentAt)
  }), deviceKey)
}

export interface LinkRequestContext {
  /** The receiver (the code's peer). */
  me: PeerId | string
  /** The connection's peer: the intake identity of one of the receiver's live codes. */
  intake: PeerId | string
  now: number
}

/** Opens a LinkRequest (§14.5), checks in the order of LINK_REJECT_REASONS. */
export function openLinkRequest (bytes: Uint8Array, ctx: LinkRequestContext): { ok: true, request: LinkRequest } | LinkFail {
  if (bytes.byteLength > MAX_LINK_REQUEST_BYTES) return linkReject('oversize')
  const decoded = decodeSignedRecord(bytes, LINK_PAYLOAD_TYPE, LINK_REQUEST_RULES, LinkRequestPb)
  if (!decoded.ok) return linkReject(decoded.reason, decoded.detail)
  const { signer, record: pb } = decoded
  const to = ed25519PeerOf(pb.to)
  if (to == null || to.toString() !== ctx.me.toString()) return linkReject('wrong-recipient')
  const intake = ed25519PeerOf(pb.intake)
  if (intake == null || intake.toString() !== ctx.intake.toString()) return linkReject('wrong-intake')
  const nameProblem = deviceNameProblem(pb.name)
  if (nameProblem != null) return linkReject('invalid-field', `name: ${nameProblem}`)
  if (pb.sentAt === 0n || pb.sentAt > BigInt(MAX_TIME_MS)) return linkReject('invalid-field', 'sent_at')
  const sentAt = Number(pb.sentAt)
  if (sentAt > ctx.now + MAX_LINK_SKEW_MS) return linkReject('future')
  if (sentAt < ctx.now - MAX_LINK_SKEW_MS) return linkReject('expired')
  if (!verifySignedRecord(decoded, LINK_DOMAIN)) return linkReject('bad-signature')
  return { ok: true, request: { device: signer.peerId, to, intake, name: pb.name, sentAt } }
}

export type LinkOutcome = 'linked' | 'bad-code' | 'refused'
export type LinkResponse =
  | { result: 'linked', certificate: Uint8Array, deviceList: Uint8Array }
  | { result: 'bad-code' | 'refused' }

const OUTCOMES: Record<LinkOutcome, LinkResult> = { linked: LinkResult.LINKED, 'bad-code': LinkResult.BAD_CODE, refused: LinkResult.REFUSED }
const EMPTY = new Uint8Array(0)

export function encodeLinkResponse (r: LinkResponse): Uint8Array {
  return LinkResponsePb.encode({
    result: OUTCOMES[r.result],
    certificate: r.result === 'linked' ? Uint8Array.from(r.certificate) : EMPTY,
    deviceList: r.result === 'linked' ? Uint8Array.from(r.deviceList) : EMPTY
  })
}

/** Decodes a LinkResponse: a known result, a certificate and a list exactly when it is `linked` (the two are opened by the caller). */
export function decodeLinkResponse (bytes: Uint8Array): { ok: true, response: LinkResponse } | { ok: false, reason: 'oversize' | 'malformed' | 'invalid-field', detail?: string } {
  if (bytes.byteLength > MAX_LINK_RESPONSE_BYTES) return { ok: false, reason: 'oversize' }
  const scan = scanMessage(bytes, LINK_RESPONSE_RULES)
  if (!scan.ok) return { ok: false, reason: 'malformed', detail: scan.problem }
  const pb = LinkResponsePb.decode(bytes)
  const result = (Object.keys(OUTCOMES) as LinkOutcome[]).find(k => OUTCOMES[k] === pb.result)
  if (result == null) return { ok: false, reason: 'invalid-field', detail: 'result' }
  const carries = pb.certificate.byteLength > 0 || pb.deviceList.byteLength > 0
  if (result === 'linked') {
    if (pb.certificate.byteLength === 0 || pb.deviceList.byteLength === 0) return { ok: false, reason: 'invalid-field', detail: 'linked without a certificate and a list' }
    return { ok: true, response: { result, certificate: pb.certificate, deviceList: pb.deviceList } }
  }
  if (carries) return { ok: false, reason: 'invalid-field', detail: 'a certificate or a list without linked' }
  return { ok: true, response: { result } }
}

// ---- /presence-mesh/devices/1.0.0 ----

export function encodeDeviceListAck (epoch: bigint): Uint8Array {
  return DeviceListAckPb.encode({ epoch })
}

export function decodeDeviceListAck (bytes: Uint8Array): { ok: true, epoch: bigint } | { ok: false, reason: 'oversize' | 'malformed', detail?: string } {
  if (bytes.byteLength > MAX_DEVICE_ACK_BYTES) return { ok: false, reason: 'oversize' }
  const scan = scanMessage(bytes, DEVICE_ACK_RULES)
  if (!scan.ok) return { ok: false, reason: 'malformed', detail: scan.problem }
  return { ok: true, epoch: DeviceListAckPb.decode(bytes).epoch }
}

/**
 * Device certificates (docs/protocol.md §14.2): the person key's signed
 * statement that a peer id is one of the person's devices, since which epoch
 * of the person's device list, with the device's own signed consent (the
 * link request it made), so that no person key can claim somebody else's
 * peer id as its device. A libp2p signed envelope opened through
 * signed-envelope.ts. Pure; the open function never throws.
 */
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { isWeakEd25519Point } from './ed25519-fast.js'
import { MAX_DEVICE_CERT_BYTES, MAX_DEVICE_NAME_CHARS, MAX_TIME_MS } from './limits.js'
import { DeviceCertificate as DeviceCertificatePb, LinkRequest as LinkRequestPb } from './pb/devices.js'
import { decodeSignedRecord, sealSignedRecord, verifySignedRecord } from './signed-envelope.js'
import { isUnicode } from './text.js'
import type { SignedRecord } from './signed-envelope.js'
import type { MessageRules } from './strict-protobuf.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export const DEVICE_CERT_DOMAIN = 'presence-mesh-device-cert'
/** ASCII "pk" and version 1. */
export const DEVICE_CERT_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x6b, 0x01])

export const DEVICE_CERT_RULES: MessageRules = {
  1: { type: 'bytes' }, 2: { type: 'bytes' }, 3: { type: 'string' }, 4: { type: 'uint64' }, 5: { type: 'uint64' }, 6: { type: 'bytes' }
}

/** The new device's link request (§14.5), which is also its consent inside a certificate. */
export const LINK_DOMAIN = 'presence-mesh-link'
/** ASCII "pi" and version 1. */
export const LINK_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x69, 0x01])
export const LINK_REQUEST_RULES: MessageRules = { 1: { type: 'bytes' }, 2: { type: 'bytes' }, 3: { type: 'string' }, 4: { type: 'uint64' } }
/** A LinkRequest envelope, without its length prefix. */
export const MAX_LINK_REQUEST_BYTES = 512

export const DEVICE_REJECT_REASONS = [
  'oversize', 'malformed', 'wrong-payload-type', 'unsupported-key', 'signer-mismatch', 'wrong-person', 'wrong-device',
  'invalid-field', 'bad-consent', 'bad-certificate', 'replay', 'bad-signature'
] as const
export type DeviceRejectReason = typeof DEVICE_REJECT_REASONS[number]

export interface DeviceCertificate {
  person: PeerId
  device: PeerId
  name: string
  issuedAt: number
  epoch: bigint
}

export type DeviceFail = { ok: false, reason: DeviceRejectReason, detail?: string }
export const deviceReject = (reason: DeviceRejectReason, detail?: string): DeviceFail => ({ ok: false, reason, detail })

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u
const ED25519_MH_PREFIX = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20)

/** The peer id of an Ed25519 identity multihash whose key is usable (§3 step 4), else undefined. */
export function ed25519PeerOf (mh: Uint8Array): PeerId | undefined {
  if (mh.byteLength !== 38 || !uint8ArrayEquals(mh.subarray(0, 6), ED25519_MH_PREFIX)) return undefined
  if (isWeakEd25519Point(mh.subarray(6))) return undefined
  try {
    return peerIdFromMultihash(Digest.decode(mh))
  } catch {
    return undefined
  }
}

/** Why a device name is not one (undefined: it is). */
export function deviceNameProblem (name: string): string | undefined {
  const n = [...name].length
  if (n === 0 || n > MAX_DEVICE_NAME_CHARS) return `1 to ${MAX_DEVICE_NAME_CHARS} characters`
  if (CONTROL.test(name)) return 'one line without control characters'
  if (!isUnicode(name)) return 'valid Unicode'
  if (name.trim() !== name) return 'no white space around it'
  return undefined
}

export class DeviceFieldError extends Error {
  static override name = 'DeviceFieldError'
  override name = 'DeviceFieldError'
}

function checkTime (t: number, what: string): void {
  if (!Number.isSafeInteger(t) || t < 1 || t > MAX_TIME_MS) throw new DeviceFieldError(`${what} must be 1 to 2^53-1 ms`)
}

/**
 * Signs `device`'s certificate with the person key; `consent` is the link
 * request the device signed (none for the person key's own device). Throws
 * DeviceFieldError on a bad name, time, epoch or consent.
 */
export function sealDeviceCertificate (cert: { device: PeerId, name: string, issuedAt: number, epoch: bigint, consent?: Uint8Array }, personKey: PrivateKey): Uint8Array {
  const problem = deviceNameProblem(cert.name)
  if (problem != null) throw new DeviceFieldError(`device name: ${problem}`)
  checkTime(cert.issuedAt, 'issued_at')
  if (cert.epoch < 1n || cert.epoch >= 1n << 64n) throw new DeviceFieldError('epoch must be 1 to 2^64-1')
  if (ed25519PeerOf(cert.device.toMultihash().bytes) == null) throw new DeviceFieldError('the device is not an Ed25519 peer id')
  const payload = DeviceCertificatePb.encode({
    person: personKey.publicKey.toMultihash().bytes,
    device: cert.device.toMultihash().bytes,
    name: cert.name,
    issuedAt: BigInt(cert.issuedAt),
    epoch: cert.epoch,
    consent: cert.consent == null ? new Uint8Array(0) : Uint8Array.from(cert.consent)
  })
  const envelope = sealSignedRecord(DEVICE_CERT_DOMAIN, DEVICE_CERT_PAYLOAD_TYPE, payload, personKey)
  const check = openDeviceCertificate(envelope)
  if (!check.ok) throw new DeviceFieldError(`not a valid certificate: ${check.reason}${check.detail != null ? ` (${check.detail})` : ''}`)
  return envelope
}

export interface CertificateOptions {
  /** The certificate must be signed by this person key. */
  expectedPerson?: PeerId | string
  /** The certificate must be for this device. */
  expectedDevice?: PeerId | string
}

/** §14.2 steps 1-8: everything but the signature (a device list checks all of its certificates before any signature). */
export function checkDeviceCertificate (bytes: Uint8Array, opts: CertificateOptions = {}): { ok: true, cert: DeviceCertificate, signed: SignedRecord<unknown>, consent?: SignedRecord<unknown> } | DeviceFail {
  if (bytes.byteLength > MAX_DEVICE_CERT_BYTES) return deviceReject('oversize')
  const decoded = decodeSignedRecord(bytes, DEVICE_CERT_PAYLOAD_TYPE, DEVICE_CERT_RULES, DeviceCertificatePb)
  if (!decoded.ok) return deviceReject(decoded.reason, decoded.detail)
  const { signer, record: pb } = decoded
  if (!uint8ArrayEquals(pb.person, signer.multihash)) return deviceReject('signer-mismatch')
  if (opts.expectedPerson != null && signer.id !== opts.expectedPerson.toString()) return deviceReject('wrong-person')
  const device = ed25519PeerOf(pb.device)
  if (device == null) return deviceReject('invalid-field', 'device')
  if (opts.expectedDevice != null && device.toString() !== opts.expectedDevice.toString()) return deviceReject('wrong-device')
  const nameProblem = deviceNameProblem(pb.name)
  if (nameProblem != null) return deviceReject('invalid-field', `name: ${nameProblem}`)
  if (pb.issuedAt === 0n || pb.issuedAt > BigInt(MAX_TIME_MS)) return deviceReject('invalid-field', 'issued_at')
  if (pb.epoch === 0n) return deviceReject('invalid-field', 'epoch')
  const own = device.equals(signer.peerId)
  if (own !== (pb.consent.byteLength === 0)) return deviceReject('invalid-field', 'a consent comes with every device but the person key\'s own, and only then')
  let consent: SignedRecord<unknown> | undefined
  if (!own) {
    const c = checkConsent(pb.consent, signer.multihash, pb.device)
    if (!c.ok) return c
    consent = c.signed
  }
  return {
    ok: true,
    cert: { person: signer.peerId, device, name: pb.name, issuedAt: Number(pb.issuedAt), epoch: pb.epoch },
    signed: decoded,
    consent
  }
}

/** The consent is a link request signed by the device, addressed to the person key (§14.2 step 9). */
function checkConsent (bytes: Uint8Array, person: Uint8Array, device: Uint8Array): { ok: true, signed: SignedRecord<unknown> } | DeviceFail {
  if (bytes.byteLength > MAX_LINK_REQUEST_BYTES) return deviceReject('bad-consent', 'oversize')
  const decoded = decodeSignedRecord(bytes, LINK_PAYLOAD_TYPE, LINK_REQUEST_RULES, LinkRequestPb)
  if (!decoded.ok) return deviceReject('bad-consent', decoded.reason)
  if (!uint8ArrayEquals(decoded.signer.multihash, device)) return deviceReject('bad-consent', 'not signed by the device')
  if (!uint8ArrayEquals(decoded.record.to, person)) return deviceReject('bad-consent', 'not addressed to the person key')
  return { ok: true, signed: decoded }
}

/** Both signatures of a checked certificate: the person key's, then the device's consent. */
export function verifyDeviceCertificate (checked: { signed: SignedRecord<unknown>, consent?: SignedRecord<unknown> }): DeviceRejectReason | undefined {
  if (!verifySignedRecord(checked.signed, DEVICE_CERT_DOMAIN)) return 'bad-signature'
  if (checked.consent != null && !verifySignedRecord(checked.consent, LINK_DOMAIN)) return 'bad-consent'
  return undefined
}

/** Opens a device certificate (§14.2): its fields, then the person key's signature. */
export function openDeviceCertificate (bytes: Uint8Array, opts: CertificateOptions = {}): { ok: true, cert: DeviceCertificate } | DeviceFail {
  const res = checkDeviceCertificate(bytes, opts)
  if (!res.ok) return res
  const bad = verifyDeviceCertificate(res)
  if (bad != null) return deviceReject(bad, bad === 'bad-consent' ? 'signature' : undefined)
  return { ok: true, cert: res.cert }
}

/**
 * Device certificates (docs/protocol.md §14.2): the person key's signed
 * statement that a peer id is one of the person's devices, since which epoch
 * of the person's device list. A libp2p signed envelope opened through
 * signed-envelope.ts. Pure; the open function never throws.
 */
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { isWeakEd25519Point } from './ed25519-fast.js'
import { MAX_DEVICE_CERT_BYTES, MAX_DEVICE_NAME_CHARS, MAX_TIME_MS } from './limits.js'
import { DeviceCertificate as DeviceCertificatePb } from './pb/devices.js'
import { decodeSignedRecord, sealSignedRecord, verifySignedRecord } from './signed-envelope.js'
import type { SignedRecord } from './signed-envelope.js'
import type { MessageRules } from './strict-protobuf.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export const DEVICE_CERT_DOMAIN = 'presence-mesh-device-cert'
/** ASCII "pk" and version 1. */
export const DEVICE_CERT_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x6b, 0x01])

export const DEVICE_CERT_RULES: MessageRules = {
  1: { type: 'bytes' }, 2: { type: 'bytes' }, 3: { type: 'string' }, 4: { type: 'uint64' }, 5: { type: 'uint64' }
}

export const DEVICE_REJECT_REASONS = [
  'oversize', 'malformed', 'wrong-payload-type', 'unsupported-key', 'signer-mismatch', 'wrong-person', 'wrong-device',
  'invalid-field', 'bad-certificate', 'replay', 'bad-signature'
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

/** Signs `device`'s certificate with the person key. Throws DeviceFieldError on a bad name, time or epoch. */
export function sealDeviceCertificate (cert: { device: PeerId, name: string, issuedAt: number, epoch: bigint }, personKey: PrivateKey): Uint8Array {
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
    epoch: cert.epoch
  })
  return sealSignedRecord(DEVICE_CERT_DOMAIN, DEVICE_CERT_PAYLOAD_TYPE, payload, personKey)
}

export interface CertificateOptions {
  /** The certificate must be signed by this person key. */
  expectedPerson?: PeerId | string
  /** The certificate must be for this device. */
  expectedDevice?: PeerId | string
}

/** §14.2 steps 1-8: everything but the signature (a device list checks all of its certificates before any signature). */
export function checkDeviceCertificate (bytes: Uint8Array, opts: CertificateOptions = {}): { ok: true, cert: DeviceCertificate, signed: SignedRecord<unknown> } | DeviceFail {
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
  return {
    ok: true,
    cert: { person: signer.peerId, device, name: pb.name, issuedAt: Number(pb.issuedAt), epoch: pb.epoch },
    signed: decoded
  }
}

/** Opens a device certificate (§14.2): its fields, then the person key's signature. */
export function openDeviceCertificate (bytes: Uint8Array, opts: CertificateOptions = {}): { ok: true, cert: DeviceCertificate } | DeviceFail {
  const res = checkDeviceCertificate(bytes, opts)
  if (!res.ok) return res
  if (!verifySignedRecord(res.signed, DEVICE_CERT_DOMAIN)) return deviceReject('bad-signature')
  return { ok: true, cert: res.cert }
}

/**
 * A person's device list (docs/protocol.md §14.3): the person key's signed
 * list of every current device (each by its certificate) and of the devices
 * it revoked, under an epoch that grows with every change. What changes it
 * (linking one device, revoking one) and the one rule that says whether a
 * certificate still counts. Pure; the open function never throws.
 */
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { checkDeviceCertificate, DeviceFieldError, deviceReject, ed25519PeerOf, sealDeviceCertificate, verifyDeviceCertificate } from './device-cert.js'
import { MAX_DEVICE_LIST_BYTES, MAX_DEVICES, MAX_REVOKED, MAX_TIME_MS } from './limits.js'
import { DeviceList as DeviceListPb } from './pb/devices.js'
import { decodeSignedRecord, sealSignedRecord, verifySignedRecord } from './signed-envelope.js'
import type { DeviceCertificate, DeviceFail } from './device-cert.js'
import type { SignedRecord } from './signed-envelope.js'
import type { MessageRules } from './strict-protobuf.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export const DEVICE_LIST_DOMAIN = 'presence-mesh-device-list'
/** ASCII "pd" and version 1. */
export const DEVICE_LIST_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x64, 0x01])

export const DEVICE_LIST_RULES: MessageRules = {
  1: { type: 'bytes' },
  2: { type: 'uint64' },
  3: { type: 'uint64' },
  4: { type: 'bytes', repeated: true },
  5: { type: 'bytes', repeated: true }
}

export interface DeviceList {
  person: PeerId
  epoch: bigint
  issuedAt: number
  /** The current devices, in the list's order. */
  devices: DeviceCertificate[]
  /** The certificate envelope of each device, in the same order (what a new list is built from). */
  certificates: Uint8Array[]
  revoked: PeerId[]
}

/** Signs a list with the person key. Throws DeviceFieldError on a list that breaks §14.3 (so nothing invalid is ever published). */
export function sealDeviceList (list: { epoch: bigint, issuedAt: number, certificates: Uint8Array[], revoked: PeerId[] }, personKey: PrivateKey): Uint8Array {
  if (list.issuedAt < 1 || list.issuedAt > MAX_TIME_MS || !Number.isSafeInteger(list.issuedAt)) throw new DeviceFieldError('issued_at must be 1 to 2^53-1 ms')
  const payload = DeviceListPb.encode({
    person: personKey.publicKey.toMultihash().bytes,
    epoch: list.epoch,
    issuedAt: BigInt(list.issuedAt),
    devices: list.certificates.map(c => Uint8Array.from(c)),
    revoked: list.revoked.map(p => p.toMultihash().bytes)
  })
  const envelope = sealSignedRecord(DEVICE_LIST_DOMAIN, DEVICE_LIST_PAYLOAD_TYPE, payload, personKey)
  const check = openDeviceList(envelope)
  if (!check.ok) throw new DeviceFieldError(`not a valid device list: ${check.reason}${check.detail != null ? ` (${check.detail})` : ''}`)
  return envelope
}

export interface DeviceListOptions {
  /** The list must be this person's. */
  expectedPerson?: PeerId | string
  /** The epoch of the list held now: a list not above it is a `replay`. */
  lastEpoch?: bigint
}

export type DeviceListResult = { ok: true, list: DeviceList } | DeviceFail

/**
 * Opens a device list (§14.3): the envelope, its fields, every certificate's
 * fields, the rules of the set, the replay floor, then the person key's
 * signature over the list and last over each certificate.
 */
export function openDeviceList (bytes: Uint8Array, opts: DeviceListOptions = {}): DeviceListResult {
  if (bytes.byteLength > MAX_DEVICE_LIST_BYTES) return deviceReject('oversize')
  const decoded = decodeSignedRecord(bytes, DEVICE_LIST_PAYLOAD_TYPE, DEVICE_LIST_RULES, DeviceListPb)
  if (!decoded.ok) return deviceReject(decoded.reason, decoded.detail)
  const { signer, record: pb } = decoded
  if (!uint8ArrayEquals(pb.person, signer.multihash)) return deviceReject('signer-mismatch')
  if (opts.expectedPerson != null && signer.id !== opts.expectedPerson.toString()) return deviceReject('wrong-person')
  if (pb.epoch === 0n) return deviceReject('invalid-field', 'epoch')
  if (pb.issuedAt === 0n || pb.issuedAt > BigInt(MAX_TIME_MS)) return deviceReject('invalid-field', 'issued_at')
  if (pb.devices.length === 0 || pb.devices.length > MAX_DEVICES) return deviceReject('invalid-field', `1 to ${MAX_DEVICES} devices`)
  if (pb.revoked.length > MAX_REVOKED) return deviceReject('invalid-field', `at most ${MAX_REVOKED} revoked devices`)
  const revoked: PeerId[] = []
  for (const mh of pb.revoked) {
    const peer = ed25519PeerOf(mh)
    if (peer == null) return deviceReject('invalid-field', 'a revoked device is not an Ed25519 peer id')
    if (revoked.some(r => r.equals(peer))) return deviceReject('invalid-field', 'a device revoked twice')
    revoked.push(peer)
  }
  const checked: Array<{ cert: DeviceCertificate, signed: SignedRecord<unknown>, consent?: SignedRecord<unknown> }> = []
  for (const [i, bytes] of pb.devices.entries()) {
    const res = checkDeviceCertificate(bytes, { expectedPerson: signer.id })
    if (!res.ok) return deviceReject('bad-certificate', `device ${i}: ${res.reason}${res.detail != null ? ` ${res.detail}` : ''}`)
    if (res.cert.epoch > pb.epoch) return deviceReject('bad-certificate', `device ${i}: epoch above the list's`)
    checked.push(res)
  }
  const ids = checked.map(c => c.cert.device.toString())
  if (new Set(ids).size !== ids.length) return deviceReject('invalid-field', 'a device listed twice')
  if (revoked.some(r => ids.includes(r.toString()))) return deviceReject('invalid-field', 'a listed device is revoked')
  if (opts.lastEpoch != null && pb.epoch <= opts.lastEpoch) return deviceReject('replay')
  if (!verifySignedRecord(decoded, DEVICE_LIST_DOMAIN)) return deviceReject('bad-signature')
  for (const [i, c] of checked.entries()) {
    const bad = verifyDeviceCertificate(c)
    if (bad != null) return deviceReject('bad-certificate', `device ${i}: ${bad}`)
  }
  return {
    ok: true,
    list: { person: signer.peerId, epoch: pb.epoch, issuedAt: Number(pb.issuedAt), devices: checked.map(c => c.cert), certificates: pb.devices, revoked }
  }
}

/**
 * The epoch of the list that follows one of `last` (0n: none): max(last + 1,
 * now), as sequence numbers are made (§2), so that a person key restored from
 * a backup, which lost its last list, still makes lists newer than every one
 * it made before.
 */
export function nextEpoch (last: bigint, now: number): bigint {
  const t = BigInt(Math.max(1, Math.floor(now)))
  return last + 1n > t ? last + 1n : t
}

/** A new person's first list: one device (the person key's own, for a node that had no list yet). */
export function firstDeviceList (personKey: PrivateKey, device: PeerId, name: string, now: number): { list: Uint8Array, certificate: Uint8Array } {
  const epoch = nextEpoch(0n, now)
  const certificate = sealDeviceCertificate({ device, name, issuedAt: now, epoch }, personKey)
  return { certificate, list: sealDeviceList({ epoch, issuedAt: now, certificates: [certificate], revoked: [] }, personKey) }
}

/** Whether a list says more than that its person has one device, the person key's (what a first list says). */
export function namesOtherDevices (list: Pick<DeviceList, 'person' | 'devices' | 'revoked'>): boolean {
  return list.revoked.length > 0 || list.devices.some(d => !d.device.equals(list.person))
}

/**
 * The list with one more device, at the next epoch, and its certificate;
 * `consent` is the link request the device signed. Throws DeviceFieldError
 * for a device listed or revoked already, a full list, or a bad consent.
 */
export function addDevice (current: DeviceList, personKey: PrivateKey, device: PeerId, name: string, now: number, consent: Uint8Array): { list: Uint8Array, certificate: Uint8Array } {
  if (current.devices.some(d => d.device.equals(device))) throw new DeviceFieldError('that device is linked already')
  if (current.revoked.some(r => r.equals(device))) throw new DeviceFieldError('that device was revoked: a device that comes back needs a new identity')
  if (current.devices.length >= MAX_DEVICES) throw new DeviceFieldError(`a person has at most ${MAX_DEVICES} devices`)
  const epoch = nextEpoch(current.epoch, now)
  const certificate = sealDeviceCertificate({ device, name, issuedAt: now, epoch, consent }, personKey)
  const list = sealDeviceList({ epoch, issuedAt: Math.max(now, current.issuedAt), certificates: [...current.certificates, certificate], revoked: current.revoked }, personKey)
  return { list, certificate }
}

/**
 * The list without `device`, which joins the revoked ones (the oldest beyond
 * MAX_REVOKED drop off: their certificates' epochs keep them out, §14.4).
 * Throws DeviceFieldError for a device not listed, or the person key's own.
 */
export function revokeDevice (current: DeviceList, personKey: PrivateKey, device: PeerId, now: number): Uint8Array {
  if (!current.devices.some(d => d.device.equals(device))) throw new DeviceFieldError('that device is not linked')
  if (uint8ArrayEquals(personKey.publicKey.toMultihash().bytes, device.toMultihash().bytes)) {
    throw new DeviceFieldError('the device holding the person key cannot be revoked')
  }
  const keep = current.devices.map((d, i) => ({ d, c: current.certificates[i] })).filter(x => !x.d.device.equals(device))
  return sealDeviceList({
    epoch: nextEpoch(current.epoch, now),
    issuedAt: Math.max(now, current.issuedAt),
    certificates: keep.map(x => x.c),
    revoked: [...current.revoked, device].slice(-MAX_REVOKED)
  }, personKey)
}

/**
 * Whether a device, by its valid certificate, is one of the person's
 * devices for a receiver that holds `list` (§14.4):
 * - `listed`: the list names it;
 * - `revoked`: the list does not, and its epoch is not older than the
 *   certificate's (lists only ever drop a device by revoking it), or it
 *   names the device as revoked;
 * - `newer`: the certificate is newer than the list: the device counts,
 *   and the receiver should fetch the newer list from it.
 * Without a list, a certificate is `newer`.
 */
export function certificateStanding (cert: Pick<DeviceCertificate, 'person' | 'device' | 'epoch'>, list?: Pick<DeviceList, 'person' | 'epoch' | 'devices' | 'revoked'>): 'listed' | 'revoked' | 'newer' {
  if (list == null) return 'newer'
  if (!cert.person.equals(list.person)) throw new DeviceFieldError('the certificate and the list are of different people')
  if (list.devices.some(d => d.device.equals(cert.device))) return 'listed'
  if (list.revoked.some(r => r.equals(cert.device)) || cert.epoch <= list.epoch) return 'revoked'
  return 'newer'
}

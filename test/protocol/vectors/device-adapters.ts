/** The conformance adapters of several devices (docs/protocol.md §14, docs/vectors/devices.json). Registered in adapters.ts. */
import { peerIdFromString } from '@libp2p/peer-id'
import { openDeviceCertificate, sealDeviceCertificate } from '../../../protocol/device-cert.js'
import { openDeviceList, sealDeviceList } from '../../../protocol/device-list.js'
import { formatLinkCode, LinkCodeError, linkIntakeIdentity, openLinkRequest, parseLinkCode, sealLinkRequest } from '../../../protocol/link.js'
import { keyOf } from './adapters.js'
import type { DeviceCertificate } from '../../../protocol/device-cert.js'
import type { Adapter, Expect } from './adapters.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const fail = (reason: string): Expect => ({ ok: false, reason })
const okay = (decoded: unknown): Expect => ({ ok: true, decoded })
const certJson = (c: DeviceCertificate): unknown => ({ person: c.person.toString(), device: c.device.toString(), name: c.name, issuedAt: c.issuedAt, epoch: c.epoch.toString() })

const certificates: Adapter = async (c, file) => {
  const e = c.encode
  const encoded = e == null
    ? undefined
    : hex(sealDeviceCertificate({ device: peerIdFromString(e.device), name: e.name, issuedAt: e.issuedAt, epoch: BigInt(e.epoch), consent: e.consent == null ? undefined : unhex(e.consent) }, keyOf(file, e.signer)))
  const res = openDeviceCertificate(unhex(c.bytes!), c.context ?? {})
  return { encoded, outcome: res.ok ? okay(certJson(res.cert)) : fail(res.reason) }
}

const lists: Adapter = async (c, file) => {
  const e = c.encode
  const encoded = e == null
    ? undefined
    : hex(sealDeviceList({ epoch: BigInt(e.epoch), issuedAt: e.issuedAt, certificates: e.certificates.map(unhex), revoked: e.revoked.map((p: string) => peerIdFromString(p)) }, keyOf(file, e.signer)))
  const ctx = c.context ?? {}
  const res = openDeviceList(unhex(c.bytes!), { expectedPerson: ctx.expectedPerson, lastEpoch: ctx.lastEpoch == null ? undefined : BigInt(ctx.lastEpoch) })
  if (!res.ok) return { encoded, outcome: fail(res.reason) }
  const l = res.list
  return { encoded, outcome: okay({ person: l.person.toString(), epoch: l.epoch.toString(), issuedAt: l.issuedAt, devices: l.devices.map(certJson), revoked: l.revoked.map(r => r.toString()) }) }
}

const linkRequests: Adapter = async (c, file) => {
  const e = c.encode
  const encoded = e == null
    ? undefined
    : hex(sealLinkRequest({ to: peerIdFromString(e.to), intake: peerIdFromString(e.intake), name: e.name, sentAt: e.sentAt }, keyOf(file, e.signer)))
  const res = openLinkRequest(unhex(c.bytes!), c.context)
  if (!res.ok) return { encoded, outcome: fail(res.reason) }
  const r = res.request
  return { encoded, outcome: okay({ device: r.device.toString(), to: r.to.toString(), intake: r.intake.toString(), name: r.name, sentAt: r.sentAt }) }
}

/** Link codes are text: `bytes` is the UTF-8 of the code (as contact codes, §9); the intake identity comes with what parses. */
const linkCodes: Adapter = async (c, file) => {
  const e = c.encode
  const encoded = e == null
    ? undefined
    : hex(new TextEncoder().encode(formatLinkCode({ peer: peerIdFromString(file.identities![e.owner].peerId), secret: unhex(e.secret), addrs: e.addrs })))
  try {
    const code = parseLinkCode(new TextDecoder().decode(unhex(c.bytes!)))
    const intake = await linkIntakeIdentity(code.peer, code.secret)
    return { encoded, outcome: okay({ peer: code.peer.toString(), secret: hex(code.secret), addrs: code.addrs, intake: intake.peerId.toString() }) }
  } catch (err) {
    if (err instanceof LinkCodeError) return { encoded, outcome: fail(err.reason) }
    throw err
  }
}

export const DEVICE_ADAPTERS: Record<string, Adapter> = {
  'devices/certificates': certificates,
  'devices/lists': lists,
  'devices/link-requests': linkRequests,
  'devices/link-codes': linkCodes
}

/**
 * Device certificates and device lists (docs/protocol.md §14.2-14.4): what
 * the person key signs opens to exactly what was signed, nothing altered
 * opens, and the list's history keeps every revoked device out.
 */
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEVICE_REJECT_REASONS, DeviceFieldError, openDeviceCertificate, sealDeviceCertificate } from '../../protocol/device-cert.js'
import { sealLinkRequest } from '../../protocol/link.js'
import { addDevice, certificateStanding, firstDeviceList, namesOtherDevices, nextEpoch, openDeviceList, revokeDevice, sealDeviceList } from '../../protocol/device-list.js'
import { MAX_DEVICE_CERT_BYTES, MAX_DEVICE_LIST_BYTES, MAX_DEVICE_NAME_CHARS, MAX_DEVICES, MAX_REVOKED, MAX_TIME_MS } from '../../protocol/limits.js'
import type { DeviceList } from '../../protocol/device-list.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

const key = (n: number): PrivateKey => {
  const seed = new Uint8Array(32)
  seed[0] = n & 0xff
  seed[1] = n >> 8
  seed[31] = 0x5a
  return privateKeyFromRaw(Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]))
}
const KEYS = Array.from({ length: 100 }, (_, i) => key(i + 1))
const PEERS = KEYS.map(k => peerIdFromPrivateKey(k))
const person = KEYS[0]
const personId = PEERS[0]
const NOW = 1_800_000_000_000
/** Device d's consent to be the person's device: the link request it signs. */
const consent = (d: number, to: PeerId = personId): Uint8Array => sealLinkRequest({ to, intake: PEERS[99], name: 'x', sentAt: NOW }, KEYS[d])

const open = (bytes: Uint8Array, opts = {}): DeviceList => {
  const res = openDeviceList(bytes, opts)
  if (!res.ok) throw new Error(`${res.reason} ${res.detail ?? ''}`)
  return res.list
}

const nameArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: MAX_DEVICE_NAME_CHARS })
  .filter(s => [...s].length <= MAX_DEVICE_NAME_CHARS && s.trim() === s && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.test(s))

describe('device certificates', () => {
  it('open to exactly the fields the person key signed', () => {
    fc.assert(fc.property(nameArb, fc.integer({ min: 1, max: MAX_TIME_MS }), fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), fc.integer({ min: 1, max: 99 }),
      (name, issuedAt, epoch, d) => {
        const bytes = sealDeviceCertificate({ device: PEERS[d], name, issuedAt, epoch, consent: consent(d) }, person)
        expect(bytes.byteLength).toBeLessThanOrEqual(MAX_DEVICE_CERT_BYTES)
        const res = openDeviceCertificate(bytes, { expectedPerson: personId, expectedDevice: PEERS[d] })
        expect(res.ok && { person: res.cert.person.toString(), device: res.cert.device.toString(), name: res.cert.name, issuedAt: res.cert.issuedAt, epoch: res.cert.epoch })
          .toEqual({ person: personId.toString(), device: PEERS[d].toString(), name, issuedAt, epoch })
      }), { numRuns: 200 })
  })

  it('no altered byte opens, and nothing throws', () => {
    const bytes = sealDeviceCertificate({ device: PEERS[1], name: 'phone', issuedAt: NOW, epoch: 2n, consent: consent(1) }, person)
    fc.assert(fc.property(fc.nat({ max: bytes.byteLength - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
      const bad = Uint8Array.from(bytes)
      bad[i] ^= x
      const res = openDeviceCertificate(bad)
      expect(res.ok).toBe(false)
      if (!res.ok) expect(DEVICE_REJECT_REASONS).toContain(res.reason)
    }), { numRuns: 500 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), b => { expect(openDeviceCertificate(b).ok).toBe(false) }))
  })

  it('names the person, the device and the reason it is refused', () => {
    const bytes = sealDeviceCertificate({ device: PEERS[1], name: 'phone', issuedAt: NOW, epoch: 2n, consent: consent(1) }, person)
    expect(openDeviceCertificate(bytes, { expectedPerson: PEERS[2] })).toMatchObject({ ok: false, reason: 'wrong-person' })
    expect(openDeviceCertificate(bytes, { expectedDevice: PEERS[2] })).toMatchObject({ ok: false, reason: 'wrong-device' })
    expect(openDeviceCertificate(new Uint8Array(MAX_DEVICE_CERT_BYTES + 1))).toMatchObject({ ok: false, reason: 'oversize' })
    for (const name of ['', ' phone', 'a\nb', 'x'.repeat(MAX_DEVICE_NAME_CHARS + 1)]) {
      expect(() => sealDeviceCertificate({ device: PEERS[1], name, issuedAt: NOW, epoch: 1n, consent: consent(1) }, person)).toThrow(DeviceFieldError)
    }
    expect(() => sealDeviceCertificate({ device: PEERS[1], name: 'a', issuedAt: NOW, epoch: 0n, consent: consent(1) }, person)).toThrow(DeviceFieldError)
  })

  it('take a device only with its own consent: signed by it, to this person key', () => {
    const cert = (device: number, c?: Uint8Array): unknown => sealDeviceCertificate({ device: PEERS[device], name: 'phone', issuedAt: NOW, epoch: 2n, consent: c }, person)
    // a person key cannot claim somebody else's peer id as its device
    expect(() => cert(1)).toThrow(/consent/)
    expect(() => cert(1, consent(2))).toThrow(/bad-consent/)
    expect(() => cert(1, consent(1, PEERS[2]))).toThrow(/bad-consent/)
    expect(() => cert(1, Uint8Array.of(1, 2, 3))).toThrow(/bad-consent/)
    // the person key's own device has none
    expect(() => sealDeviceCertificate({ device: personId, name: 'laptop', issuedAt: NOW, epoch: 1n, consent: consent(0) }, person)).toThrow(/consent/)
    // a consent whose signature was altered
    const good = consent(1)
    const forged = Uint8Array.from(good)
    forged[forged.length - 1] ^= 1
    expect(() => cert(1, forged)).toThrow(/bad-consent/)
  })
})

describe('device lists', () => {
  it('a node without linked devices has a list of itself, and its first device is the person key', () => {
    const { list, certificate } = firstDeviceList(person, personId, 'laptop', NOW)
    const l = open(list, { expectedPerson: personId })
    expect(l.epoch).toBe(BigInt(NOW))
    expect(l.devices.map(d => d.device.toString())).toEqual([personId.toString()])
    expect(openDeviceCertificate(certificate, { expectedPerson: personId }).ok).toBe(true)
    expect(certificateStanding(l.devices[0], l)).toBe('listed')
  })

  it('over any history of links and revocations, epochs grow and no revoked device counts again', () => {
    const op = fc.oneof(fc.record({ kind: fc.constant('add' as const), d: fc.integer({ min: 1, max: 40 }) }), fc.record({ kind: fc.constant('revoke' as const), i: fc.nat() }))
    fc.assert(fc.property(fc.array(op, { maxLength: 30 }), ops => {
      let bytes = firstDeviceList(person, personId, 'laptop', NOW).list
      let list = open(bytes)
      const certs = new Map<string, ReturnType<typeof openDeviceCertificate>>()
      const revoked = new Set<string>()
      let t = NOW
      for (const o of ops) {
        t += 1000
        let next: Uint8Array
        if (o.kind === 'add') {
          const id = PEERS[o.d].toString()
          const taken = list.devices.some(d => d.device.toString() === id) || revoked.has(id) || list.devices.length >= MAX_DEVICES
          if (taken) {
            expect(() => addDevice(list, person, PEERS[o.d], `d${o.d}`, t, consent(o.d))).toThrow(DeviceFieldError)
            continue
          }
          const added = addDevice(list, person, PEERS[o.d], `d${o.d}`, t, consent(o.d))
          certs.set(id, openDeviceCertificate(added.certificate, { expectedDevice: PEERS[o.d] }))
          next = added.list
        } else {
          const others = list.devices.filter(d => !d.device.equals(personId))
          if (others.length === 0) {
            expect(() => revokeDevice(list, person, personId, t)).toThrow(DeviceFieldError)
            continue
          }
          const gone = others[o.i % others.length].device
          revoked.add(gone.toString())
          next = revokeDevice(list, person, gone, t)
        }
        // an older list is a replay to whoever holds the newer one
        expect(openDeviceList(bytes, { lastEpoch: open(next).epoch })).toMatchObject({ ok: false, reason: 'replay' })
        const nl = open(next, { lastEpoch: list.epoch, expectedPerson: personId })
        expect(nl.epoch > list.epoch).toBe(true)
        bytes = next
        list = nl
        for (const [id, c] of certs) {
          if (!c.ok) throw new Error('certificate')
          expect(certificateStanding(c.cert, list)).toBe(revoked.has(id) ? 'revoked' : 'listed')
        }
      }
    }), { numRuns: 40 })
  })

  it('epochs follow the clock, so a person key restored without its last list still makes newer ones', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 1n << 60n }), fc.integer({ min: 0, max: MAX_TIME_MS }), (last, now) => {
      const e = nextEpoch(last, now)
      expect(e > last && e >= BigInt(now)).toBe(true)
    }))
    const old = open(addDevice(open(firstDeviceList(person, personId, 'laptop', NOW).list), person, PEERS[5], 'phone', NOW + 10, consent(5)).list)
    expect(namesOtherDevices(old)).toBe(true)
    // restored from a backup a minute later: a new first list, newer than the one lost
    const restored = open(firstDeviceList(person, personId, 'laptop', NOW + 60_000).list)
    expect(restored.epoch > old.epoch).toBe(true)
    expect(namesOtherDevices(restored)).toBe(false)
    expect(openDeviceList(firstDeviceList(person, personId, 'laptop', NOW + 60_000).list, { lastEpoch: old.epoch }).ok).toBe(true)
  })

  it('a certificate newer than the list held counts until a list without it arrives', () => {
    const first = open(firstDeviceList(person, personId, 'laptop', NOW).list)
    const added = addDevice(first, person, PEERS[5], 'phone', NOW + 1, consent(5))
    const cert = openDeviceCertificate(added.certificate)
    if (!cert.ok) throw new Error('certificate')
    expect(certificateStanding(cert.cert, first)).toBe('newer')
    expect(certificateStanding(cert.cert)).toBe('newer')
    // the revocation epoch is above the certificate's: the device is out, even once the revoked list no longer names it
    const after = open(revokeDevice(open(added.list), person, PEERS[5], NOW + 2))
    expect(certificateStanding(cert.cert, { ...after, revoked: [] })).toBe('revoked')
    expect(() => certificateStanding(cert.cert, { ...after, person: PEERS[3] })).toThrow(DeviceFieldError)
  })

  it('refuses lists that break the rules of the set, and altered bytes', () => {
    const c1 = sealDeviceCertificate({ device: PEERS[1], name: 'a', issuedAt: NOW, epoch: 1n, consent: consent(1) }, person)
    const c2 = sealDeviceCertificate({ device: PEERS[2], name: 'b', issuedAt: NOW, epoch: 3n, consent: consent(2) }, person)
    const foreign = sealDeviceCertificate({ device: PEERS[3], name: 'c', issuedAt: NOW, epoch: 1n, consent: consent(3, PEERS[9]) }, KEYS[9])
    expect(() => sealDeviceList({ epoch: 2n, issuedAt: NOW, certificates: [c1, c2], revoked: [] }, person)).toThrow(/epoch above/)
    expect(() => sealDeviceList({ epoch: 3n, issuedAt: NOW, certificates: [c1, c1], revoked: [] }, person)).toThrow(/listed twice/)
    expect(() => sealDeviceList({ epoch: 3n, issuedAt: NOW, certificates: [c1], revoked: [PEERS[1]] }, person)).toThrow(/is revoked/)
    expect(() => sealDeviceList({ epoch: 3n, issuedAt: NOW, certificates: [c1, foreign], revoked: [] }, person)).toThrow(/wrong-person/)
    expect(() => sealDeviceList({ epoch: 3n, issuedAt: NOW, certificates: [], revoked: [] }, person)).toThrow(/devices/)
    const good = sealDeviceList({ epoch: 3n, issuedAt: NOW, certificates: [c1, c2], revoked: [PEERS[4]] }, person)
    expect(openDeviceList(good, { expectedPerson: PEERS[1] })).toMatchObject({ ok: false, reason: 'wrong-person' })
    fc.assert(fc.property(fc.nat({ max: good.byteLength - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
      const bad = Uint8Array.from(good)
      bad[i] ^= x
      expect(openDeviceList(bad).ok).toBe(false)
    }), { numRuns: 500 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), b => { expect(openDeviceList(b).ok).toBe(false) }))
  })

  it('the largest legal list fits the limit', () => {
    const longName = '\u{1F600}'.repeat(MAX_DEVICE_NAME_CHARS)
    const max = (1n << 64n) - 1n
    const certificates = PEERS.slice(1, 1 + MAX_DEVICES).map((p, i) => sealDeviceCertificate({
      device: p, name: longName, issuedAt: MAX_TIME_MS, epoch: max, consent: sealLinkRequest({ to: personId, intake: PEERS[99], name: longName, sentAt: MAX_TIME_MS }, KEYS[i + 1])
    }, person))
    for (const c of certificates) expect(c.byteLength).toBeLessThanOrEqual(MAX_DEVICE_CERT_BYTES)
    const revoked: PeerId[] = PEERS.slice(1 + MAX_DEVICES, 1 + MAX_DEVICES + MAX_REVOKED)
    const bytes = sealDeviceList({ epoch: max, issuedAt: MAX_TIME_MS, certificates, revoked }, person)
    expect(bytes.byteLength).toBeLessThanOrEqual(MAX_DEVICE_LIST_BYTES)
    expect(open(bytes).devices).toHaveLength(MAX_DEVICES)
    expect(() => sealDeviceList({ epoch: max, issuedAt: MAX_TIME_MS, certificates, revoked: [...revoked, PEERS[99]] }, person)).toThrow(/revoked/)
  })
})

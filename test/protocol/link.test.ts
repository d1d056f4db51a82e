/**
 * Link codes and the link frames (docs/protocol.md §14.5, §14.6): a code
 * parses back to what was formatted, a mistyped one is caught before
 * anything is sent, and a request opens only for the device, the intake
 * identity and the moment it was made for.
 */
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeDeviceListAck, decodeLinkResponse, encodeDeviceListAck, encodeLinkResponse, formatLinkCode, LINK_REJECT_REASONS, LinkCodeError, linkIntakeIdentity,
  MAX_LINK_REQUEST_BYTES, MAX_LINK_SKEW_MS, openLinkRequest, parseLinkCode, sealLinkRequest
} from '../../protocol/link.js'
import { LinkResponse as LinkResponsePb, LinkResult } from '../../protocol/pb/devices.js'
import type { PrivateKey } from '@libp2p/interface'

const key = (fill: number): PrivateKey => {
  const seed = new Uint8Array(32).fill(fill)
  return privateKeyFromRaw(Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]))
}
const A = peerIdFromPrivateKey(key(1))
const deviceKey = key(2)
const B = peerIdFromPrivateKey(deviceKey)
const NOW = 1_800_000_000_000
const ADDRS = ['/ip4/127.0.0.1/tcp/4801', '/ip6/::1/tcp/4801', '/ip4/10.0.0.1/tcp/1/p2p/12D3KooWHP2Ve7tpkRQMJACbU4xmq9aDwL6gphLRHLJ3xB6nU5KA/p2p-circuit']

const reason = (f: () => unknown): string | undefined => {
  try {
    f()
    return undefined
  } catch (err: any) {
    expect(err).toBeInstanceOf(LinkCodeError)
    return err.reason
  }
}

describe('link codes', () => {
  it('parse back to the peer, the secret and the addresses', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.subarray(ADDRS, { minLength: 1 }), (secret, addrs) => {
      const text = formatLinkCode({ peer: A, secret, addrs })
      const parsed = parseLinkCode(`  ${text.replace('pml1', 'PML1')}\n`)
      expect(parsed.peer.toString()).toBe(A.toString())
      expect(parsed.secret).toEqual(secret)
      expect(parsed.addrs).toEqual(addrs)
    }))
    // a trailing /p2p/ of the code's own peer is dropped
    const secret = new Uint8Array(16).fill(9)
    const withPeer = formatLinkCode({ peer: A, secret, addrs: [`/ip4/127.0.0.1/tcp/1/p2p/${A.toString()}`] })
    expect(parseLinkCode(withPeer).addrs).toEqual(['/ip4/127.0.0.1/tcp/1'])
  })

  it('catch any one mistyped character of the secret, and say what is wrong', () => {
    const secret = new Uint8Array(16).fill(7)
    const text = formatLinkCode({ peer: A, secret, addrs: ADDRS.slice(0, 1) })
    const start = text.indexOf(':', 5) + 1
    fc.assert(fc.property(fc.nat({ max: 28 }), fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz234567'), (i, c) => {
      const chars = [...text]
      fc.pre(chars[start + i] !== c)
      chars[start + i] = c
      expect(['checksum', 'bad-secret']).toContain(reason(() => parseLinkCode(chars.join(''))))
    }))
    expect(reason(() => parseLinkCode('pmc1:x:y'))).toBe('not-a-code')
    expect(reason(() => parseLinkCode(text.replace(A.toString(), B.toString())))).toBe('checksum')
    expect(reason(() => parseLinkCode(text.replace(A.toString(), 'QmNotAPeer')))).toBe('bad-peer-id')
    expect(reason(() => parseLinkCode(text.split('@')[0]))).toBe('bad-address')
    expect(reason(() => parseLinkCode(`${text.split('@')[0]}@/ip4/1.2.3.4/tcp/1/p2p/${B.toString()}`))).toBe('bad-address')
    expect(reason(() => parseLinkCode(`${text.split('@')[0]}@nonsense`))).toBe('bad-address')
    expect(reason(() => parseLinkCode(`${text},${ADDRS.join(',')},${ADDRS[0]}`))).toBe('bad-address')
  })

  it('derive one intake identity per code, the same on both sides', async () => {
    const s1 = new Uint8Array(16).fill(1)
    const a = await linkIntakeIdentity(A, s1)
    const b = await linkIntakeIdentity(parseLinkCode(formatLinkCode({ peer: A, secret: s1, addrs: ADDRS.slice(0, 1) })).peer, s1)
    expect(a.peerId.toString()).toBe(b.peerId.toString())
    expect((await linkIntakeIdentity(A, new Uint8Array(16).fill(2))).peerId.toString()).not.toBe(a.peerId.toString())
    expect((await linkIntakeIdentity(B, s1)).peerId.toString()).not.toBe(a.peerId.toString())
  })
})

describe('link requests', () => {
  const intake = peerIdFromPrivateKey(key(3))
  const req = sealLinkRequest({ to: A, intake, name: 'phone', sentAt: NOW }, deviceKey)

  it('open for the device that signed it, to the code it came through', () => {
    expect(req.byteLength).toBeLessThanOrEqual(MAX_LINK_REQUEST_BYTES)
    const res = openLinkRequest(req, { me: A, intake, now: NOW })
    expect(res.ok && [res.request.device.toString(), res.request.name]).toEqual([B.toString(), 'phone'])
    expect(openLinkRequest(req, { me: B, intake, now: NOW })).toMatchObject({ ok: false, reason: 'wrong-recipient' })
    expect(openLinkRequest(req, { me: A, intake: B, now: NOW })).toMatchObject({ ok: false, reason: 'wrong-intake' })
    expect(openLinkRequest(req, { me: A, intake, now: NOW - MAX_LINK_SKEW_MS - 1 })).toMatchObject({ ok: false, reason: 'future' })
    expect(openLinkRequest(req, { me: A, intake, now: NOW + MAX_LINK_SKEW_MS + 1 })).toMatchObject({ ok: false, reason: 'expired' })
    expect(openLinkRequest(req, { me: A, intake, now: NOW + MAX_LINK_SKEW_MS }).ok).toBe(true)
  })

  it('no altered byte opens, and nothing throws', () => {
    fc.assert(fc.property(fc.nat({ max: req.byteLength - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
      const bad = Uint8Array.from(req)
      bad[i] ^= x
      const res = openLinkRequest(bad, { me: A, intake, now: NOW })
      expect(res.ok).toBe(false)
      if (!res.ok) expect(LINK_REJECT_REASONS).toContain(res.reason)
    }), { numRuns: 400 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), b => { expect(openLinkRequest(b, { me: A, intake, now: NOW }).ok).toBe(false) }))
  })
})

describe('link responses and acks', () => {
  it('carry a certificate and a list exactly when linked', () => {
    const linked = { result: 'linked' as const, certificate: Uint8Array.of(1, 2), deviceList: Uint8Array.of(3) }
    expect(decodeLinkResponse(encodeLinkResponse(linked))).toEqual({ ok: true, response: linked })
    expect(decodeLinkResponse(encodeLinkResponse({ result: 'bad-code' }))).toEqual({ ok: true, response: { result: 'bad-code' } })
    expect(decodeLinkResponse(encodeLinkResponse({ result: 'refused' }))).toEqual({ ok: true, response: { result: 'refused' } })
    expect(decodeLinkResponse(LinkResponsePb.encode({ result: LinkResult.LINKED, certificate: Uint8Array.of(1), deviceList: new Uint8Array(0) }))).toMatchObject({ ok: false, reason: 'invalid-field' })
    expect(decodeLinkResponse(LinkResponsePb.encode({ result: LinkResult.BAD_CODE, certificate: Uint8Array.of(1), deviceList: new Uint8Array(0) }))).toMatchObject({ ok: false, reason: 'invalid-field' })
    expect(decodeLinkResponse(new Uint8Array(0))).toMatchObject({ ok: false, reason: 'invalid-field' })
    // an enum value the schema does not declare
    expect(decodeLinkResponse(Uint8Array.of(0x08, 0x04))).toMatchObject({ ok: false, reason: 'malformed' })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), b => { decodeLinkResponse(b); decodeDeviceListAck(b) }))
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), e => { expect(decodeDeviceListAck(encodeDeviceListAck(e))).toEqual({ ok: true, epoch: e }) }))
  })
})

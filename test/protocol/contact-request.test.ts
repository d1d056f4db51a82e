import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ContactFieldError, MAX_CONTACT_AGE_MS, MAX_GREETING_CHARS, messageKey, newRequestId, openContactMessage, sealContactMessage
} from '../../protocol/contact-request.js'
import type { ContactMessage } from '../../protocol/contact-request.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

let aKey: PrivateKey, bKey: PrivateKey, cKey: PrivateKey
let a: PeerId, b: PeerId, c: PeerId

beforeAll(async () => {
  [aKey, bKey, cKey] = await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519'), generateKeyPair('Ed25519')])
  ;[a, b, c] = [aKey, bKey, cKey].map(k => peerIdFromPrivateKey(k))
})

const msg = (over: Partial<ContactMessage> = {}): ContactMessage =>
  ({ kind: 'request', requestId: newRequestId(), from: a, to: b, greeting: 'hi, it is Ann', sentAt: Date.now(), ...over })

describe('contact messages', () => {
  it('round-trips a request and each answer', async () => {
    for (const kind of ['request', 'accept', 'deny', 'cancel', 'remove'] as const) {
      const m = msg({ kind, greeting: kind === 'request' ? '👋 hello' : undefined })
      const res = await openContactMessage(await sealContactMessage(m, aKey), { now: Date.now(), me: b })
      expect(res.ok).toBe(true)
      if (res.ok) {
        expect(res.message.kind).toBe(kind)
        expect(res.message.from.equals(a)).toBe(true)
        expect(res.message.greeting).toBe(m.greeting)
        expect(Buffer.from(res.message.requestId).equals(Buffer.from(m.requestId))).toBe(true)
      }
    }
  })

  it('rejects every kind of bad message with its reason', async () => {
    const now = Date.now()
    const good = msg()
    const forged = await sealContactMessage(good, aKey)
    forged[forged.length - 1] ^= 1
    const cases: Array<[string, Uint8Array, object?]> = [
      ['wrong-recipient', await sealContactMessage(msg({ to: c }), aKey)],
      ['signer-mismatch', await sealContactMessage(msg(), cKey)],
      ['bad-signature', forged],
      ['expired', await sealContactMessage(msg({ sentAt: now - MAX_CONTACT_AGE_MS - 1000 }), aKey)],
      ['future', await sealContactMessage(msg({ sentAt: now + 3600_000 }), aKey)],
      ['duplicate', await sealContactMessage(good, aKey), { seen: new Set([messageKey('request', good.requestId)]) }],
      ['oversize', new Uint8Array(5000)],
      ['malformed', Uint8Array.of(1, 2, 3)],
      ['wrong-payload-type', (await RecordEnvelope.seal({ domain: 'presence-mesh-contact', codec: Uint8Array.of(1), marshal: () => Uint8Array.of(1), equals: () => false }, aKey)).marshal()]
    ]
    for (const [reason, bytes, extra] of cases) {
      const res = await openContactMessage(bytes, { now, me: b, ...extra })
      expect(res.ok ? 'ok' : res.reason, reason).toBe(reason)
    }
  })

  it('refuses to seal an over-long greeting or a greeting on an answer', async () => {
    await expect(sealContactMessage(msg({ greeting: 'x'.repeat(MAX_GREETING_CHARS + 1) }), aKey)).rejects.toThrow(ContactFieldError)
    await expect(sealContactMessage(msg({ greeting: '😀'.repeat(MAX_GREETING_CHARS) }), aKey)).resolves.toBeInstanceOf(Uint8Array)
    await expect(sealContactMessage(msg({ kind: 'accept', greeting: 'x' }), aKey)).rejects.toThrow(ContactFieldError)
    await expect(sealContactMessage(msg({ requestId: new Uint8Array(3) }), aKey)).rejects.toThrow(ContactFieldError)
  })
})

import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CHAT_FRAME_RULES } from '../../protocol/chat-frame.js'
import { CONTACT_MESSAGE_RULES } from '../../protocol/contact-request.js'
import { isWeakEd25519Point } from '../../protocol/ed25519-fast.js'
import { le32, P, pointOfOrder8 } from './ed25519-points.js'
import { LOCATOR_RECORD_RULES } from '../../protocol/locator-record.js'
import { ChatFrame, ChatKind } from '../../protocol/pb/chat.js'
import { ContactKind, ContactMessage, LocatorRecord } from '../../protocol/pb/contact.js'
import { PresenceRecord, Status } from '../../protocol/pb/presence.js'
import { PRESENCE_RECORD_RULES } from '../../protocol/presence-record.js'
import { scanMessage } from '../../protocol/strict-protobuf.js'

const bytes = fc.uint8Array({ maxLength: 40 }) as fc.Arbitrary<Uint8Array<ArrayBuffer>>
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
const text = fc.string({ unit: 'grapheme', maxLength: 30 })

describe('strict protobuf rules', () => {
  it('accept everything the generated encoders produce, for every schema', () => {
    fc.assert(fc.property(
      fc.record({ presentity: bytes, status: fc.constantFrom(Status.ONLINE, Status.AWAY, Status.BUSY, Status.DND, Status.OFFLINE, Status.STATUS_UNSPECIFIED), note: fc.option(text, { nil: undefined }), activity: fc.option(text, { nil: undefined }), seq: u64, issuedAt: u64, expiresAt: u64 }),
      fc.record({ kind: fc.constantFrom(ContactKind.REQUEST, ContactKind.ACCEPT, ContactKind.DENY, ContactKind.CANCEL, ContactKind.REMOVE, ContactKind.KIND_UNSPECIFIED), requestId: bytes, from: bytes, to: bytes, greeting: fc.option(text, { nil: undefined }), sentAt: u64 }),
      fc.record({ publisher: bytes, audience: bytes, addrs: fc.array(bytes, { maxLength: 10 }), seq: u64, issuedAt: u64, expiresAt: u64 }),
      fc.record({ id: bytes, kind: fc.constantFrom(ChatKind.TEXT, ChatKind.DELIVERED, ChatKind.READ, ChatKind.TYPING, ChatKind.KIND_UNSPECIFIED), sentAt: u64, body: bytes, ref: bytes }),
      (presence, contact, locator, chat) => {
        expect(scanMessage(PresenceRecord.encode(presence), PRESENCE_RECORD_RULES).ok).toBe(true)
        expect(scanMessage(ContactMessage.encode(contact), CONTACT_MESSAGE_RULES).ok).toBe(true)
        expect(scanMessage(LocatorRecord.encode(locator), LOCATOR_RECORD_RULES).ok).toBe(true)
        expect(scanMessage(ChatFrame.encode(chat), CHAT_FRAME_RULES).ok).toBe(true)
      }
    ), { numRuns: 300 })
  })

  it('never throw, whatever the bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      for (const rules of [PRESENCE_RECORD_RULES, CONTACT_MESSAGE_RULES, LOCATOR_RECORD_RULES, CHAT_FRAME_RULES]) scanMessage(b, rules)
    }), { numRuns: 2000 })
  })
})

describe('weak Ed25519 points', () => {
  it('are exactly the 8 small-order points (either sign) and the non-canonical encodings', () => {
    const t8 = pointOfOrder8()
    const torsion = Array.from({ length: 8 }, (_, k) => t8.multiplyUnsafe(BigInt(k)).toBytes())
    for (const enc of torsion) {
      expect(isWeakEd25519Point(enc)).toBe(true)
      const flipped = enc.slice()
      flipped[31] ^= 0x80
      expect(isWeakEd25519Point(flipped)).toBe(true)
    }
    for (let y = 0n; y < 19n; y++) expect(isWeakEd25519Point(le32(y + P))).toBe(true)
    expect(isWeakEd25519Point(new Uint8Array(31))).toBe(true)
  })

  it('accept real keys', () => {
    for (let i = 0; i < 200; i++) expect(isWeakEd25519Point(ed25519.getPublicKey(ed25519.utils.randomSecretKey()))).toBe(false)
  })
})

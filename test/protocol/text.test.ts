/**
 * Every string a person types into a signed record either comes out of the
 * receiver's reader unchanged or is refused at the setter with a typed error:
 * never sealed into bytes every peer refuses (a lone surrogate) or changed on
 * the way (U+FFFD).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkChatText, ChatFrameError } from '../../protocol/chat-frame.js'
import { ContactFieldError, newRequestId, openContactMessage, sealContactMessage } from '../../protocol/contact-request.js'
import { DeviceFieldError, deviceNameProblem, openDeviceCertificate, sealDeviceCertificate } from '../../protocol/device-cert.js'
import { GroupFieldError, openGroupOp, sealGroupOp } from '../../protocol/group-op.js'
import { openPresenceNow, PresenceFieldError, sealPresenceNow } from '../../protocol/presence-record.js'
import { codePoints, isUnicode, longerThan } from '../../protocol/text.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

let aKey: PrivateKey, bKey: PrivateKey
let a: PeerId, b: PeerId

beforeAll(async () => {
  aKey = await generateKeyPair('Ed25519')
  bKey = await generateKeyPair('Ed25519')
  a = peerIdFromPrivateKey(aKey)
  b = peerIdFromPrivateKey(bKey)
})

// any UTF-16 code units, lone surrogates included, with short strings common (protons writes those byte by byte)
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'binary', minLength: 40, maxLength: 80 }),
  fc.constantFrom('\uD800', 'a\uDC00', '\uDBFF\uDFFF', '😀\uD83D', 'x'.repeat(20) + '\uD800')
)

/** Runs `set`; a thrown error must be `errorType`, a result must come back as `text` (and needs `text` to be Unicode). */
function roundTrips (text: string, errorType: new (...args: any[]) => Error, set: () => string | undefined): void {
  let out: string | undefined
  try {
    out = set()
  } catch (err) {
    expect(err).toBeInstanceOf(errorType)
    return
  }
  expect(isUnicode(text)).toBe(true)
  // an empty optional field is no field
  expect(out ?? '').toBe(text)
}

describe('text a person types', () => {
  it('tells well-formed Unicode from lone surrogates and counts code points', () => {
    expect(isUnicode('hello 😀')).toBe(true)
    expect(isUnicode('\uD800')).toBe(false)
    expect(isUnicode('\uDC00x')).toBe(false)
    expect(isUnicode('\uD83D\uDE00')).toBe(true)
    expect(codePoints('a😀b')).toBe(3)
    expect(isUnicode('')).toBe(true)
    expect(isUnicode('\uDE00\uD83D')).toBe(false)
    // the same answer as the definition: no code point in the surrogate range (a pair is one code point outside it)
    fc.assert(fc.property(anyText, (text) => isUnicode(text) === !/\p{Cs}/u.test(text)), { numRuns: 2000 })
  })

  it('tells a text longer than a limit in code points without counting a short one', () => {
    fc.assert(fc.property(fc.oneof(anyText, fc.string({ unit: 'grapheme', maxLength: 30 })), fc.nat({ max: 90 }), (text, max) => {
      expect(longerThan(text, max)).toBe(codePoints(text) > max)
    }), { numRuns: 1000 })
    // astral characters are two units each: 'x😀😀' is 5 units, 3 code points
    expect(longerThan('x😀😀', 3)).toBe(false)
    expect(longerThan('x😀😀', 2)).toBe(true)
  })

  it('a presence note or activity is refused up front, or every watcher reads it as set', () => {
    const now = Date.now()
    fc.assert(fc.property(anyText, fc.boolean(), (text, asNote) => {
      roundTrips(text, PresenceFieldError, () => {
        const fields = asNote ? { note: text } : { activity: text }
        const bytes = sealPresenceNow({ presentity: a, status: 'online', seq: 1n, issuedAt: now, expiresAt: now + 60_000, maxVersion: 1, ...fields }, aKey)
        const res = openPresenceNow(bytes, { now })
        if (!res.ok) throw new Error(`refused by the reader: ${res.reason} ${res.detail ?? ''}`)
        return asNote ? res.presence.note : res.presence.activity
      })
    }), { numRuns: 300 })
    expect(() => sealPresenceNow({ presentity: a, status: 'online', note: '\uD800', seq: 1n, issuedAt: now, expiresAt: now + 60_000, maxVersion: 1 }, aKey))
      .toThrow(expect.objectContaining({ field: 'note', problem: 'not-unicode' }))
  })

  it('a greeting is refused up front, or the invitee reads it as written', async () => {
    await fc.assert(fc.asyncProperty(anyText, async (text) => {
      let out: string | undefined
      let refused: unknown
      try {
        const bytes = await sealContactMessage({ kind: 'request', requestId: newRequestId(), from: a, to: b, greeting: text, sentAt: Date.now() }, aKey)
        const res = await openContactMessage(bytes, { now: Date.now(), me: b })
        if (!res.ok) throw new Error(`refused by the reader: ${res.reason}`)
        out = res.message.greeting
      } catch (err) {
        refused = err
      }
      roundTrips(text, ContactFieldError, () => { if (refused != null) throw refused; return out })
    }), { numRuns: 150 })
  })

  it('a device name is refused up front, or the certificate carries it as given', () => {
    fc.assert(fc.property(anyText, (name) => {
      roundTrips(name, DeviceFieldError, () => {
        const bytes = sealDeviceCertificate({ device: b, name, issuedAt: Date.now(), epoch: 1n }, aKey)
        const res = openDeviceCertificate(bytes, { expectedPerson: a, expectedDevice: b })
        if (!res.ok) throw new Error(`refused by the reader: ${res.reason}`)
        return res.cert.name
      })
    }), { numRuns: 300 })
    expect(deviceNameProblem('phone\uD800')).toBe('valid Unicode')
  })

  it('a group name is refused up front, or every member reads it as given', () => {
    const group = new Uint8Array(16).fill(7)
    fc.assert(fc.property(anyText, (name) => {
      roundTrips(name, GroupFieldError, () => {
        const op = sealGroupOp({ group, kind: 'create', name, parents: [], createdAt: Date.now() }, aKey)
        const res = openGroupOp(op.envelope, group)
        if (!res.ok) throw new Error(`refused by the reader: ${res.reason}`)
        return res.op.name
      })
    }), { numRuns: 300 })
  })

  it('a chat text is refused up front unless it has UTF-8', () => {
    fc.assert(fc.property(anyText, (text) => {
      roundTrips(text, ChatFrameError, () => new TextDecoder('utf-8', { fatal: true }).decode(checkChatText(text)))
    }), { numRuns: 300 })
  })
})

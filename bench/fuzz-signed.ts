/**
 * Fuzz targets for the other signed records that arrive from the network:
 * contact messages (openContactMessage), DHT presence records
 * (checkPresenceDhtRecord, the kad-dht validator) and locator records
 * (openLocator). The oracle does not reuse the code under test: an accepted
 * input must decode to exactly one of the records this fuzzer signed as their
 * honest author, for the right recipient or key. Forging anything else would
 * take a signature nobody can make, so any other acceptance is a bug.
 *
 * Structure-aware mutations are forgeries an attacker can build: a record
 * signed by the attacker but naming an honest author (also under the right
 * symmetric key, as a blocked contact holding a pair key could), or one
 * addressed to somebody else.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { multiaddr } from '@multiformats/multiaddr'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { CONTACT_KINDS, openContactMessage, sealContactMessage } from '../protocol/contact-request.js'
import { checkPresenceDhtRecord, presenceDhtKey } from '../protocol/dht-presence.js'
import { LocatorRecord as LocatorRecordPb } from '../protocol/pb/contact.js'
import { MAX_LOCATOR_ENVELOPE_BYTES, MAX_SEALED_LOCATOR_BYTES, openLocator, sealLocator } from '../protocol/locator-record.js'
import { openBytes, sealBytes } from '../protocol/sealed-box.js'
import { sealPresence, STATUSES } from '../protocol/presence-record.js'
import { hex } from './fuzz-proto.js'
import type { FuzzTarget, Random } from './fuzz.js'
import type { ContactMessage } from '../protocol/contact-request.js'
import type { Locator } from '../protocol/locator-record.js'
import type { Presence } from '../protocol/presence-record.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

const NOW = 1_750_000_000_000
const int = (random: Random, n: number): number => Math.floor(random() * n)
const pick = <T>(random: Random, xs: readonly T[]): T => xs[int(random, xs.length)]
const bytes = (random: Random, n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(random, 256))

interface Parties { keys: PrivateKey[], ids: PeerId[], attacker: PrivateKey, me: PeerId }

async function parties (): Promise<Parties> {
  const keys = await Promise.all([0, 1, 2].map(async () => generateKeyPair('Ed25519')))
  const meKey = await generateKeyPair('Ed25519')
  return { keys, ids: keys.map(k => peerIdFromPrivateKey(k)), attacker: await generateKeyPair('Ed25519'), me: peerIdFromPrivateKey(meKey) }
}

const contactKey = (m: ContactMessage): string =>
  [m.kind, hex(m.requestId), m.from.toString(), m.to.toString(), m.greeting ?? '', m.sentAt].join('|')

export const contactMessageTarget: FuzzTarget = {
  name: 'openContactMessage',
  setup: async (random) => {
    const p = await parties()
    const greetings = [undefined, '', 'hi', 'hello, it is me 😀', 'x'.repeat(280)]
    const message = (k: number, over: Partial<ContactMessage> = {}): ContactMessage => {
      const kind = pick(random, CONTACT_KINDS)
      return {
        kind,
        requestId: bytes(random, 16),
        from: p.ids[k],
        to: p.me,
        // only a request carries a greeting
        greeting: kind === 'request' ? pick(random, greetings) : undefined,
        sentAt: NOW - int(random, 3_600_000),
        ...over
      }
    }
    const signed = new Set<string>()
    const seeds: Uint8Array[] = []
    for (let i = 0; i < 30; i++) {
      const m = message(i % 3)
      signed.add(contactKey(m))
      seeds.push(await sealContactMessage(m, p.keys[i % 3]))
    }
    return {
      seeds,
      mutate: async () => {
        // forgeries: the attacker signs as an honest sender, or an honest sender writes to someone else
        return random() < 0.5
          ? await sealContactMessage(message(int(random, 3), { from: p.ids[int(random, 3)] }), p.attacker).catch(() => new Uint8Array(0))
          : await sealContactMessage(message(0, { to: p.ids[1] }), p.keys[0])
      },
      decode: async (input) => {
        const res = await openContactMessage(input, { now: NOW, me: p.me })
        return res.ok ? { accepted: true, value: res.message } : { accepted: false, reason: res.reason }
      },
      oracle: async (_input, outcome) => {
        const m = outcome.value as ContactMessage
        return signed.has(contactKey(m)) ? undefined : `accepted a contact message nobody signed as such: ${contactKey(m)}`
      }
    }
  }
}

const presenceKey = (x: Presence): string =>
  [x.presentity.toString(), x.status, x.note ?? '', x.activity ?? '', x.seq, x.issuedAt, x.expiresAt].join('|')

export const dhtPresenceTarget: FuzzTarget = {
  name: 'checkPresenceDhtRecord',
  setup: async (random) => {
    const p = await parties()
    const record = (k: number, over: Partial<Presence> = {}): Presence => {
      const issuedAt = NOW - int(random, 30_000)
      return { presentity: p.ids[k], status: pick(random, STATUSES), note: pick(random, [undefined, 'lunch']), seq: BigInt(1 + int(random, 1000)), issuedAt, expiresAt: issuedAt + 60_000, ...over }
    }
    const signed = new Set<string>()
    const seeds: Uint8Array[] = []
    for (let i = 0; i < 30; i++) {
      const r = record(i % 3)
      signed.add(presenceKey(r))
      seeds.push(await sealPresence(r, p.keys[i % 3]))
    }
    return {
      seeds,
      // forgery: the attacker's own valid record, offered under an honest presentity's key
      mutate: async () => await sealPresence(record(0, { presentity: peerIdFromPrivateKey(p.attacker) }), p.attacker),
      decode: async (input, rnd) => {
        const k = int(rnd, 3)
        const res = await checkPresenceDhtRecord(presenceDhtKey(p.ids[k]), input, { now: NOW, storedSeq: rnd() < 0.3 ? BigInt(int(rnd, 1000)) : undefined })
        return res.ok ? { accepted: true, value: res.presence, context: p.ids[k] } : { accepted: false, reason: res.reason }
      },
      oracle: async (_input, outcome) => {
        const x = outcome.value as Presence
        if (!x.presentity.equals(outcome.context as PeerId)) return `record of ${x.presentity.toString()} accepted under another peer's key`
        return signed.has(presenceKey(x)) ? undefined : `accepted a presence record nobody signed as such: ${presenceKey(x)}`
      }
    }
  }
}

const locatorKey = (l: Locator): string =>
  [l.publisher.toString(), l.audience.toString(), l.addrs.map(hex).join(','), l.seq, l.issuedAt, l.expiresAt].join('|')

export const locatorTarget: FuzzTarget = {
  name: 'openLocator',
  setup: async (random) => {
    const p = await parties()
    // per publisher: the symmetric key and DHT key it shares with `me` (derived from the pair secret in the real protocol)
    const symmetric = p.ids.map(() => Uint8Array.from(cryptoRandomBytes(32)))
    const dhtKeys = p.ids.map(() => Uint8Array.from(cryptoRandomBytes(32)))
    const addrs = ['/ip4/127.0.0.1/tcp/4791', '/ip6/::1/tcp/4791', '/ip4/192.0.2.7/tcp/1/p2p-circuit'].map(a => multiaddr(a).bytes)
    const locator = (k: number, over: Partial<Locator> = {}): Locator => {
      const issuedAt = NOW - int(random, 60_000)
      return { publisher: p.ids[k], audience: p.me, addrs: addrs.slice(0, int(random, addrs.length + 1)), seq: BigInt(1 + int(random, 1000)), issuedAt, expiresAt: issuedAt + 3_600_000, ...over }
    }
    const signed = new Set<string>()
    const seeds: Uint8Array[] = []
    for (let i = 0; i < 30; i++) {
      const k = i % 3
      const l = locator(k)
      signed.add(locatorKey(l))
      seeds.push(await sealLocator(l, p.keys[k], symmetric[k], dhtKeys[k]))
    }
    return {
      seeds,
      mutate: async () => {
        const k = int(random, 3)
        const x = random()
        // forgeries under the right symmetric key, as a (blocked) contact holding it could build them
        if (x < 0.25) return await sealLocator(locator(k, { publisher: peerIdFromPrivateKey(p.attacker) }), p.attacker, symmetric[k], dhtKeys[k])
        if (x < 0.5) return await sealLocator(locator(k, { audience: p.ids[(k + 1) % 3] }), p.keys[k], symmetric[k], dhtKeys[k])
        // k's own envelope with the addresses redirected (or the signature bent): only the signature tells
        const aad = uint8ArrayToString(dhtKeys[k], 'base64')
        const inner = openBytes(symmetric[k], aad, await sealLocator(locator(k), p.keys[k], symmetric[k], dhtKeys[k]), MAX_SEALED_LOCATOR_BYTES)!
        const env = RecordEnvelope.createFromProtobuf(inner)
        const record = LocatorRecordPb.decode(env.payload)
        const signature = Uint8Array.from(env.signature)
        if (x < 0.75) record.addrs = [multiaddr('/ip4/203.0.113.9/tcp/666').bytes]
        else signature[int(random, signature.length)] ^= 1 << int(random, 8)
        const forged = new RecordEnvelope({ publicKey: env.publicKey, payloadType: env.payloadType, payload: LocatorRecordPb.encode(record), signature }).marshal()
        return sealBytes(symmetric[k], aad, forged, MAX_LOCATOR_ENVELOPE_BYTES)
      },
      decode: async (input, rnd) => {
        const k = int(rnd, 3)
        const res = await openLocator(input, symmetric[k], dhtKeys[k], { now: NOW, publisher: p.ids[k], audience: p.me, lastSeq: rnd() < 0.3 ? BigInt(int(rnd, 1000)) : undefined })
        return res.ok ? { accepted: true, value: res.locator, context: p.ids[k] } : { accepted: false, reason: res.reason }
      },
      oracle: async (_input, outcome) => {
        const l = outcome.value as Locator
        if (!l.publisher.equals(outcome.context as PeerId) || !l.audience.equals(p.me)) return 'locator accepted for the wrong publisher or audience'
        return signed.has(locatorKey(l)) ? undefined : `accepted a locator nobody signed as such: ${locatorKey(l)}`
      }
    }
  }
}

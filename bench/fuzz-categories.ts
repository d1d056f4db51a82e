/**
 * Fuzz targets for enhanced presence (docs/protocol.md §10): the category
 * item decoder (openCategory), the bundle a watcher opens (openBundle), the
 * versioned inner bytes of a pair-topic message (openPairMessage) and the
 * query frames. The oracle restates the rules of §10 on its own: libp2p's
 * RecordEnvelope.openAndCertify for signatures, the hand-written protobuf
 * reader of fuzz-proto.ts for fields, and code-point counts and regular
 * expressions written here, not imported from protocol/.
 */
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { sealCategory, openCategory, CATEGORY_DOMAIN, CATEGORY_PAYLOAD_TYPE } from '../protocol/category-item.js'
import { openBundle, openPairMessage } from '../protocol/category-bundle.js'
import { decodeAnswer, decodeQuery } from '../protocol/category-query.js'
import { sealBytes } from '../protocol/sealed-box.js'
import { decodeAll, decodeFields, encodeFields, eq } from './fuzz-proto.js'
import { encodeEnvelope, signingBytes } from './fuzz-presence.js'
import type { Field } from './fuzz-proto.js'
import type { FuzzTarget, Random } from './fuzz.js'
import type { Category } from '../protocol/categories.js'
import type { CategoryItem, CategoryOpenOptions } from '../protocol/category-item.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

const NOW = 1_750_000_000_000
const SKEW = 30_000
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const KINDS: Record<number, string> = { 10: 'state', 11: 'note', 12: 'activity', 13: 'card', 14: 'capabilities', 15: 'calendar', 16: 'app' }
const enc = new TextEncoder()
const dec = new TextDecoder()
const cp = (s: string): number => [...s].length
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u

const int = (random: Random, n: number): number => Math.floor(random() * n)
const pick = <T>(random: Random, xs: readonly T[]): T => xs[int(random, xs.length)]

/** What the oracle reads out of a payload it judged valid. */
interface Judged { key: string, kind: string, seq: bigint, issuedAt: bigint, expiresAt: bigint, presentity: Uint8Array }

/** §10.2 restated: the first rule a category body breaks, or undefined. */
function bodyProblem (kind: string, body: Uint8Array): string | undefined {
  const all = decodeAll(body)
  const f = new Map(all.map(x => [x.n, x]))
  const str = (n: number): string | undefined => { const x = f.get(n); return x != null && 'bytes' in x ? dec.decode(x.bytes) : undefined }
  const num = (n: number): bigint | undefined => { const x = f.get(n); return x != null && 'varint' in x ? x.varint : undefined }
  const opt = (n: number): string | undefined => { const s = str(n); return s === '' ? undefined : s }
  const time = (n: number): boolean => { const t = num(n); return t == null || (t > 0n && t <= MAX_SAFE) }
  const short = (s: string | undefined, max: number): boolean => s == null || (cp(s) <= max && !CONTROL.test(s))
  const enumIn = (n: number, lo: bigint, hi: bigint): boolean => { const v = num(n) ?? 0n; return v >= lo && v <= hi }
  for (const x of all) if ([1, 2, 3, 4, 5, 6].includes(x.n) && 'fixed' in x) return `fixed field ${x.n}`
  switch (kind) {
    case 'state': {
      if (!enumIn(1, 1n, 5n)) return 'availability'
      if (!enumIn(2, 0n, 2n)) return 'source'
      if (!time(3)) return 'idleSince'
      if (num(3) != null && !(num(1) === 2n && num(2) === 2n)) return 'idleSince without automatic away'
      return undefined
    }
    case 'note': { const t = str(1) ?? ''; return t === '' || cp(t) > 280 ? 'note text' : undefined }
    case 'activity': {
      if (!enumIn(1, 1n, 27n)) return 'activity'
      const t = opt(2)
      if (num(1) === 1n && t == null) return 'other without text'
      if (!short(t, 64)) return 'activity text'
      return time(3) ? undefined : 'until'
    }
    case 'card': {
      const name = str(1) ?? ''
      if (name === '' || !short(name, 64)) return 'display name'
      if (![2, 3, 5].every(n => short(opt(n), 64)) || ![4, 6].every(n => short(opt(n), 256))) return 'card field'
      return undefined
    }
    case 'capabilities': {
      if (!short(opt(1), 64)) return 'description'
      if (!enumIn(2, 0n, 2n)) return 'mobility'
      const features = all.filter(x => x.n === 3 && 'bytes' in x).map(x => dec.decode((x as { bytes: Uint8Array }).bytes))
      if (features.length > 16 || new Set(features).size !== features.length) return 'features count'
      return features.every(s => s.length <= 32 && /^[a-z0-9][a-z0-9.-]*$/.test(s)) ? undefined : 'feature token'
    }
    case 'calendar': return !enumIn(1, 1n, 4n) ? 'free busy' : time(2) && time(3) ? undefined : 'calendar time'
    case 'app': {
      const ns = str(1) ?? ''
      if (ns.length > 64 || !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(ns)) return 'namespace'
      const data = f.get(2)
      return data != null && 'bytes' in data && data.bytes.byteLength > 512 ? 'app data' : undefined
    }
  }
  return `kind ${kind}`
}

/** §10.1 restated for one envelope (signature aside): its fields, or why it is invalid. */
function judgeItem (input: Uint8Array, opts: CategoryOpenOptions): Judged | string {
  if (input.byteLength > 2048) return 'oversize'
  let env: RecordEnvelope
  try { env = RecordEnvelope.createFromProtobuf(input) } catch { return 'envelope' }
  if (!eq(env.payloadType, CATEGORY_PAYLOAD_TYPE)) return 'payload type'
  if (env.publicKey.type !== 'Ed25519') return 'key type'
  const signer = peerIdFromPublicKey(env.publicKey)
  let rec: Map<number, Field>
  try { rec = decodeFields(env.payload) } catch { return 'payload' }
  const bytes = (n: number): Uint8Array => { const x = rec.get(n); return x != null && 'bytes' in x ? x.bytes : new Uint8Array(0) }
  const v = (n: number): bigint => { const x = rec.get(n); return x != null && 'varint' in x ? x.varint : 0n }
  if (!eq(bytes(1), signer.toMultihash().bytes)) return 'presentity is not the signer'
  if (opts.expectedPresentity != null && signer.toString() !== opts.expectedPresentity.toString()) return 'wrong presentity'
  const present = Object.keys(KINDS).map(Number).filter(n => rec.has(n))
  if (present.length !== 1) return `${present.length} categories`
  const field = rec.get(present[0]) as Field
  if (!('bytes' in field)) return 'category not a message'
  const kind = KINDS[present[0]]
  const problem = bodyProblem(kind, field.bytes)
  if (problem != null) return problem
  const ns = decodeFields(field.bytes).get(1)
  const key = kind === 'app' ? `app:${ns != null && 'bytes' in ns ? dec.decode(ns.bytes) : ''}` : kind
  if (opts.expectedKey != null && key !== opts.expectedKey) return 'wrong category'
  const seq = v(2); const issuedAt = v(3); const expiresAt = v(4)
  if (seq === 0n || issuedAt > MAX_SAFE || expiresAt > MAX_SAFE) return 'seq or time'
  const ttl = expiresAt - issuedAt
  if (ttl < 1000n || ttl > (kind === 'state' ? 600_000n : 86_400_000n)) return `ttl ${ttl}`
  if (issuedAt > BigInt(opts.now + SKEW)) return 'future'
  if (expiresAt <= BigInt(opts.now)) return 'expired'
  if (opts.minSeq != null && seq < opts.minSeq) return 'replay'
  return { key, kind, seq, issuedAt, expiresAt, presentity: bytes(1) }
}

async function certified (input: Uint8Array): Promise<boolean> {
  try { await RecordEnvelope.openAndCertify(input, CATEGORY_DOMAIN); return true } catch { return false }
}

/** Category bodies, valid and not: the oracle tells which is which. */
function randomBody (random: Random): Field {
  const s = (xs: string[]): Uint8Array => enc.encode(pick(random, xs))
  const texts = ['hi', '', 'x'.repeat(64), 'x'.repeat(65), '😀'.repeat(280), '😀'.repeat(281), 'a\nb', 'Alice']
  const times = [0n, 1n, BigInt(NOW), MAX_SAFE, MAX_SAFE + 1n]
  const n = 10 + int(random, 7)
  const f: Field[] = []
  switch (n) {
    case 10:
      f.push({ n: 1, varint: BigInt(int(random, 7)) }, { n: 2, varint: BigInt(int(random, 4)) })
      if (random() < 0.4) f.push({ n: 3, varint: pick(random, times) })
      break
    case 11: f.push({ n: 1, bytes: s(texts) }); break
    case 12:
      f.push({ n: 1, varint: BigInt(int(random, 29)) })
      if (random() < 0.6) f.push({ n: 2, bytes: s(texts) })
      if (random() < 0.3) f.push({ n: 3, varint: pick(random, times) })
      break
    case 13:
      f.push({ n: 1, bytes: s(texts) })
      for (const k of [2, 3, 4, 5, 6]) if (random() < 0.3) f.push({ n: k, bytes: s([...texts, 'u'.repeat(256), 'u'.repeat(257)]) })
      break
    case 14:
      if (random() < 0.5) f.push({ n: 1, bytes: s(texts) })
      f.push({ n: 2, varint: BigInt(int(random, 4)) })
      for (let i = int(random, 19); i > 0; i--) f.push({ n: 3, bytes: s(['chat', 'groups', 'Chat', 'x'.repeat(33), `f${int(random, 20)}`, '']) })
      break
    case 15:
      f.push({ n: 1, varint: BigInt(int(random, 6)) })
      if (random() < 0.5) f.push({ n: 2, varint: pick(random, times) })
      if (random() < 0.5) f.push({ n: 3, varint: pick(random, times) })
      break
    default:
      f.push({ n: 1, bytes: s(['org.example.game', 'game', 'Org.example', 'a.b', 'x'.repeat(60) + '.com']) }, { n: 2, bytes: new Uint8Array(pick(random, [0, 3, 512, 513])) })
  }
  return { n, bytes: encodeFields(f) }
}

const VALID: Category[] = [
  { kind: 'state', availability: 'online', source: 'automatic' },
  { kind: 'state', availability: 'away', source: 'automatic', idleSince: NOW - 60_000 },
  { kind: 'note', text: 'in the lab' },
  { kind: 'activity', activity: 'meeting', until: NOW + 3_600_000 },
  { kind: 'card', displayName: 'Alice', email: 'a@example.org' },
  { kind: 'capabilities', features: ['chat', 'receipts'], mobility: 'mobile' },
  { kind: 'calendar', freeBusy: 'busy', nextFree: NOW + 1_800_000 },
  { kind: 'app', namespace: 'org.example.game', data: Uint8Array.from([1, 2, 3]) }
]

interface Parties { keys: PrivateKey[], ids: PeerId[], attacker: PrivateKey }

async function parties (): Promise<Parties> {
  const keys = await Promise.all([0, 1, 2].map(async () => await generateKeyPair('Ed25519')))
  return { keys, ids: keys.map(k => peerIdFromPrivateKey(k)), attacker: await generateKeyPair('Ed25519') }
}

/** An honestly signed valid item. */
function honest (random: Random, p: Parties, k: number, category = pick(random, VALID), seq = BigInt(1 + int(random, 1000))): Uint8Array {
  const issuedAt = NOW - int(random, 30_000)
  return sealCategory({ presentity: p.ids[k], seq, issuedAt, expiresAt: issuedAt + (category.kind === 'state' ? 60_000 : 3_600_000), category }, p.keys[k])
}

/** Structure-aware edits: the owner re-signs edited fields, an attacker signs as the owner, a signature is bent. */
async function mutateItem (random: Random, p: Parties, seed: Uint8Array): Promise<Uint8Array> {
  const env = decodeFields(seed)
  const pk = (env.get(1) as { bytes: Uint8Array }).bytes
  const payload = (env.get(3) as { bytes: Uint8Array }).bytes
  const sig = (env.get(5) as { bytes: Uint8Array }).bytes
  const owner = p.keys.find(k => eq(publicKeyToProtobuf(k.publicKey), pk)) ?? p.keys[0]
  const fields = decodeAll(payload)
  const edited = (): Uint8Array => {
    let out = [...fields]
    const set = (f: Field): void => { out = [...out.filter(x => x.n !== f.n), f] }
    switch (int(random, 7)) {
      case 0: out = [...out.filter(x => x.n < 10), randomBody(random)]; break
      case 1: out.push(randomBody(random)); break
      case 2: out = out.filter(x => x.n < 10); break
      case 3: set({ n: 2, varint: pick(random, [0n, 1n, (1n << 64n) - 1n, BigInt(int(random, 2000))]) }); break
      case 4: {
        const issued = pick(random, [BigInt(NOW - 1000), BigInt(NOW + SKEW - 1), BigInt(NOW + SKEW + 1), 0n, MAX_SAFE + 1n])
        set({ n: 3, varint: issued })
        set({ n: 4, varint: issued + pick(random, [999n, 1000n, 600_000n, 600_001n, 86_400_000n, 86_400_001n, -5n]) })
        break
      }
      case 5: set({ n: 1, bytes: pick(random, [new Uint8Array(0), p.ids[int(random, 3)].toMultihash().bytes]) }); break
      default: out.push({ n: 99, varint: 1n })
    }
    return encodeFields(out)
  }
  switch (int(random, 6)) {
    case 0: case 1: case 2: {
      const body = edited()
      return encodeEnvelope(pk, CATEGORY_PAYLOAD_TYPE, body, await owner.sign(signingBytes(CATEGORY_DOMAIN, CATEGORY_PAYLOAD_TYPE, body)))
    }
    case 3: {
      const body = edited()
      return encodeEnvelope(pk, CATEGORY_PAYLOAD_TYPE, body, await p.attacker.sign(signingBytes(CATEGORY_DOMAIN, CATEGORY_PAYLOAD_TYPE, body)))
    }
    case 4: {
      const s = Uint8Array.from(sig)
      s[int(random, s.length)] ^= 1 << int(random, 8)
      return encodeEnvelope(pk, CATEGORY_PAYLOAD_TYPE, payload, s)
    }
    default: return encodeEnvelope(pk, CATEGORY_PAYLOAD_TYPE, payload, await owner.sign(signingBytes('presence-mesh-presence', CATEGORY_PAYLOAD_TYPE, payload)))
  }
}

export const categoryItemTarget: FuzzTarget = {
  name: 'openCategory',
  setup: async (random) => {
    const p = await parties()
    const seeds = Array.from({ length: 40 }, (_, i) => honest(random, p, i % 3))
    return {
      seeds,
      mutate: async (seed) => await mutateItem(random, p, seed),
      decode: async (input, rnd) => {
        const opts: CategoryOpenOptions = { now: NOW }
        if (rnd() < 0.3) opts.expectedPresentity = pick(rnd, p.ids)
        if (rnd() < 0.2) opts.expectedKey = pick(rnd, ['state', 'note', 'card', 'app:org.example.game'] as const)
        if (rnd() < 0.3) opts.minSeq = BigInt(int(rnd, 1200))
        const res = openCategory(input, opts)
        return res.ok ? { accepted: true, value: res.item, context: opts } : { accepted: false, reason: res.reason }
      },
      oracle: async (input, outcome) => {
        const judged = judgeItem(input, outcome.context as CategoryOpenOptions)
        if (typeof judged === 'string') return judged
        if (!await certified(input)) return 'libp2p does not certify the signature'
        const item = outcome.value as CategoryItem
        if (item.category.kind !== judged.kind || item.seq !== judged.seq || BigInt(item.issuedAt) !== judged.issuedAt || BigInt(item.expiresAt) !== judged.expiresAt) return 'returned item differs'
        return eq(item.presentity.toMultihash().bytes, judged.presentity) ? undefined : 'returned presentity differs'
      }
    }
  }
}

interface BundleContextLike { floors: Map<string, bigint>, held: Map<string, bigint> }

export const categoryBundleTarget: FuzzTarget = {
  name: 'openBundle',
  setup: async (random) => {
    const p = await parties()
    const items = VALID.flatMap(c => [honest(random, p, 0, c, BigInt(100 + int(random, 50))), honest(random, p, 0, c, BigInt(200 + int(random, 50)))])
    const bundle = (xs: Uint8Array[]): Uint8Array => encodeFields(xs.map(bytes => ({ n: 1, bytes })))
    const seeds = Array.from({ length: 30 }, () => bundle([items[int(random, 4)], ...items.slice(4).filter(() => random() < 0.4)]))
    return {
      seeds,
      mutate: async (seed) => {
        const xs = decodeAll(seed).flatMap(f => 'bytes' in f ? [f.bytes] : [])
        switch (int(random, 5)) {
          case 0: xs.push(pick(random, items)); break
          case 1: xs.splice(int(random, xs.length), 1); break
          case 2: xs.push(honest(random, p, 1 + int(random, 2))); break
          case 3: if (xs.length > 0) xs[int(random, xs.length)] = await mutateItem(random, p, pick(random, xs)); break
          default: for (let i = 0; i < 9; i++) xs.push(honest(random, p, 0, { kind: 'app', namespace: `org.example.a${i}`, data: new Uint8Array(1) }))
        }
        return bundle(xs)
      },
      decode: async (input, rnd) => {
        const floors = new Map<string, bigint>()
        const held = new Map<string, bigint>()
        for (const k of ['state', 'note', 'card', 'calendar']) {
          if (rnd() < 0.3) floors.set(k, BigInt(90 + int(rnd, 160)))
          if (rnd() < 0.3) held.set(k, BigInt(100 + int(rnd, 150)))
        }
        const res = openBundle(input, { now: NOW, presentity: p.ids[0], floors, held })
        return res.ok ? { accepted: true, value: res, context: { floors, held } } : { accepted: false, reason: res.reason }
      },
      oracle: async (input, outcome) => {
        const { floors, held } = outcome.context as BundleContextLike
        const res = outcome.value as Extract<ReturnType<typeof openBundle>, { ok: true }>
        if (input.byteLength > 8192) return 'oversize'
        let raw: Field[]
        try {
          raw = decodeAll(input).filter(f => f.n === 1)
        } catch (err: any) {
          return { lenient: `not protobuf: ${err.message}` }
        }
        // protons reads field 1 as bytes whatever its wire type says
        if (raw.some(f => !('bytes' in f))) return { lenient: 'field 1 with another wire type' }
        if (raw.length > 16) return 'items'
        const keys = new Set<string>()
        let apps = 0
        const accepted: string[] = []
        for (const f of raw) {
          const bytes = (f as { bytes: Uint8Array }).bytes
          const j = judgeItem(bytes, { now: NOW, expectedPresentity: p.ids[0] })
          if (typeof j === 'string') return `an item is invalid: ${j}`
          if (keys.has(j.key)) return 'duplicate category'
          keys.add(j.key)
          if (j.kind === 'app' && ++apps > 8) return 'too many apps'
          const floor = floors.get(j.key)
          if (j.key === 'state' ? floor != null && j.seq <= floor : floor != null && j.seq < floor) return 'replay'
          if (j.key !== 'state' && held.get(j.key) === j.seq) continue
          if (!await certified(bytes)) return `${j.key} not certified`
          accepted.push(j.key)
        }
        if (!keys.has('state')) return 'no state'
        const got = [...res.accepted.map(i => i.category.kind === 'app' ? `app:${i.category.namespace}` : i.category.kind), ...res.kept].sort()
        if (got.join(',') !== [...keys].sort().join(',')) return 'accepted and kept differ from the bundle'
        return accepted.length === res.accepted.length ? undefined : 'verified items differ'
      }
    }
  }
}

export const pairMessageTarget: FuzzTarget = {
  name: 'openPairMessage',
  setup: async (random) => {
    const key = Uint8Array.from({ length: 32 }, () => int(random, 256))
    const topic = '/presence-mesh/pair/1/fuzz'
    const seeds = [Uint8Array.from([0x0a, 0x01, 0x00]), Uint8Array.from([0, 2, 0x0a, 0x00]), Uint8Array.from([0, 3]), Uint8Array.from([0])]
    return {
      seeds,
      mutate: async (seed) => random() < 0.5 ? new Uint8Array(int(random, 9000)).fill(int(random, 2)) : Uint8Array.from([...seed, ...new Uint8Array(int(random, 3000))]),
      decode: async (inner) => {
        if (inner.byteLength > 0xffff) return { accepted: false, reason: 'too large to seal' }
        const res = openPairMessage(key, topic, sealBytes(key, topic, inner, 0xffff))
        if (res == null) return { accepted: false, reason: 'unopened' }
        return res.version === 'unknown' ? { accepted: false, reason: 'unknown' } : { accepted: true, value: res, context: inner }
      },
      oracle: async (_input, outcome) => {
        const inner = outcome.context as Uint8Array
        const res = outcome.value as { version: number, envelope?: Uint8Array, bundle?: Uint8Array }
        if (24 + Math.ceil((inner.byteLength + 2) / 256) * 256 + 16 > 24 + 8448 + 16) return 'larger than a reader reads'
        if (inner.length === 0) return 'empty inner bytes'
        if (inner[0] !== 0) return res.version === 1 && inner.length <= 2048 && eq(res.envelope as Uint8Array, inner) ? undefined : 'version 1 misread'
        return inner.length >= 2 && inner[1] === 2 && res.version === 2 && eq(res.bundle as Uint8Array, inner.subarray(2)) ? undefined : 'version 2 misread'
      }
    }
  }
}

export const queryFramesTarget: FuzzTarget = {
  name: 'decodeQuery/decodeAnswer',
  setup: async () => {
    const seeds = [encodeFields([{ n: 1, bytes: enc.encode('calendar') }]), encodeFields([{ n: 1, bytes: enc.encode('app:org.example.game') }]),
      encodeFields([{ n: 1, varint: 1n }, { n: 2, bytes: Uint8Array.from([1, 2, 3]) }]), encodeFields([{ n: 1, varint: 2n }])]
    return {
      seeds,
      mutate: async (seed) => seed,
      decode: async (input, rnd) => {
        const asQuery = rnd() < 0.5
        const res = asQuery ? decodeQuery(input) : decodeAnswer(input)
        return res.ok ? { accepted: true, value: res, context: asQuery } : { accepted: false, reason: res.reason }
      },
      oracle: async (input, outcome) => {
        let f: Map<number, Field>
        try {
          f = decodeFields(input)
        } catch (err: any) {
          // a field of a known number with another wire type: protons reads it anyway
          return { lenient: `not protobuf: ${err.message}` }
        }
        if (outcome.context === true) {
          const c = f.get(1)
          const key = c != null && 'bytes' in c ? dec.decode(c.bytes) : ''
          const ok = input.byteLength <= 128 && (['state', 'note', 'activity', 'card', 'capabilities', 'calendar'].includes(key) || /^app:[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(key))
          return ok && key.length <= 68 && (outcome.value as { key: string }).key === key ? undefined : `query key ${key}`
        }
        const r = f.get(1); const item = f.get(2)
        const result = r != null && 'varint' in r ? r.varint : 0n
        const len = item != null && 'bytes' in item ? item.bytes.byteLength : 0
        if (input.byteLength > 2064) return 'oversize'
        return (result === 1n && len > 0) || (result === 2n && len === 0) ? undefined : `answer ${result} with ${len} bytes`
      }
    }
  }
}

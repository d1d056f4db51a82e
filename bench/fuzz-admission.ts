/**
 * Fuzz targets for what decides who gets in: contact codes typed or pasted
 * by people (parseContactCode), and the admission of contact requests (the
 * consent machine's receive with its quotas, node/contacts/admission.ts).
 *
 * The code oracle recomputes everything from the spec (docs/protocol.md
 * §8.7) with the primitives directly. The admission input is a script of
 * arrivals (two bytes each: who, by which path, what kind, blocked or not);
 * the oracle replays the trace against the rules' invariants: the quotas and
 * the total hold, one slot per requester, nobody pending leaves except by
 * their own cancel, and "try again later" only when the quota or the total
 * is really full.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { sha256 } from '@noble/hashes/sha2.js'
import { base32 } from 'multiformats/bases/base32'
import * as consent from '../node/contacts/consent.js'
import { formatContactCode, newCodeSecret, parseContactCode } from '../protocol/contact-code.js'
import type { FuzzTarget, Random } from './fuzz.js'
import type { AdmissionLimits, RequestPath } from '../node/contacts/admission.js'
import type { ConsentState, ReceivedMessage } from '../node/contacts/consent.js'

const int = (random: Random, n: number): number => Math.floor(random() * n)
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

export const contactCodeTarget: FuzzTarget = {
  name: 'parseContactCode',
  setup: async () => {
    const codes = await Promise.all([0, 1, 2, 3].map(async () => formatContactCode({ peer: peerIdFromPrivateKey(await generateKeyPair('Ed25519')), secret: newCodeSecret() })))
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567ABCXYZ018:. \n'
    return {
      seeds: codes.map(utf8),
      mutate: async (seed, random) => {
        const s = text(seed)
        const at = int(random, s.length)
        const edits = [
          () => s.slice(0, at) + alphabet[int(random, alphabet.length)] + s.slice(at + 1),
          () => s.toUpperCase(),
          () => `  ${s}\t`,
          () => s.replace(/:[^:]*$/, `:${text(codes.map(utf8)[int(random, codes.length)]).split(':')[2]}`),
          () => s.split(':').reverse().join(':'),
          () => s + ':extra'
        ]
        return utf8(edits[int(random, edits.length)]())
      },
      decode: async (input) => {
        try {
          const code = parseContactCode(text(input))
          return { accepted: true, value: code }
        } catch (err: any) {
          if (err?.name !== 'ContactCodeError') throw err
          return { accepted: false, reason: err.reason }
        }
      },
      oracle: async (input, outcome) => {
        const code = outcome.value as { peer: { toString: () => string, toMultihash: () => { bytes: Uint8Array } }, secret: Uint8Array }
        const parts = text(input).trim().split(':')
        if (parts.length !== 3 || parts[0].toLowerCase() !== 'pmc1') return 'not three parts with the pmc1 prefix'
        if (peerIdFromString(parts[1]).toString() !== parts[1] || code.peer.toString() !== parts[1]) return 'peer id not the one written'
        const raw = base32.baseDecode(parts[2].toLowerCase())
        if (raw.length !== 18 || parts[2].length !== 29) return 'secret part is not 18 bytes in 29 characters'
        const check = sha256(Uint8Array.from([...utf8('presence-mesh/code/v1'), ...code.peer.toMultihash().bytes, ...raw.subarray(0, 16)])).subarray(0, 2)
        if (check[0] !== raw[16] || check[1] !== raw[17]) return 'check bytes do not match'
        if (code.secret.length !== 16 || code.secret.some((b, i) => b !== raw[i])) return 'secret differs from what was written'
        return undefined
      }
    }
  }
}

const LIMITS: AdmissionLimits = { perCode: 3, direct: 2, total: 6 }
const PEERS = 12

interface Step { from: string, path: RequestPath, kind: 'request' | 'cancel', blocked: boolean, before: ConsentState, after: ConsentState, retryLater: boolean }

/** Two bytes per arrival: [who (low 4 bits) | blocked (bit 7)], [path (low 2 bits: direct, code a, b, c) | cancel (bit 7)]. */
function script (input: Uint8Array): Array<Omit<Step, 'before' | 'after' | 'retryLater'>> {
  const out: Array<Omit<Step, 'before' | 'after' | 'retryLater'>> = []
  for (let i = 0; i + 1 < input.length && out.length < 200; i += 2) {
    const p = input[i + 1] & 3
    out.push({
      from: `peer${(input[i] & 15) % PEERS}`,
      blocked: (input[i] & 0x80) !== 0,
      path: p === 0 ? { kind: 'direct' } : { kind: 'code', code: `code${p}` },
      kind: (input[i + 1] & 0x80) !== 0 ? 'cancel' : 'request'
    })
  }
  return out
}

const samePath = (a: RequestPath, b: RequestPath): boolean => JSON.stringify(a) === JSON.stringify(b)
const pathOfPending = (via?: string): RequestPath => via == null ? { kind: 'direct' } : { kind: 'code', code: via }

export const admissionTarget: FuzzTarget = {
  name: 'admission',
  setup: async (random) => {
    const randomScript = (): Uint8Array => Uint8Array.from({ length: 2 * (1 + int(random, 40)) }, () => int(random, 256))
    return {
      seeds: Array.from({ length: 20 }, randomScript),
      mutate: async () => randomScript(),
      decode: async (input) => {
        let state = consent.emptyConsent()
        const trace: Step[] = []
        script(input).forEach((a, n) => {
          const m: ReceivedMessage = { kind: a.kind, from: a.from, requestId: (state.incoming.get(a.from)?.requestId ?? n.toString(16).padStart(32, '0')), sentAt: 1, path: a.path }
          const r = consent.receive(state, m, { now: 1, isContact: () => false, isBlocked: (p) => a.blocked && p === a.from, limits: LIMITS })
          trace.push({ ...a, before: state, after: r.state, retryLater: r.retryLater })
          state = r.state
        })
        const stored = trace.some(t => t.kind === 'request' && !t.retryLater && !t.blocked)
        return stored ? { accepted: true, value: trace } : { accepted: false, reason: trace.length === 0 ? 'empty' : 'nothing stored' }
      },
      oracle: async (_input, outcome) => {
        for (const t of outcome.value as Step[]) {
          const { before, after } = t
          if (after.incoming.size > LIMITS.total) return 'total exceeded'
          for (const path of [{ kind: 'direct' }, { kind: 'code', code: 'code1' }, { kind: 'code', code: 'code2' }, { kind: 'code', code: 'code3' }] as RequestPath[]) {
            const n = [...after.incoming.values()].filter(r => samePath(pathOfPending(r.via), path)).length
            if (n > (path.kind === 'code' ? LIMITS.perCode : LIMITS.direct)) return `quota of ${JSON.stringify(path)} exceeded`
          }
          for (const k of before.incoming.keys()) {
            if (!after.incoming.has(k) && !(t.kind === 'cancel' && k === t.from)) return `${k} was pushed out`
          }
          if (t.kind === 'request' && !t.blocked && !t.retryLater && !after.incoming.has(t.from)) return 'a request neither stored nor deferred (dropped in silence)'
          if (t.retryLater) {
            // a requester already pending keeps its slot (and its place in the total), wherever it came from
            const mine = before.incoming.get(t.from)
            const quota = [...before.incoming.values()].filter(r => r !== mine && samePath(pathOfPending(r.via), t.path)).length
            const full = (mine == null && before.incoming.size >= LIMITS.total) || quota >= (t.path.kind === 'code' ? LIMITS.perCode : LIMITS.direct)
            if (t.kind !== 'request' || t.blocked || !full) return 'told to try later with room to spare'
            if (after !== before) return 'a deferred request changed the state'
          }
          if (t.blocked && after.incoming.size !== before.incoming.size) return 'a blocked signer changed what is pending'
        }
        return undefined
      }
    }
  }
}

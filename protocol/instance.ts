/**
 * Two nodes with one identity key (docs/protocol.md §13): a node that sees
 * two connections of one peer id asks each for an InstanceHello, has each
 * sign the other's challenge, and hands each the other's signature. Only a
 * holder of the key can sign, and only over a challenge the receiver just
 * chose, so a notice is proof that another live node holds the same key:
 * nobody can forge one to stop a node. Pure; decoders never throw.
 */
import { compare } from 'uint8arrays/compare'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { MAX_TIME_MS } from './limits.js'
import { InstanceHello as InstanceHelloPb, InstanceProbe as InstanceProbePb, InstanceStatement as InstanceStatementPb } from './pb/instance.js'
import { decodeSignedRecord, sealSignedRecord, verifySignedRecord } from './signed-envelope.js'
import { scanMessage } from './strict-protobuf.js'
import { protocolId } from './topics.js'
import type { MessageRules } from './strict-protobuf.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export const INSTANCE_PROTOCOL = protocolId('instance', '1.0.0')
export const INSTANCE_DOMAIN = 'presence-mesh-instance'
/** ASCII "pn" and version 1. */
export const INSTANCE_PAYLOAD_TYPE = Uint8Array.from([0x70, 0x6e, 0x01])
export const INSTANCE_ID_BYTES = 16
export const CHALLENGE_BYTES = 32
/** Any frame of the instance protocol, without its length prefix (a probe carrying a statement and an address is the largest). */
export const MAX_INSTANCE_FRAME_BYTES = 512
export const MAX_ADDR_BYTES = 128

export const INSTANCE_REJECT_REASONS = [
  'oversize', 'malformed', 'wrong-payload-type', 'unsupported-key', 'signer-mismatch', 'wrong-peer', 'invalid-field', 'wrong-challenge', 'bad-signature'
] as const
export type InstanceRejectReason = typeof INSTANCE_REJECT_REASONS[number]

export const INSTANCE_HELLO_RULES: MessageRules = { 1: { type: 'bytes' }, 2: { type: 'bytes' } }
export const INSTANCE_PROBE_RULES: MessageRules = { 1: { type: 'bytes' }, 2: { type: 'bytes' }, 3: { type: 'bytes' } }
export const INSTANCE_STATEMENT_RULES: MessageRules = { 1: { type: 'bytes' }, 2: { type: 'bytes' }, 3: { type: 'uint64' }, 4: { type: 'bytes' } }

export interface InstanceHello { instance: Uint8Array, challenge: Uint8Array }
export type InstanceProbe =
  | { kind: 'sign', challenge: Uint8Array }
  | { kind: 'duplicate', statement: Uint8Array, otherAddr?: Uint8Array }
export interface InstanceStatement { peer: PeerId, instance: Uint8Array, startedAt: number, challenge: Uint8Array }

type Fail = { ok: false, reason: InstanceRejectReason, detail?: string }
const reject = (reason: InstanceRejectReason, detail?: string): Fail => ({ ok: false, reason, detail })

export function encodeInstanceHello (h: InstanceHello): Uint8Array {
  return InstanceHelloPb.encode({ instance: Uint8Array.from(h.instance), challenge: Uint8Array.from(h.challenge) })
}

export function decodeInstanceHello (bytes: Uint8Array): { ok: true, hello: InstanceHello } | Fail {
  if (bytes.byteLength > MAX_INSTANCE_FRAME_BYTES) return reject('oversize')
  const scan = scanMessage(bytes, INSTANCE_HELLO_RULES)
  if (!scan.ok) return reject('malformed', scan.problem)
  const pb = InstanceHelloPb.decode(bytes)
  if (pb.instance.byteLength !== INSTANCE_ID_BYTES) return reject('invalid-field', 'instance')
  if (pb.challenge.byteLength !== CHALLENGE_BYTES) return reject('invalid-field', 'challenge')
  return { ok: true, hello: { instance: pb.instance, challenge: pb.challenge } }
}

export function encodeInstanceProbe (p: InstanceProbe): Uint8Array {
  return p.kind === 'sign'
    ? InstanceProbePb.encode({ sign: Uint8Array.from(p.challenge), duplicate: new Uint8Array(0), otherAddr: new Uint8Array(0) })
    : InstanceProbePb.encode({ sign: new Uint8Array(0), duplicate: Uint8Array.from(p.statement), otherAddr: p.otherAddr == null ? new Uint8Array(0) : Uint8Array.from(p.otherAddr) })
}

/** Exactly one of sign (a 32-byte challenge) and duplicate (a statement); an address only with duplicate, at most 128 bytes. */
export function decodeInstanceProbe (bytes: Uint8Array): { ok: true, probe: InstanceProbe } | Fail {
  if (bytes.byteLength > MAX_INSTANCE_FRAME_BYTES) return reject('oversize')
  const scan = scanMessage(bytes, INSTANCE_PROBE_RULES)
  if (!scan.ok) return reject('malformed', scan.problem)
  const pb = InstanceProbePb.decode(bytes)
  const sign = pb.sign.byteLength > 0
  const dup = pb.duplicate.byteLength > 0
  if (sign === dup) return reject('invalid-field', 'exactly one of sign and duplicate')
  if (sign) {
    if (pb.sign.byteLength !== CHALLENGE_BYTES) return reject('invalid-field', 'challenge')
    if (pb.otherAddr.byteLength > 0) return reject('invalid-field', 'an address only comes with duplicate')
    return { ok: true, probe: { kind: 'sign', challenge: pb.sign } }
  }
  if (pb.otherAddr.byteLength > MAX_ADDR_BYTES) return reject('invalid-field', 'address')
  return { ok: true, probe: { kind: 'duplicate', statement: pb.duplicate, ...(pb.otherAddr.byteLength > 0 ? { otherAddr: pb.otherAddr } : {}) } }
}

export function sealInstanceStatement (s: { instance: Uint8Array, startedAt: number, challenge: Uint8Array }, key: PrivateKey): Uint8Array {
  if (s.instance.byteLength !== INSTANCE_ID_BYTES || s.challenge.byteLength !== CHALLENGE_BYTES) throw new Error('instance and challenge sizes')
  const payload = InstanceStatementPb.encode({
    peer: key.publicKey.toMultihash().bytes,
    instance: Uint8Array.from(s.instance),
    startedAt: BigInt(s.startedAt),
    challenge: Uint8Array.from(s.challenge)
  })
  return sealSignedRecord(INSTANCE_DOMAIN, INSTANCE_PAYLOAD_TYPE, payload, key)
}

export interface StatementOptions {
  /** The statement must be signed by this peer (the receiver's own id, for a notice). */
  expectedPeer: PeerId | string
  /** The challenge the receiver chose for this stream. */
  challenge: Uint8Array
}

/**
 * Opens an InstanceStatement: the envelope, the peer, the fields, the
 * challenge, then the signature. Whether its instance is the receiver's own
 * is for the receiver to see (the same node twice is no duplicate).
 */
export function openInstanceStatement (bytes: Uint8Array, opts: StatementOptions): { ok: true, statement: InstanceStatement } | Fail {
  if (bytes.byteLength > MAX_INSTANCE_FRAME_BYTES) return reject('oversize')
  const decoded = decodeSignedRecord(bytes, INSTANCE_PAYLOAD_TYPE, INSTANCE_STATEMENT_RULES, InstanceStatementPb)
  if (!decoded.ok) return reject(decoded.reason, decoded.detail)
  const { signer, record: pb } = decoded
  if (!uint8ArrayEquals(pb.peer, signer.multihash)) return reject('signer-mismatch')
  if (signer.id !== opts.expectedPeer.toString()) return reject('wrong-peer')
  if (pb.instance.byteLength !== INSTANCE_ID_BYTES) return reject('invalid-field', 'instance')
  if (pb.challenge.byteLength !== CHALLENGE_BYTES) return reject('invalid-field', 'challenge')
  if (pb.startedAt === 0n || pb.startedAt > BigInt(MAX_TIME_MS)) return reject('invalid-field', 'started_at')
  if (!uint8ArrayEquals(pb.challenge, opts.challenge)) return reject('wrong-challenge')
  if (!verifySignedRecord(decoded, INSTANCE_DOMAIN)) return reject('bad-signature')
  return { ok: true, statement: { peer: signer.peerId, instance: pb.instance, startedAt: Number(pb.startedAt), challenge: pb.challenge } }
}

/**
 * Which of two instances of one identity gives way: the one that started
 * later (the running one keeps running), ties to the greater instance id.
 * Both instances see both statements, so they reach opposite answers.
 */
export function yieldsTo (mine: { startedAt: number, instance: Uint8Array }, theirs: { startedAt: number, instance: Uint8Array }): boolean {
  if (mine.startedAt !== theirs.startedAt) return mine.startedAt > theirs.startedAt
  return compare(mine.instance, theirs.instance) > 0
}

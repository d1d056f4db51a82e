/**
 * Which incoming contact requests are kept pending (pure, used by consent.ts).
 *
 * Requests arrive by one of two paths: through a contact code's intake (any
 * signer, the code counted) or straight from the signer itself (the
 * connection's peer). Each path has its own quota of pending requests, every
 * code its own, under one total. A requester holds one slot however often it
 * asks (its newest request replaces its last). Nothing already pending is
 * ever pushed out: a request that finds its quota full is not stored and its
 * sender is told to try again later (never dropped silently). So a flood of
 * fresh identities through one leaked code fills that code's quota and no
 * other; rotating the code stops it, and people asking with the new code, or
 * from a path of their own, still get in.
 */
import type { PendingRequest } from './consent.js'

/** How a request reached this node. */
export type RequestPath =
  /** The signer is the connection's peer. */
  | { kind: 'direct' }
  /** Through the intake of the contact code `code` (its intake peer id). */
  | { kind: 'code', code: string }

export interface AdmissionLimits {
  /** Pending requests that came through one code. */
  perCode: number
  /** Pending requests that came straight from their signer. */
  direct: number
  /** All pending incoming requests. */
  total: number
}

export type AdmissionVerdict =
  /** A new pending request. */
  | 'store'
  /** The requester's newest request replaces its pending one (same slot). */
  | 'replace'
  /** Not stored now: the sender should try again later. */
  | 'busy'

/** The `via` an incoming pending request records for its path. */
export function viaOf (path: RequestPath): string | undefined {
  return path.kind === 'code' ? path.code : undefined
}

/** The path a stored request came by. */
export function pathOf (r: Pick<PendingRequest, 'via'>): RequestPath {
  return r.via == null ? { kind: 'direct' } : { kind: 'code', code: r.via }
}

const samePath = (a: RequestPath, b: RequestPath): boolean =>
  a.kind === b.kind && (a.kind === 'direct' || a.code === (b as { code: string }).code)

export function admit (incoming: ReadonlyMap<string, PendingRequest>, from: string, path: RequestPath, limits: AdmissionLimits): AdmissionVerdict {
  const mine = incoming.get(from)
  // the newest request of a requester takes its slot, in the quota of the path it came by
  if (mine != null && samePath(pathOf(mine), path)) return 'replace'
  if (mine == null && incoming.size >= limits.total) return 'busy'
  let sameQuota = 0
  for (const r of incoming.values()) if (r !== mine && samePath(pathOf(r), path)) sameQuota++
  const quota = path.kind === 'code' ? limits.perCode : limits.direct
  if (sameQuota >= quota) return 'busy'
  return mine != null ? 'replace' : 'store'
}

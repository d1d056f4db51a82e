/**
 * The consent protocol as a pure state machine: (state, input) -> (state,
 * effects). No I/O, no clock of its own: the service persists the new
 * state, carries out the effects (messages to send, a contact to add,
 * events) in one transaction, and feeds received messages back in.
 * docs/protocol.md §8 is the wire side; this is what a node does with it.
 */
import { MAX_CONTACT_AGE_MS } from '../../protocol/contact-request.js'
import { admit, viaOf } from './admission.js'
import { MAX_HISTORY, MAX_SEEN } from './constants.js'
import { AlreadyAContactError, BlockedPeerError, NoPendingRequestError } from './errors.js'
import type { AdmissionLimits, RequestPath } from './admission.js'
import type { ContactMessageKind } from '../../protocol/contact-request.js'

export interface PendingRequest {
  /** Hex of the 16-byte request id. */
  requestId: string
  peerId: string
  greeting?: string
  /** Sender's clock. */
  sentAt: number
  /** Local time it was created or received. */
  at: number
  /** Outgoing only: the recipient has confirmed receipt. */
  delivered?: boolean
  /** Outgoing only: the name to give the contact once accepted. */
  alias?: string
  /** Outgoing only: the contact code it is delivered with (the recipient's intake, §8.7). */
  code?: string
  /** Outgoing only: the recipient's last answer was "try again later" (its pending requests are full). */
  busy?: boolean
  /** Incoming only: the contact code it came through (its intake peer id); absent when it came from the requester itself. */
  via?: string
}

/** `refused`: the recipient refused the message for good (it was invalid there). */
export type RequestOutcome = 'pending' | 'accepted' | 'denied' | 'cancelled' | 'declined' | 'expired' | 'dropped' | 'refused' | 'removed'

/** Watcher info (RFC 3857): who asked, and what became of it. */
export interface HistoryEntry {
  requestId: string
  peerId: string
  direction: 'incoming' | 'outgoing'
  outcome: RequestOutcome
  greeting?: string
  /** Local time of the last change. */
  at: number
}

export interface ConsentState {
  /** Pending requests to us, by requester. */
  readonly incoming: ReadonlyMap<string, PendingRequest>
  /** Our pending requests, by recipient. */
  readonly outgoing: ReadonlyMap<string, PendingRequest>
  /** messageKey() of each processed message -> local time; oldest first. */
  readonly seen: ReadonlyMap<string, number>
  /** historyKey() -> entry; least recently changed first. */
  readonly history: ReadonlyMap<string, HistoryEntry>
}

export type ContactEventName = 'contact:request' | 'contact:accepted' | 'contact:declined' | 'contact:cancelled' | 'contact:removed'

export type ConsentEffect =
  /** Seal and queue a message (retried until the recipient confirms it). */
  | { type: 'send', to: string, kind: ContactMessageKind, requestId: string, greeting?: string, code?: string }
  /** Drop queued messages to `to` (of this request and kind, when given) that no longer need to go. */
  | { type: 'unqueue', to: string, requestId?: string, kind?: ContactMessageKind }
  /** Consent on both sides: the roster gets a contact. */
  | { type: 'add-contact', peer: string, alias?: string }
  /** The contact ends on both sides (an unsubscribe): the roster drops it. */
  | { type: 'remove-contact', peer: string }
  | { type: 'event', name: ContactEventName, peerId: string, requestId: string, greeting?: string }

export interface Step {
  state: ConsentState
  effects: ConsentEffect[]
}

/** What the machine needs to know of the rest of the node. */
export interface ConsentContext {
  now: number
  /** An accepted, unblocked contact. */
  isContact: (peer: string) => boolean
  isBlocked: (peer: string) => boolean
  /** Quotas of pending incoming requests (admission.ts). */
  limits: AdmissionLimits
}

/** A received message, already checked (signature, recipient, age, duplicates) by protocol/contact-request.ts. */
export interface ReceivedMessage {
  kind: ContactMessageKind
  from: string
  requestId: string
  greeting?: string
  sentAt: number
  /** How it reached this node: from its signer, or through a contact code's intake. */
  path: RequestPath
}

export const emptyConsent = (): ConsentState => ({ incoming: new Map(), outgoing: new Map(), seen: new Map(), history: new Map() })

export const historyKey = (direction: HistoryEntry['direction'], requestId: string): string => `${direction}:${requestId}`

/** The key under which a processed message is remembered (as protocol/contact-request.ts's messageKey). */
export const seenKey = (kind: ContactMessageKind, requestId: string): string => `${kind}:${requestId}`

/** Builds the next state from copies of the maps it touches; the old state is never changed. */
class Draft {
  incoming: Map<string, PendingRequest>
  outgoing: Map<string, PendingRequest>
  seen: Map<string, number>
  history: Map<string, HistoryEntry>
  readonly effects: ConsentEffect[] = []

  constructor (s: ConsentState, readonly now: number) {
    this.incoming = new Map(s.incoming)
    this.outgoing = new Map(s.outgoing)
    this.seen = new Map(s.seen)
    this.history = new Map(s.history)
  }

  record (h: Omit<HistoryEntry, 'at'>): void {
    const key = historyKey(h.direction, h.requestId)
    this.history.delete(key)
    this.history.set(key, { ...h, at: this.now })
    for (const k of this.history.keys()) {
      if (this.history.size <= MAX_HISTORY) break
      this.history.delete(k)
    }
  }

  remember (key: string): void {
    this.seen.delete(key)
    this.seen.set(key, this.now)
    for (const k of this.seen.keys()) {
      if (this.seen.size <= MAX_SEEN) break
      this.seen.delete(k)
    }
  }

  effect (e: ConsentEffect): void {
    this.effects.push(e)
  }

  /** Our request `req` is over with `outcome`: it leaves the pending set and the queue. */
  endOutgoing (req: PendingRequest, outcome: RequestOutcome): void {
    this.outgoing.delete(req.peerId)
    this.effect({ type: 'unqueue', to: req.peerId, requestId: req.requestId })
    this.record({ requestId: req.requestId, peerId: req.peerId, direction: 'outgoing', outcome, greeting: req.greeting })
  }

  done (): Step {
    return { state: { incoming: this.incoming, outgoing: this.outgoing, seen: this.seen, history: this.history }, effects: this.effects }
  }
}

function findIn (map: ReadonlyMap<string, PendingRequest>, peerOrRequest: string): PendingRequest | undefined {
  return map.get(peerOrRequest) ?? [...map.values()].find(r => r.requestId === peerOrRequest)
}

/** Asks `peer` to become a contact. Asking someone who already asked us is accepting them. */
export function request (s: ConsentState, input: { peer: string, requestId: string, greeting?: string, alias?: string, code?: string }, ctx: ConsentContext): Step & { request: PendingRequest } {
  const { peer } = input
  if (ctx.isBlocked(peer)) throw new BlockedPeerError(peer)
  if (ctx.isContact(peer)) throw new AlreadyAContactError(peer)
  const theirs = s.incoming.get(peer)
  if (theirs != null) return { ...accept(s, { peerOrRequest: peer, alias: input.alias }, ctx), request: theirs }
  const existing = s.outgoing.get(peer)
  if (existing != null && (input.code == null || input.code === existing.code)) return { state: s, effects: [], request: existing }
  const d = new Draft(s, ctx.now)
  // asking again with another code (the one we had was rotated): a new request through it replaces ours
  // (a new id: the recipient may have dropped the old one and would take its id for a duplicate)
  if (existing != null) d.endOutgoing(existing, 'cancelled')
  const greeting = input.greeting ?? existing?.greeting
  const alias = input.alias ?? existing?.alias
  const req: PendingRequest = { requestId: input.requestId, peerId: peer, greeting, sentAt: ctx.now, at: ctx.now, delivered: false, alias, code: input.code }
  d.outgoing.set(peer, req)
  d.record({ requestId: req.requestId, peerId: peer, direction: 'outgoing', outcome: 'pending', greeting })
  d.effect({ type: 'send', to: peer, kind: 'request', requestId: req.requestId, greeting, code: input.code })
  return { ...d.done(), request: req }
}

/** Accepts a pending request, found by the requester's peer id or the request id. */
export function accept (s: ConsentState, input: { peerOrRequest: string, alias?: string }, ctx: ConsentContext): Step {
  const req = findIn(s.incoming, input.peerOrRequest)
  if (req == null) throw new NoPendingRequestError(input.peerOrRequest, 'incoming')
  const d = new Draft(s, ctx.now)
  d.incoming.delete(req.peerId)
  d.record({ requestId: req.requestId, peerId: req.peerId, direction: 'incoming', outcome: 'accepted', greeting: req.greeting })
  d.effect({ type: 'add-contact', peer: req.peerId, alias: input.alias })
  d.effect({ type: 'send', to: req.peerId, kind: 'accept', requestId: req.requestId })
  return d.done()
}

/** Declines a pending request; the requester learns it was declined. */
export function deny (s: ConsentState, input: { peerOrRequest: string }, ctx: ConsentContext): Step {
  const req = findIn(s.incoming, input.peerOrRequest)
  if (req == null) throw new NoPendingRequestError(input.peerOrRequest, 'incoming')
  const d = new Draft(s, ctx.now)
  d.incoming.delete(req.peerId)
  d.record({ requestId: req.requestId, peerId: req.peerId, direction: 'incoming', outcome: 'denied', greeting: req.greeting })
  d.effect({ type: 'send', to: req.peerId, kind: 'deny', requestId: req.requestId })
  return d.done()
}

/** Withdraws our pending request; one that never reached them is simply not sent. */
export function cancel (s: ConsentState, input: { peerOrRequest: string }, ctx: ConsentContext): Step {
  const req = findIn(s.outgoing, input.peerOrRequest)
  if (req == null) throw new NoPendingRequestError(input.peerOrRequest, 'outgoing')
  const d = new Draft(s, ctx.now)
  d.outgoing.delete(req.peerId)
  d.record({ requestId: req.requestId, peerId: req.peerId, direction: 'outgoing', outcome: 'cancelled', greeting: req.greeting })
  if (req.delivered === true) d.effect({ type: 'send', to: req.peerId, kind: 'cancel', requestId: req.requestId })
  else d.effect({ type: 'unqueue', to: req.peerId, requestId: req.requestId })
  return d.done()
}

/**
 * Ends a contact: the roster drops it now and the other side gets a REMOVE
 * (retried until it arrives). What was still queued for them (an accept, say)
 * no longer needs to go. The caller checked that `peer` is a contact.
 */
export function remove (s: ConsentState, input: { peer: string, requestId: string }, ctx: Pick<ConsentContext, 'now'>): Step {
  const d = new Draft(s, ctx.now)
  d.effect({ type: 'unqueue', to: input.peer })
  d.effect({ type: 'remove-contact', peer: input.peer })
  d.record({ requestId: input.requestId, peerId: input.peer, direction: 'outgoing', outcome: 'removed' })
  d.effect({ type: 'send', to: input.peer, kind: 'remove', requestId: input.requestId })
  return d.done()
}

/** The recipient confirmed one of our messages: it leaves the queue; a request is marked delivered. */
export function delivered (s: ConsentState, input: { to: string, kind: ContactMessageKind, requestId: string }): Step {
  const effects: ConsentEffect[] = [{ type: 'unqueue', to: input.to, requestId: input.requestId, kind: input.kind }]
  const out = s.outgoing.get(input.to)
  if (input.kind !== 'request' || out?.requestId !== input.requestId || out.delivered === true) return { state: s, effects }
  const outgoing = new Map(s.outgoing)
  outgoing.set(input.to, { ...out, delivered: true, busy: undefined })
  return { state: { ...s, outgoing }, effects }
}

/** The recipient answered "try again later" (its pending requests are full): the request waits in the queue, marked busy. */
export function busy (s: ConsentState, input: { to: string, requestId: string }): Step {
  const out = s.outgoing.get(input.to)
  if (out?.requestId !== input.requestId || out.busy === true) return { state: s, effects: [] }
  const outgoing = new Map(s.outgoing)
  outgoing.set(input.to, { ...out, busy: true })
  return { state: { ...s, outgoing }, effects: [] }
}

/** The recipient refused one of our messages for good: it leaves the queue; a request ends as refused. */
export function refused (s: ConsentState, input: { to: string, kind: ContactMessageKind, requestId: string }, ctx: Pick<ConsentContext, 'now'>): Step {
  const d = new Draft(s, ctx.now)
  d.effect({ type: 'unqueue', to: input.to, requestId: input.requestId, kind: input.kind })
  const out = s.outgoing.get(input.to)
  if (input.kind === 'request' && out?.requestId === input.requestId) {
    d.outgoing.delete(input.to)
    d.record({ requestId: out.requestId, peerId: input.to, direction: 'outgoing', outcome: 'refused', greeting: out.greeting })
  }
  return d.done()
}

/**
 * A message arrived, already checked by protocol/contact-request.ts and
 * sent by its signer or through a contact code's intake. `retryLater`: a
 * request the admission rules could not take now; it is not stored and not
 * marked processed, so the sender's next try counts again.
 */
export function receive (s: ConsentState, m: ReceivedMessage, ctx: ConsentContext): Step & { retryLater: boolean } {
  const d = new Draft(s, ctx.now)
  const peer = m.from
  const id = m.requestId
  const done = (): Step & { retryLater: boolean } => ({ ...d.done(), retryLater: false })
  if (ctx.isBlocked(peer)) {
    // only a code's intake carries a blocked signer's message (the gater refuses its connections):
    // it gets the receipt any code holder gets, and nothing else happens
    d.remember(seenKey(m.kind, id))
    return done()
  }
  if (m.kind === 'request') {
    if (ctx.isContact(peer)) {
      // they lost their copy of the contact: confirm it again
      d.remember(seenKey(m.kind, id))
      d.effect({ type: 'send', to: peer, kind: 'accept', requestId: id })
      return done()
    }
    const ours = s.outgoing.get(peer)
    if (ours != null) {
      // both asked: that is consent on both sides
      d.remember(seenKey(m.kind, id))
      d.endOutgoing(ours, 'accepted')
      d.record({ requestId: id, peerId: peer, direction: 'incoming', outcome: 'accepted', greeting: m.greeting })
      d.effect({ type: 'add-contact', peer, alias: ours.alias })
      d.effect({ type: 'send', to: peer, kind: 'accept', requestId: id })
      d.effect({ type: 'event', name: 'contact:accepted', peerId: peer, requestId: ours.requestId })
      return done()
    }
    if (admit(s.incoming, peer, m.path, ctx.limits) === 'busy') return { state: s, effects: [], retryLater: true }
    d.remember(seenKey(m.kind, id))
    d.incoming.set(peer, { requestId: id, peerId: peer, greeting: m.greeting, sentAt: m.sentAt, at: ctx.now, via: viaOf(m.path) })
    d.record({ requestId: id, peerId: peer, direction: 'incoming', outcome: 'pending', greeting: m.greeting })
    d.effect({ type: 'event', name: 'contact:request', peerId: peer, requestId: id, greeting: m.greeting })
    return done()
  }
  d.remember(seenKey(m.kind, id))
  if (m.kind === 'remove') {
    if (ctx.isContact(peer)) {
      d.effect({ type: 'remove-contact', peer })
      d.record({ requestId: id, peerId: peer, direction: 'incoming', outcome: 'removed' })
      d.effect({ type: 'event', name: 'contact:removed', peerId: peer, requestId: id })
      return done()
    }
    // they accepted (we may not have heard yet) and removed us since: our request is over
    const ours = s.outgoing.get(peer)
    if (ours != null) {
      d.endOutgoing(ours, 'declined')
      d.effect({ type: 'event', name: 'contact:declined', peerId: peer, requestId: ours.requestId })
    }
    return done()
  }
  if (m.kind === 'cancel') {
    const inc = s.incoming.get(peer)
    if (inc?.requestId === id) {
      d.incoming.delete(peer)
      d.record({ requestId: id, peerId: peer, direction: 'incoming', outcome: 'cancelled', greeting: inc.greeting })
      d.effect({ type: 'event', name: 'contact:cancelled', peerId: peer, requestId: id })
    }
    return done()
  }
  // an answer: only to a request of ours that is still pending (consent cannot be given unasked)
  const ours = s.outgoing.get(peer)
  if (ours?.requestId !== id) return done()
  if (m.kind === 'accept') {
    d.endOutgoing(ours, 'accepted')
    d.effect({ type: 'add-contact', peer, alias: ours.alias })
    d.effect({ type: 'event', name: 'contact:accepted', peerId: peer, requestId: id })
  } else {
    d.endOutgoing(ours, 'declined')
    d.effect({ type: 'event', name: 'contact:declined', peerId: peer, requestId: id })
  }
  return done()
}

/**
 * Drops the pending incoming requests that came through the code `via`
 * (after the user rotated it because of spam): they end as dropped, and
 * their senders are not told.
 */
export function dropVia (s: ConsentState, via: string, ctx: Pick<ConsentContext, 'now'>): Step {
  const drop = [...s.incoming.values()].filter(r => r.via === via)
  if (drop.length === 0) return { state: s, effects: [] }
  const d = new Draft(s, ctx.now)
  for (const r of drop) {
    d.incoming.delete(r.peerId)
    d.record({ requestId: r.requestId, peerId: r.peerId, direction: 'incoming', outcome: 'dropped', greeting: r.greeting })
  }
  return d.done()
}

/** The user blocked `peer`: pending requests both ways end as dropped, nothing more goes to them. */
export function blocked (s: ConsentState, peer: string, ctx: Pick<ConsentContext, 'now'>): Step {
  const inc = s.incoming.get(peer)
  const out = s.outgoing.get(peer)
  const d = new Draft(s, ctx.now)
  if (inc != null) d.record({ requestId: inc.requestId, peerId: peer, direction: 'incoming', outcome: 'dropped', greeting: inc.greeting })
  if (out != null) d.record({ requestId: out.requestId, peerId: peer, direction: 'outgoing', outcome: 'dropped', greeting: out.greeting })
  d.incoming.delete(peer)
  d.outgoing.delete(peer)
  d.effect({ type: 'unqueue', to: peer })
  return d.done()
}

/** Forgets what is older than a message may be: seen marks, and requests that expired unanswered. */
export function prune (s: ConsentState, ctx: Pick<ConsentContext, 'now'>): Step {
  const limit = ctx.now - MAX_CONTACT_AGE_MS
  const stale = [...s.seen.values()].some(at => at < limit) ||
    [...s.outgoing.values()].some(r => r.at < limit) || [...s.incoming.values()].some(r => r.sentAt < limit)
  if (!stale) return { state: s, effects: [] }
  const d = new Draft(s, ctx.now)
  for (const [k, at] of s.seen) if (at < limit) d.seen.delete(k)
  for (const r of s.outgoing.values()) {
    if (r.at >= limit) continue
    d.outgoing.delete(r.peerId)
    d.record({ requestId: r.requestId, peerId: r.peerId, direction: 'outgoing', outcome: 'expired' })
    d.effect({ type: 'unqueue', to: r.peerId, requestId: r.requestId })
  }
  for (const r of s.incoming.values()) {
    if (r.sentAt >= limit) continue
    d.incoming.delete(r.peerId)
    d.record({ requestId: r.requestId, peerId: r.peerId, direction: 'incoming', outcome: 'expired' })
  }
  return d.done()
}

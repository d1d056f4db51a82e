/**
 * Consent: contact requests, accepts, denials and withdrawals over direct
 * streams, kept and retried until the other side confirms them. The roster
 * records the outcome (who is a contact); this service owns only the
 * requests in flight, the watcher-info history and their outbox.
 */
import { ContactsService as ContactsServiceClass } from './contacts-service.js'
import type { ContactsServiceComponents } from './contacts-service.js'
import type { HistoryEntry, PendingRequest } from './consent.js'
import type { InboundOutcome } from './inbound.js'
import type { ContactMessageKind } from '../../protocol/contact-request.js'
import type { PeerId, TypedEventTarget } from '@libp2p/interface'

export type { ContactsServiceComponents } from './contacts-service.js'
export type { HistoryEntry, PendingRequest, RequestOutcome } from './consent.js'
export type { InboundOutcome } from './inbound.js'
export type { RequestPath, AdmissionLimits, AdmissionVerdict } from './admission.js'
export * from './errors.js'

export interface ContactsServiceInit {
  /** One exchange: dial, message, receipt. */
  streamTimeoutMs?: number
  /** First retry of an undelivered message; doubles up to retryCapMs. */
  retryBaseMs?: number
  retryCapMs?: number
  maxInboundStreams?: number
  maxOutboundStreams?: number
}

export interface ContactRequestEvent { peerId: string, requestId: string, greeting?: string }
export interface ContactAnswerEvent { peerId: string, requestId: string }

export interface ContactsEvents {
  /** Someone asks to become a contact. */
  'contact:request': CustomEvent<ContactRequestEvent>
  /** Our request was accepted (or crossed theirs): we are contacts now. */
  'contact:accepted': CustomEvent<ContactAnswerEvent>
  /** Our request was declined. */
  'contact:declined': CustomEvent<ContactAnswerEvent>
  /** A requester withdrew its pending request. */
  'contact:cancelled': CustomEvent<ContactAnswerEvent>
  /** A contact ended the contact (unsubscribed): neither side sees the other any more. */
  'contact:removed': CustomEvent<ContactAnswerEvent>
  /** A message of ours reached its recipient. */
  'contact:delivered': CustomEvent<ContactAnswerEvent & { kind: ContactMessageKind }>
  /** A delivery attempt failed (the recipient is unreachable, or `busy`: it asked to try again later); it is retried later. */
  'contact:retry': CustomEvent<ContactAnswerEvent & { kind: ContactMessageKind, attempts: number, nextAt: number, busy: boolean }>
}

export interface ContactsService extends TypedEventTarget<ContactsEvents> {
  /** Pending requests both ways. */
  requests: () => { incoming: PendingRequest[], outgoing: PendingRequest[] }
  /** Watcher info: who asked (and whom we asked), newest first, with the outcome. */
  history: () => HistoryEntry[]
  /**
   * Asks someone to become a contact (kept and retried until delivered): by
   * their contact code (delivered through their intake, §8.7), or by peer id
   * (delivered only if they are public or already expect us). Asking someone
   * who asked us accepts them.
   */
  requestContact: (peerOrCode: PeerId | string, greeting?: string, alias?: string) => Promise<PendingRequest>
  /** Accepts a pending request (by peer id or request id); the roster gets the contact. */
  accept: (peerOrRequest: PeerId | string, alias?: string) => Promise<void>
  deny: (peerOrRequest: PeerId | string) => Promise<void>
  /** Withdraws our pending request. */
  cancel: (peerOrRequest: PeerId | string) => Promise<void>
  /** Whether a request is pending with `peer`, either way. */
  hasPending: (peer: PeerId | string) => boolean
  /** Drops, without telling their senders, the pending requests that came through the code `code` (its intake peer id). */
  dropRequestsVia: (code: string) => Promise<void>
  /** Contact messages refused or deferred so far, by reason. */
  refusals: () => Record<InboundOutcome, number>
  /** Ends a contact on both sides: the roster drops it now, the peer gets a REMOVE (retried until delivered). */
  remove: (peer: PeerId | string) => Promise<void>
}

export function contacts (init: ContactsServiceInit = {}): (components: ContactsServiceComponents) => ContactsService {
  return (components) => new ContactsServiceClass(components, init)
}

/**
 * Who may reach this node (docs/threat-model.md, "The reachability model";
 * the wire is docs/protocol.md §8.7). A node that is open (public, or a
 * relay) admits everyone but blocked peers. A closed node (contacts and
 * invisible modes) admits only its contacts who may see it, the people it
 * watches, the peers a contact request is pending with, peers it dialed
 * itself, and the holders of its contact code (through the code's intake
 * identity); to everyone else every interface answers as a stopped node's
 * would. Addresses go only to contacts who may see the node and to those it
 * asked to become contacts.
 */
import { ReachService } from './reach-service.js'
import type { IntakeNodeFactory } from './intake.js'
import type { ReachPolicy } from './policy.js'
import type { ReachComponents } from './reach-service.js'
import type { PeerId } from '@libp2p/interface'

export { ReachPolicy, admissionGater } from './policy.js'
export type { ReachRules } from './policy.js'
export { privateIdentify, privateIdentifyPush } from './identify.js'
export { relayAnswers } from './relay-answers.js'
export { REACH_CAPABILITY } from './constants.js'
export type { ReachComponents } from './reach-service.js'
export type { IntakeNodeFactory } from './intake.js'

export interface ReachInit {
  /** The policy the factory gave the connection gater and identify; the service binds its rules to it. */
  policy: ReachPolicy
  /** Admit everyone but blocked peers whatever the visibility (a relay, a bootstrap node). */
  open?: boolean
  /** Builds the short-lived node a requester delivers through a code's intake with. */
  createIntakeNode: IntakeNodeFactory
  /** Lifetime of the intake locator record (default 1 h). */
  intakeTtlMs?: number
}

export interface Reach {
  /** This node's contact code, to share with people who may ask to become contacts. */
  contactCode: () => string
  /** The current code's id: its intake identity's peer id (pending requests record it as `via`). */
  codeId: () => string
  /** A new code replaces the old one at once: holders of the old one find what a stopped node leaves. */
  rotateContactCode: () => Promise<string>
  /** The code id when `peer` is the current code's intake identity. */
  intakeOf: (peer: PeerId) => string | undefined
  /** Anyone but blocked peers may connect (public visibility, or a relay). */
  isOpen: () => boolean
  admits: (peer: PeerId) => boolean
  showsAddressesTo: (peer: PeerId) => boolean
  /**
   * Sends one message on `protocol` to the owner of `code` through the
   * code's intake (found by its intake record, else the addresses already
   * known) and returns the answer. Throws when unreachable.
   */
  sendThroughCode: (code: string, protocol: string, message: Uint8Array, options: { signal: AbortSignal }) => Promise<Uint8Array>
}

export function reach (init: ReachInit): (components: ReachComponents) => Reach {
  return (components) => new ReachService(components, init)
}

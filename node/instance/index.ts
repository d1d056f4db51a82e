/**
 * Two live nodes with one identity key (/presence-mesh/instance/1.0.0,
 * docs/protocol.md §13). Copying a home directory to a second machine
 * makes two nodes with one peer id: a contact's messages then go to
 * whichever it happens to be connected to. A peer that holds two
 * connections of one peer id (the observer) has both instances sign a
 * challenge the other chose and hands each the other's statement: proof,
 * which nobody without the key can forge. Of the two, the one that started
 * later gives way (`instance:duplicate` with `yielded: true`: the node
 * stops); the other is told, and keeps running.
 */
import { InstanceService } from './instance-service.js'
import type { InstanceServiceComponents } from './instance-service.js'
import type { TypedEventTarget } from '@libp2p/interface'

export type { InstanceServiceComponents } from './instance-service.js'
export { INSTANCE_CAPABILITY, INSTANCE_PROTOCOL } from './constants.js'
export * from './errors.js'

export interface InstanceGuardInit {
  /** One observer exchange gives up after this long. */
  exchangeTimeoutMs?: number
  /** An instance stream we answer ends after this long. */
  streamTimeoutMs?: number
  /** This node's start time as it signs it (default: when the service starts). */
  startedAt?: number
}

/** Another node with our key proved it is live. */
export interface DuplicateInstance {
  /** True: it started first, so this node gives way (it stops). False: it started later and should stop. */
  yielded: boolean
  /** The other node's instance id (hex) and start time (ms since the epoch, as it signed). */
  otherInstance: string
  otherStartedAt: number
  /** Its address as the observer saw it (a hint, not signed). */
  otherAddress?: string
  /** The peer that saw both nodes and passed the proof. */
  observer: string
}

export interface InstanceGuardEvents {
  'instance:duplicate': CustomEvent<DuplicateInstance>
}

export interface InstanceStats {
  /** Exchanges run as an observer, by outcome. */
  same: number
  duplicates: number
  failed: number
  /** Second connections not looked at (too many exchanges at once, or that peer's rate). */
  skipped: number
  /** Notices received that proved another instance of ours. */
  notices: number
  /** Streams refused or ended for breaking the protocol (forged or stale notices among them). */
  refused: number
}

export interface InstanceGuard extends TypedEventTarget<InstanceGuardEvents> {
  /** This node's instance id (hex), new at every start. */
  readonly instance: string
  readonly startedAt: number
  /** Set once a proof said another node with our key started first: this node should stop. */
  readonly yieldedTo?: DuplicateInstance
  getStats: () => InstanceStats
}

export function instanceGuard (init: InstanceGuardInit = {}): (components: InstanceServiceComponents) => InstanceGuard {
  return (components) => new InstanceService(components, init)
}

/** The chat service's options, components and events (chat-service.ts). */
import type { ChatMessage, NonContactPolicy } from './chat-store.js'
import type { HeldLimits } from './held-quota.js'
import type { ChatViolation } from './inbound.js'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { PresenceService } from '../presence/index.js'
import type { Roster } from '../roster/index.js'
import type { DevicesService } from '../devices/index.js'
import type { ComponentLogger, Libp2pEvents, PeerId, TypedEventTarget } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

export interface ChatServiceInit {
  protocolPrefix?: string
  maxInboundStreams?: number
  maxOutboundStreams?: number
  /** Frames accepted per peer per second before its stream is reset. */
  maxFramesPerSecond?: number
  /** Sender pacing per peer; keep it well under the receiver's maxFramesPerSecond. */
  sendRatePerSecond?: number
  sendBurst?: number
  inFlightWindow?: number
  retryBaseMs?: number
  retryMaxMs?: number
  ackTimeoutMs?: number
  senderIdleMs?: number
  receiverIdleMs?: number
  openStreamTimeoutMs?: number
  typingShowMs?: number
  /** Policy for texts from non-contacts when none was set with setNonContactPolicy. Default hold. */
  nonContactPolicy?: NonContactPolicy
  /** Who counts as a contact; default: an unblocked contact or watched presentity of the roster. */
  isContact?: (peer: string) => boolean
  /** Bounds on held texts from non-contacts (default MAX_HELD_* in constants.ts). */
  heldLimits?: HeldLimits
}


export interface ChatServiceComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  datastore: Datastore
  logger: ComponentLogger
  events: TypedEventTarget<Libp2pEvents>
  presence: PresenceService
  roster: Roster
  /** This person's devices (absent in an app without them: no conversations across devices). */
  devices?: Pick<DevicesService, 'isOwnDevice' | 'devices' | 'isRevoked'>
}


export interface ChatEvents {
  /** An incoming text was stored in history (not sent for held or dropped ones, nor for one a carbon brought first). */
  message: CustomEvent<ChatMessage>
  /** An incoming text from a non-contact was held as a request. */
  request: CustomEvent<ChatMessage>
  /** An outgoing message moved to sent, delivered or read. */
  state: CustomEvent<ChatMessage>
  /** A peer started (true) or stopped (false) typing. Never stored. */
  typing: CustomEvent<{ peer: string, typing: boolean }>
  /** A message of a contact person's conversation arrived from another of this person's devices (sent or received there). */
  carbon: CustomEvent<ChatMessage>
  /** A peer broke a rule and its stream was reset. */
  violation: CustomEvent<{ peer: string, reason: ChatViolation }>
}

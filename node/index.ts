/**
 * The package entry point (`import { ... } from 'presence-mesh'`).
 *
 * Two ways in: PresenceNode, the whole node with a home directory, as the CLI
 * runs it; or the libp2p services (presence, chat, ...) added to an
 * application's own js-libp2p node. The presence service needs a gossipsub
 * service named `pubsub` (createPubsub builds it as presence-mesh does); chat
 * needs presence; each service takes its components from libp2p.
 */
import './polyfill.js'

export { PresenceNode } from './presence-node.js'
export type { PresenceNodeOptions } from './presence-node.js'
export { createPresenceLibp2p } from './libp2p.js'
export type { PresenceLibp2p, PresenceServices } from './libp2p.js'
export { createPubsub } from './pubsub.js'
export { presence, PresenceService } from './presence/index.js'
export type { PresenceServiceInit, PresenceView, PresenceEventDetail } from './presence/index.js'
export { chat, ChatService } from './chat/index.js'
export type { ChatMessage, ChatServiceInit } from './chat/index.js'
export { UserError } from './errors.js'
export { presenceTopic } from '../protocol/topics.js'
export { openPresence, sealPresence, STATUSES } from '../protocol/presence-record.js'
export type { Presence, PresenceStatus, PresenceUpdate } from '../protocol/presence-record.js'

import { ChatService } from './chat-service.js'
import type { ChatServiceComponents, ChatServiceInit } from './chat-service.js'

export { ChatService }
export type { ChatServiceComponents, ChatServiceInit, ChatEvents, ChatViolation } from './chat-service.js'
export type { ChatMessage, DeliveryState, NonContactPolicy } from './chat-store.js'
export { NON_CONTACT_POLICIES, DELIVERY_STATES } from './chat-store.js'

export function chat (init: ChatServiceInit = {}): (components: ChatServiceComponents) => ChatService {
  return (components) => new ChatService(components, init)
}

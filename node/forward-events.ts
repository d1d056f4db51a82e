/** The service events a PresenceNode passes on as its own (PresenceNodeEvents), by the name it gives them. */
import type { PresenceNodeEvents } from './api.js'
import type { PresenceLibp2p } from './libp2p.js'

const FORWARDED = {
  presence: { presence: 'presence', self: 'self' },
  chat: { message: 'message', request: 'message:held', state: 'message:state', typing: 'typing', carbon: 'message:carbon' },
  contacts: { 'contact:request': 'contact:request', 'contact:accepted': 'contact:accepted', 'contact:declined': 'contact:declined', 'contact:cancelled': 'contact:cancelled', 'contact:removed': 'contact:removed' },
  roster: { 'roster:change': 'roster:change' },
  groups: { 'group:message': 'group:message', 'group:invitation': 'group:invitation', 'group:change': 'group:change', 'group:state': 'group:state' },
  instance: { 'instance:duplicate': 'duplicate' },
  devices: { 'devices:change': 'devices:change', 'devices:revoked': 'devices:revoked' }
} as const

export function forwardServiceEvents (libp2p: PresenceLibp2p, emit: (name: keyof PresenceNodeEvents, detail: unknown) => void): void {
  for (const [service, events] of Object.entries(FORWARDED)) {
    const source = libp2p.services[service as keyof typeof FORWARDED] as unknown as EventTarget
    for (const [from, to] of Object.entries(events)) {
      source.addEventListener(from, (evt) => {
        const { detail } = evt as CustomEvent
        // a roster change's waitUntil belongs to the services, not to the user
        emit(to as keyof PresenceNodeEvents, service === 'roster' ? { people: detail.people, visibility: detail.visibility } : detail)
      })
    }
  }
}

/** The parts of @xmpp/client (JavaScript only) the tests use. */
declare module '@xmpp/client' {
  import type { Element } from '@xmpp/xml'
  import type { EventEmitter } from 'node:events'

  export interface Client extends EventEmitter {
    start: () => Promise<{ toString: () => string }>
    stop: () => Promise<void>
    send: (el: Element) => Promise<void>
    isSecure: () => boolean
    status: string
    reconnect: { stop: () => void }
    iqCaller: {
      request: (el: Element, timeout?: number) => Promise<Element>
      get: (el: Element, to?: string, timeout?: number) => Promise<Element>
      set: (el: Element, to?: string, timeout?: number) => Promise<Element>
    }
    iqCallee: {
      set: (ns: string, name: string, handler: (ctx: { stanza: Element }) => unknown) => void
    }
  }

  export function client (options: { service: string, domain: string, username?: string, password?: string, resource?: string, timeout?: number }): Client
  export { xml } from '@xmpp/xml'
}

/**
 * Types of the parts of @xmpp/xml (ltx underneath) and @xmpp/jid this
 * endpoint uses; the packages ship JavaScript only.
 */
declare module '@xmpp/xml' {
  import { EventEmitter } from 'node:events'

  export type Node = Element | string

  export class Element {
    constructor (name: string, attrs?: Record<string, string | number | undefined>)
    name: string
    parent: Element | null
    children: Node[]
    attrs: Record<string, string | undefined>
    is: (name: string, xmlns?: string) => boolean
    getName: () => string
    getNS: () => string | undefined
    getChild: (name: string, xmlns?: string) => Element | undefined
    getChildren: (name: string, xmlns?: string) => Element[]
    getChildElements: () => Element[]
    getChildText: (name: string, xmlns?: string) => string | null
    getText: () => string
    text: () => string
    append: (...nodes: Node[]) => Element
    c: (name: string, attrs?: Record<string, string | number | undefined>) => Element
    t: (text: string) => Element
    up: () => Element
    root: () => Element
    toString: () => string
  }

  export class XMLError extends Error {}

  export class Parser extends EventEmitter {
    root: Element | null
    cursor: Element | null
    parser: EventEmitter & { write: (data: string) => void, end: (data?: string) => void }
    onStartElement (name: string, attrs: Record<string, string>): void
    onEndElement (name: string): void
    onText (text: string): void
    write (data: string): void
    end (data?: string): void
  }

  export function escapeXML (s: string): string
  export function escapeXMLText (s: string): string

  export function xml (name: string, attrs?: Record<string, string | number | undefined> | null, ...children: Array<Node | null | undefined | false | Array<Node | null | undefined | false>>): Element
  export default xml
}

declare module '@xmpp/jid' {
  export class JID {
    local: string
    domain: string
    resource: string
    bare: () => JID
    toString: () => string
  }
  export function parse (s: string): JID
  /** XEP-0106: a localpart's escapes (\20 for a space, ...) undone. */
  export function unescapeLocal (local: string): string
  export function jid (local: string | null, domain: string, resource?: string | null): JID
  export function jid (s: string): JID
}

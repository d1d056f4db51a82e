/**
 * XEP-0049 private XML storage: what the owner's clients keep on their
 * server (bookmarks, notes, settings), one element per namespace and local
 * name, each as the last client stored it, in `<home>/xmpp-private.json`. Only
 * the owner's clients read or write it; nothing of it goes on the mesh. The
 * bookmarks (`storage:bookmarks`, XEP-0048) are stored here too, but what a
 * client reads of them is bookmarks.ts's view, which puts the node's groups in.
 */
import { xml } from '@xmpp/xml'
import { MAX_PRIVATE_BYTES, MAX_PRIVATE_ELEMENTS, MAX_PRIVATE_NODES } from './constants.js'
import { PrivateElementTooLargeError, PrivateStorageFullError } from './errors.js'
import { copyElement } from './stanzas.js'
import { JsonFile } from '../util/json-file.js'
import type { Logger } from '@libp2p/interface'
import type { Element } from '@xmpp/xml'

/** An element as the file holds it: plain data, checked when read back. */
interface Tree { name: string, attrs: Record<string, string>, children: Array<string | Tree> }

const keyOf = (ns: string, name: string): string => `${ns} ${name}`
const keyOfElement = (el: Element): string => keyOf(el.getNS() ?? '', el.getName())

export class PrivateStorage {
  private readonly elements = new Map<string, Element>()
  private readonly state: JsonFile

  constructor (file: string, log: Logger) {
    this.state = new JsonFile(file, () => ({ elements: [...this.elements.values()].map(toTree) }), log)
  }

  async load (): Promise<void> {
    const parsed = await this.state.read() as { elements?: unknown } | undefined
    for (const tree of Array.isArray(parsed?.elements) ? parsed.elements : []) {
      const el = fromTree(tree, 0)
      if (el?.getNS() != null) this.elements.set(keyOfElement(el), el)
    }
  }

  /** The element stored under this namespace and local name, if any (a copy: the caller may change it). */
  get (ns: string, name: string): Element | undefined {
    const el = this.elements.get(keyOf(ns, name))
    return el == null ? undefined : copyElement(el)
  }

  /** Stores each element (under its own namespace and local name) in place of what was there: all of them, or none. */
  set (els: Element[]): void {
    const copies = els.map((el) => {
      const bytes = Buffer.byteLength(el.toString())
      const nodes = countNodes(el)
      if (bytes > MAX_PRIVATE_BYTES || nodes > MAX_PRIVATE_NODES) throw new PrivateElementTooLargeError(bytes, nodes)
      const copy = copyElement(el)
      // a namespace inherited from the query goes with the element (a prefixed one is declared on it already)
      if (el.name === el.getName()) copy.attrs.xmlns = el.getNS()
      return copy
    })
    const added = new Set(copies.map(keyOfElement).filter(k => !this.elements.has(k)))
    if (this.elements.size + added.size > MAX_PRIVATE_ELEMENTS) throw new PrivateStorageFullError()
    for (const copy of copies) this.elements.set(keyOfElement(copy), copy)
    this.state.changed()
  }

  async flush (): Promise<void> {
    await this.state.flush()
  }
}

const countNodes = (el: Element): number => 1 + el.getChildElements().reduce((n, c) => n + countNodes(c), 0)

function toTree (el: Element): Tree {
  const attrs: Record<string, string> = {}
  for (const [k, v] of Object.entries(el.attrs)) if (typeof v === 'string') attrs[k] = v
  return { name: el.name, attrs, children: el.children.map(c => typeof c === 'string' ? c : toTree(c as Element)) }
}

/** Reads back what toTree wrote; anything else (a hand-edited or damaged file) is left out. */
function fromTree (t: unknown, depth: number): Element | undefined {
  if (depth > 32 || typeof t !== 'object' || t == null) return undefined
  const { name, attrs, children } = t as Partial<Tree>
  if (typeof name !== 'string' || name === '' || typeof attrs !== 'object' || attrs == null || !Array.isArray(children)) return undefined
  const attributes: Record<string, string> = {}
  for (const [k, v] of Object.entries(attrs)) if (typeof v === 'string') attributes[k] = v
  const el = xml(name, attributes)
  for (const c of children) {
    if (typeof c === 'string') el.children.push(c)
    else {
      const child = fromTree(c, depth + 1)
      if (child != null) el.append(child)
    }
  }
  return el
}

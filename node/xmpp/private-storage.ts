/**
 * XEP-0049 private XML storage: what the owner's clients keep on their
 * server (bookmarks, notes, settings), one element per namespace and name,
 * each as the last client stored it, in `<home>/xmpp-private.json`. Only the
 * owner's clients read or write it; nothing of it goes on the mesh. The
 * bookmarks (`storage:bookmarks`, XEP-0048) are stored here too, but what a
 * client reads of them is bookmarks.ts's view, which puts the node's groups in.
 */
import { xml } from '@xmpp/xml'
import { MAX_PRIVATE_BYTES, MAX_PRIVATE_ELEMENTS } from './constants.js'
import { PrivateElementTooLargeError, PrivateStorageFullError } from './errors.js'
import { copyElement } from './stanzas.js'
import { JsonFile } from '../util/json-file.js'
import type { Logger } from '@libp2p/interface'
import type { Element } from '@xmpp/xml'

/** An element as the file holds it: plain data, checked when read back. */
interface Tree { name: string, attrs: Record<string, string>, children: Array<string | Tree> }

const keyOf = (ns: string, name: string): string => `${ns} ${name}`

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
      const ns = el?.getNS()
      if (el != null && ns != null) this.elements.set(keyOf(ns, el.name), el)
    }
  }

  /** The element stored under this namespace and name, if any (a copy: the caller may change it). */
  get (ns: string, name: string): Element | undefined {
    const el = this.elements.get(keyOf(ns, name))
    return el == null ? undefined : copyElement(el)
  }

  /** Stores `el` (its own namespace and name) in place of what was there. */
  set (el: Element): void {
    const ns = el.getNS() ?? ''
    const key = keyOf(ns, el.name)
    const bytes = Buffer.byteLength(el.toString())
    if (bytes > MAX_PRIVATE_BYTES) throw new PrivateElementTooLargeError(bytes)
    if (!this.elements.has(key) && this.elements.size >= MAX_PRIVATE_ELEMENTS) throw new PrivateStorageFullError()
    const copy = copyElement(el)
    // the namespace may have been inherited from the query: the stored element carries its own
    copy.attrs.xmlns = ns
    this.elements.set(key, copy)
    this.state.changed()
  }

  async flush (): Promise<void> {
    await this.state.flush()
  }
}

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

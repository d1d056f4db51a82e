/**
 * People as the CLI names them, and what a person may type to name them.
 *
 * Shown: the user's alias; else the name from their contact card, marked
 * `~` because anyone can claim any name; else the short peer id. Typed:
 * an alias, a full peer id, the short id (with or without `…`: any unique
 * ending of 6 or more characters of someone known), or `~name` for a card name.
 */
import { UsageError } from './errors.js'
import { shortId } from './format.js'
import { safe } from './safe-text.js'
import type { Api } from './api.js'

/** The shortest ending of a peer id a person may type for it. */
const MIN_SUFFIX = 6

/** `person`: a device of that person of the roster; `device`: another device of this user's, by its name. */
interface Known { alias?: string, card?: string, person?: string, device?: string }

export class Names {
  private constructor (private readonly known: Map<string, Known>) {}

  /** Everyone the node knows of right now: the roster, who is watched, requests both ways, held senders. */
  static async load (node: Api): Promise<Names> {
    const known = new Map<string, Known>()
    const add = (peer: string, k: Known = {}): void => { known.set(peer, { ...known.get(peer), ...k }) }
    const people = await node.people()
    for (const p of people) add(p.id, { alias: p.alias })
    // a contact's other devices are that contact (a group lists each device that is a member)
    for (const p of people) for (const d of p.devices ?? []) if (!known.has(d)) add(d, { person: p.id })
    const mine = await Promise.resolve().then(() => node.devices?.()).catch(() => undefined)
    for (const d of mine?.devices ?? []) if (!d.self) add(d.peerId, { device: d.name })
    for (const v of await node.who()) add(v.peerId, { card: v.displayName })
    const requests = await node.contactRequests()
    for (const r of [...requests.incoming, ...requests.outgoing]) add(r.peerId)
    for (const m of await node.requests()) add(m.peer)
    return new Names(known)
  }

  /** How a peer is shown: alias, `~card name`, or short id; safe for the terminal. */
  of (peer: string): string {
    const k = this.known.get(peer)
    if (k?.person != null) return this.of(k.person)
    if (k?.device != null) return `you (${safe(k.device)})`
    if (k?.alias != null) return safe(k.alias)
    if (k?.card != null && k.card !== '') return `~${safe(k.card)}`
    return shortId(peer)
  }

  /** A device of a contact other than the one the contact was made with, or another device of this user's. */
  otherDevice (peer: string): boolean {
    const k = this.known.get(peer)
    return k?.person != null || k?.device != null
  }

  /** The person a peer is (the roster's person id; `self` for this user's own devices). */
  personOf (peer: string, self: string): string {
    const k = this.known.get(peer)
    return k?.person ?? (k?.device != null ? self : peer)
  }

  /** `bob (…4kx6nXTN)`: the name and the short id, where both help. */
  full (peer: string): string {
    const name = this.of(peer)
    return name === shortId(peer) ? name : `${name} (${shortId(peer)})`
  }

  /**
   * The peer a typed word names. Aliases and full peer ids go to the node
   * (its errors say what is wrong); endings and card names are matched here.
   */
  async resolve (node: Api, word: string): Promise<string> {
    for (const [peer, k] of this.known) if (k.alias === word) return peer
    const card = word.startsWith('~') ? word.slice(1) : undefined
    if (card != null && card !== '') {
      const hits = [...this.known].filter(([, k]) => k.card === card && k.alias == null).map(([p]) => p)
      if (hits.length === 1) return hits[0]
      if (hits.length > 1) throw new UsageError(`${safe(word)} names several people: ${hits.map(shortId).join(', ')}`)
    }
    const ending = word.startsWith('…') ? word.slice(1) : word
    if (ending.length >= MIN_SUFFIX && ending.length < 40) {
      const hits = [...this.known.keys()].filter(p => p.endsWith(ending))
      if (hits.length === 1) return hits[0]
      if (hits.length > 1) throw new UsageError(`${safe(word)} matches several people: ${hits.map(p => this.full(p)).join(', ')}`)
    }
    return await node.resolvePeer(word)
  }

  /** Words Tab completes: aliases, short ids of people without one. */
  completions (): string[] {
    return [...this.known].filter(([, k]) => k.person == null && k.device == null).map(([peer, k]) => k.alias ?? shortId(peer))
  }
}

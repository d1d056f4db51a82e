/**
 * The roster service (see index.ts for what it owns and how others react).
 * Each change is staged into one transaction with the person's new record;
 * memory follows the commit, then one `roster:change` event goes out.
 */
import { serviceCapabilities, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { peerIdString } from '../peer-ids.js'
import { isCategoryKey } from '../../protocol/categories.js'
import { isUnicode } from '../../protocol/text.js'
import { CONTACT_CONTAINERS, DEFAULT_CONNECT_TIMEOUT_MS, MAX_ALIAS_CHARS, ROSTER_CAPABILITY, VISIBILITIES } from './constants.js'
import { AliasTakenError, InvalidAliasError, InvalidSettingError, NotAContactError, SelfReferenceError, UnknownPersonError } from './errors.js'
import { PairKeyring } from './pair-keyring.js'
import { PairSecrets } from './pair-secrets.js'
import { RosterStore } from './roster-store.js'
import type { CategoryRule, ContactContainer, ContactState, Person, PersonChange, Roster, RosterChange, RosterEvents, RosterInit, Visibility, VisibilitySetting } from './index.js'
import type { PresenceViewLevel } from '../presence/audience.js'
import type { Transaction } from '../store/records.js'
import type { PairKeys } from '../../protocol/pair-keys.js'
import type { ComponentLogger, Logger, PeerId, PrivateKey, Startable } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Datastore } from 'interface-datastore'

export interface RosterServiceComponents {
  peerId: PeerId
  privateKey: PrivateKey
  datastore: Datastore
  logger: ComponentLogger
  connectionManager: ConnectionManager
}

const copyContact = (c: ContactState): ContactState => ({
  ...c,
  ...(c.allow != null ? { allow: [...c.allow] } : {}),
  ...(c.deny != null ? { deny: [...c.deny] } : {})
})
const copy = (p: Person): Person => ({ ...p, devices: [...p.devices], contact: p.contact == null ? undefined : copyContact(p.contact) })

/** A person with nothing left to remember is dropped from the roster. */
const keep = (p: Person): boolean => p.contact != null || p.watched || p.blockedSince != null || p.alias != null || p.muted === true

export class RosterService extends TypedEventEmitter<RosterEvents> implements Roster, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:roster'
  readonly [serviceCapabilities] = [ROSTER_CAPABILITY]

  private readonly log: Logger
  private readonly keyring: PairKeyring
  private store?: RosterStore
  private secrets?: PairSecrets
  private started = false

  constructor (private readonly components: RosterServiceComponents, private readonly init: RosterInit = {}) {
    super()
    this.log = components.logger.forComponent('presence-mesh:roster')
    this.keyring = new PairKeyring(components.peerId, components.privateKey)
    this.store = init.store
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    const store = this.store ??= await RosterStore.open(this.components.datastore, this.init.defaultVisibility)
    // keys derived before (each an X25519 with pure-JS curve arithmetic) are read, not derived again
    this.secrets = await PairSecrets.open(this.components.datastore, this.components.peerId.toString(), peer => store.get(peer) != null, this.log)
    this.keyring.useSecrets(this.secrets)
    this.started = true
  }

  async stop (): Promise<void> {
    this.started = false
    await this.secrets?.flushed()
  }

  // ---- reading ----

  people (): Person[] {
    return [...this.records().all()].map(copy)
  }

  get (peer: PeerId | string): Person | undefined {
    const p = this.records().get(peer.toString())
    return p == null ? undefined : copy(p)
  }

  /** The name the user gave this person (a device resolves to its person), without copying the person. */
  alias (peer: PeerId | string): string | undefined {
    return this.records().get(peer.toString())?.alias
  }

  resolve (aliasOrPeer: PeerId | string): string {
    if (typeof aliasOrPeer !== 'string') return aliasOrPeer.toString()
    const named = this.byAlias(aliasOrPeer)
    if (named != null) return named.id
    try {
      return peerIdFromString(aliasOrPeer).toString()
    } catch {
      throw new UnknownPersonError(aliasOrPeer)
    }
  }

  contacts (): Person[] {
    return this.people().filter(p => p.contact != null)
  }

  isContact (peer: PeerId | string): boolean {
    const p = this.records().get(peer.toString())
    return p?.contact != null && p.blockedSince == null
  }

  isBlocked (peer: PeerId | string): boolean {
    return this.store?.isBlocked(peer.toString()) ?? false
  }

  blocked (): Array<{ peerId: string, since: number }> {
    return [...this.records().all()].flatMap(p => p.blockedSince == null ? [] : [{ peerId: p.id, since: p.blockedSince }])
  }

  /** Whether `peer` (a contact, or any current device of one) may see this node now; the allow list names people. */
  canSee (peer: PeerId | string): boolean {
    const id = peer.toString()
    if (!this.isContact(id)) return false
    const { mode, allow } = this.visibility()
    if (mode !== 'invisible') return true
    const person = this.records().get(id)?.id ?? id
    return allow.includes(person) || allow.includes(id)
  }

  watchList (): Person[] {
    return this.people().filter(p => p.blockedSince == null && (p.contact != null || p.watched))
  }

  visibility (): VisibilitySetting {
    const v = this.records().visibility()
    return { mode: v.mode, allow: [...v.allow] }
  }

  keysFor (peer: PeerId | string): PairKeys {
    return this.keyring.keysFor(peer)
  }

  // ---- changing ----
  // Every change reads the person inside its transaction, after every earlier
  // roster change committed: two changes at once never overwrite each other.

  async watch (peer: PeerId | string, alias?: string): Promise<Person> {
    const id = this.parse(peer, 'watch')
    const { after } = await this.update(id, (before) => {
      const next: Person = { ...(before ?? blank(id)), watched: true }
      if (alias != null) next.alias = this.checkAlias(alias, id)
      return before != null && before.watched && before.alias === next.alias ? before : next
    })
    return copy(after ?? blank(id))
  }

  async unwatch (peer: PeerId | string): Promise<boolean> {
    const id = peerIdString(peer)
    const { changed } = await this.update(id, (before) => {
      if (before?.watched !== true) return before
      // a stranger the user stops watching is forgotten, name included; a contact keeps its name
      return before.contact == null && before.blockedSince == null
        ? { ...before, watched: false, alias: undefined }
        : { ...before, watched: false }
    })
    return changed
  }

  async setAlias (peer: PeerId | string, alias: string | undefined): Promise<Person> {
    const id = this.parse(peer, 'name')
    const { after } = await this.update(id, (before) => {
      const next: Person = { ...(before ?? blank(id)), alias: alias == null ? undefined : this.checkAlias(alias, id) }
      return before?.alias === next.alias ? before : next
    })
    return copy(after ?? blank(id))
  }

  async addContact (peer: PeerId | string, options: { alias?: string, tx?: Transaction } = {}): Promise<void> {
    const id = this.parse(peer, 'add as a contact')
    await this.update(id, (before) => {
      const next: Person = { ...(before ?? blank(id)), contact: before?.contact ?? { since: Date.now(), view: 'full' } }
      if (options.alias != null) {
        // a name chosen when asking may have gone to someone else since: then the contact comes without it
        try {
          next.alias = this.checkAlias(options.alias, id)
        } catch (err) {
          this.log('not naming %s %s - %e', id, options.alias, err)
        }
      }
      return next
    }, options.tx)
  }

  async setDevices (peer: PeerId | string, devices: string[]): Promise<Person | undefined> {
    const id = peerIdString(peer)
    const store = this.records()
    const { after } = await this.update(id, (before) => {
      if (before == null) return before
      // never a device another person of the roster is, or has
      const mine = devices.filter(d => d !== before.id && (store.get(d)?.id ?? before.id) === before.id)
      const next = [before.id, ...new Set(mine)]
      return next.length === before.devices.length && next.every((d, i) => before.devices[i] === d) ? before : { ...before, devices: next }
    })
    return after == null ? undefined : copy(after)
  }

  async removeContact (peer: PeerId | string, options: { tx?: Transaction } = {}): Promise<boolean> {
    const id = peerIdString(peer)
    const { changed } = await this.update(id, (before) => before?.contact == null ? before : { ...before, contact: undefined, watched: false }, options.tx)
    return changed
  }

  async setMuted (peer: PeerId | string, muted: boolean): Promise<Person> {
    const id = this.parse(peer, 'mute')
    const { after } = await this.update(id, (before) => ({ ...(before ?? blank(id)), muted: muted ? true : undefined }))
    return copy(after ?? blank(id))
  }

  async setView (peer: PeerId | string, view: PresenceViewLevel): Promise<void> {
    if (view !== 'full' && view !== 'status') throw new InvalidSettingError('view', String(view), ['full', 'status'])
    await this.updateContact(peer, (c) => c.view === view ? c : { ...c, view })
  }

  async setContainer (peer: PeerId | string, container: ContactContainer): Promise<void> {
    if (!CONTACT_CONTAINERS.includes(container)) throw new InvalidSettingError('container', String(container), CONTACT_CONTAINERS)
    await this.updateContact(peer, (c) => {
      if ((c.container ?? 'contacts') === container) return c
      const next: ContactState = { ...c, container }
      if (container === 'contacts') delete next.container
      return next
    })
  }

  async setCategoryRule (peer: PeerId | string, category: string, rule: CategoryRule | 'default'): Promise<void> {
    if (category === 'state' || !isCategoryKey(category)) throw new InvalidSettingError('category', String(category), RULE_CATEGORIES)
    if (!RULES.includes(rule)) throw new InvalidSettingError('rule', String(rule), RULES)
    await this.updateContact(peer, (c) => {
      const without = (list: string[] | undefined): string[] => (list ?? []).filter(k => k !== category)
      const allow = rule === 'allow' ? [...without(c.allow), category] : without(c.allow)
      const deny = rule === 'deny' ? [...without(c.deny), category] : without(c.deny)
      const next: ContactState = { since: c.since, view: c.view }
      if (c.container != null) next.container = c.container
      if (allow.length > 0) next.allow = allow
      if (deny.length > 0) next.deny = deny
      return JSON.stringify(next) === JSON.stringify(c) ? c : next
    })
  }

  async setVisibility (mode: Visibility, allow?: Array<PeerId | string>): Promise<void> {
    if (!VISIBILITIES.includes(mode)) throw new InvalidSettingError('visibility', String(mode), VISIBILITIES)
    const allowed = allow == null ? undefined : [...new Set(allow.map(p => this.parse(p, 'allow')))]
    await this.records().store.write((tx) => {
      const before = this.visibility()
      const after: VisibilitySetting = { mode, allow: allowed ?? before.allow }
      this.records().stageVisibility(tx, after)
      this.announce(tx, { people: [], visibility: { before, after } })
    })
  }

  async block (peer: PeerId | string): Promise<boolean> {
    const id = this.parse(peer, 'block')
    const { changed, after } = await this.update(id, (before) => before?.blockedSince != null ? before : { ...(before ?? blank(id)), blockedSince: Date.now() })
    if (!changed) return false
    // every reaction (the goodbye records among them) is done: now drop the connections, of every device of theirs
    await Promise.all((after?.devices ?? [id]).map(async d => {
      await this.components.connectionManager.closeConnections(peerIdFromString(d)).catch((err: unknown) => {
        this.log.error('could not close connections to %s - %e', d, err)
      })
    }))
    return true
  }

  async unblock (peer: PeerId | string): Promise<boolean> {
    const id = peerIdString(peer)
    const { changed, after } = await this.update(id, (before) => before?.blockedSince == null ? before : { ...before, blockedSince: undefined })
    if (!changed) return false
    if (after?.contact != null) {
      // best effort: a direct link speeds up the first record and any queued message
      this.components.connectionManager.openConnection(peerIdFromString(id), { signal: AbortSignal.timeout(DEFAULT_CONNECT_TIMEOUT_MS) })
        .catch(() => {})
    }
    return true
  }

  // ---- helpers ----

  private records (): RosterStore {
    if (this.store == null) throw new Error('the roster is not started')
    return this.store
  }

  /**
   * Changes one person: `fn` gets their state as committed so far and
   * returns the next one (the same object: no change; a person with nothing
   * left to remember is dropped). It runs inside the transaction, the
   * caller's if given, so it sees every earlier roster change, and may throw
   * to refuse. The change is announced once committed; without a caller's
   * transaction this resolves once the reactions settled.
   */
  private async update (peer: string, fn: (before: Person | undefined) => Person | undefined, tx?: Transaction): Promise<{ changed: boolean, after?: Person }> {
    const store = this.records()
    // a device of a person is changed on its person's record
    const id = store.get(peer)?.id ?? peer
    const stage = (t: Transaction): { changed: boolean, after?: Person } => {
      const current = store.get(id)
      const next = fn(current == null ? undefined : copy(current))
      if (next === undefined && current == null) return { changed: false }
      if (next != null && current != null && samePerson(next, current)) return { changed: false, after: current }
      const after = next != null && keep(next) ? next : undefined
      const before = store.stagePerson(t, id, after)
      this.announce(t, { people: [{ id, before, after } satisfies PersonChange] })
      return { changed: true, after }
    }
    return tx != null ? stage(tx) : await store.store.write(stage)
  }

  private async updateContact (peer: PeerId | string, fn: (c: ContactState) => ContactState): Promise<void> {
    const id = peerIdString(peer)
    await this.update(id, (before) => {
      if (before?.contact == null) throw new NotAContactError(id)
      const contact = fn(before.contact)
      return contact === before.contact ? before : { ...before, contact }
    })
  }

  /** One roster:change once the transaction committed; listeners hand their work to waitUntil. */
  private announce (t: Transaction, change: RosterChange): void {
    t.afterCommit(() => {
      this.safeDispatchEvent('roster:change', { detail: { ...change, waitUntil: (work: Promise<unknown>) => { t.waitUntil(work) } } })
    })
  }

  private parse (peer: PeerId | string, action: string): string {
    const id = peerIdString(peer)
    if (id === this.components.peerId.toString()) throw new SelfReferenceError(action)
    return id
  }

  private byAlias (alias: string): Person | undefined {
    for (const p of this.records().all()) if (p.alias === alias) return p
    return undefined
  }

  /** A name is one word a person can type: no spaces or control characters, not a peer id, unique. */
  checkAlias (alias: string, owner: string): string {
    if (alias === '' || [...alias].length > MAX_ALIAS_CHARS) throw new InvalidAliasError(alias, `1 to ${MAX_ALIAS_CHARS} characters`)
    // eslint-disable-next-line no-control-regex
    if (/[\s\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u.test(alias)) throw new InvalidAliasError(alias, 'no spaces or control characters')
    let isPeerId = false
    try { peerIdFromString(alias); isPeerId = true } catch {}
    if (isPeerId) throw new InvalidAliasError(alias, 'a peer id cannot be a name')
    if (!isUnicode(alias)) throw new InvalidAliasError(alias, 'not valid Unicode')
    const holder = this.byAlias(alias)
    if (holder != null && holder.id !== owner) throw new AliasTakenError(alias, holder.id)
    return alias
  }
}

const RULES: ReadonlyArray<CategoryRule | 'default'> = ['allow', 'deny', 'default']
const RULE_CATEGORIES = ['note', 'activity', 'card', 'capabilities', 'calendar', 'app:<namespace>']

/** Same state, field by field (records are plain JSON). */
function samePerson (a: Person, b: Person): boolean {
  return JSON.stringify({ ...a, id: undefined }) === JSON.stringify({ ...b, id: undefined })
}

function blank (id: string): Person {
  return { id, devices: [id], watched: false }
}

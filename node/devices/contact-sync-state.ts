/**
 * The contacts a person's devices agree on (docs/protocol.md §14.10): one
 * entry per contact, stamped by the change that made it, kept on disk and
 * applied to this device's roster. A change made here (an accept, a removal,
 * a block) becomes a new entry; an entry from another device of the person
 * that beats the held one is taken and applied. Applying changes the roster,
 * whose change then matches the entry and makes no entry of its own, so
 * entries never echo between devices.
 */
import { MAX_CONTACT_SKEW_MS, mergeEntries, nextChangedAt, sameState, snapshotEntries } from '../../protocol/contact-sync.js'
import { jsonCodec, Store } from '../store/records.js'
import { DATASTORE_PREFIX } from './constants.js'
import type { ContactSyncEntry } from '../../protocol/contact-sync.js'
import type { RecordSet } from '../store/records.js'
import type { Person, PersonChange, Roster } from '../roster/index.js'
import type { Logger } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

export type ContactSyncRoster = Pick<Roster, 'people' | 'get' | 'addContact' | 'removeContact' | 'block' | 'unblock' | 'setDevices'>

interface State { isContact: boolean, blocked: boolean }

const stateOf = (p: Person | undefined): State => ({ isContact: p?.contact != null, blocked: p?.blockedSince != null })

export class ContactSyncState {
  private readonly held = new Map<string, ContactSyncEntry>()
  private readonly store: Store
  private readonly records: RecordSet<ContactSyncEntry>
  /**
   * Contacts whose entry is being applied to the roster, with the state it
   * brings: a roster change that moves toward it is the entry's own; one that
   * moves elsewhere (a removal by hand while the add was applied) is new.
   */
  private readonly applying = new Map<string, State>()
  /** Received entries are applied one snapshot at a time. */
  private receiving: Promise<unknown> = Promise.resolve()

  constructor (private readonly self: string, private readonly roster: ContactSyncRoster, datastore: Datastore, private readonly log: Logger, private readonly now: () => number = Date.now) {
    this.store = new Store(datastore)
    this.records = this.store.records(`${DATASTORE_PREFIX}/contact`, jsonCodec<ContactSyncEntry>())
  }

  /**
   * Loads the entries, then makes the roster's present state an entry where
   * none says it: a contact or block from before syncing gets an entry
   * stamped when it was made (any later change elsewhere wins over it); a
   * roster that differs from its entry (a change the node stopped before
   * recording) gets one stamped now.
   */
  async load (): Promise<void> {
    for (const [id, e] of await this.records.all()) this.held.set(id, e)
    const made: ContactSyncEntry[] = []
    const people = new Map(this.roster.people().map(p => [p.id, p]))
    for (const p of people.values()) {
      const s = stateOf(p)
      const h = this.held.get(p.id)
      if (h == null && (s.isContact || s.blocked)) {
        made.push(this.entry(p, Math.max(1, p.contact?.since ?? 0, p.blockedSince ?? 0)))
      } else if (h != null && !sameState(h, s)) {
        made.push(this.entry(p, nextChangedAt(this.now(), h)))
      }
    }
    for (const h of this.held.values()) {
      if ((h.isContact || h.blocked) && !people.has(h.contact)) made.push(this.entry(undefined, nextChangedAt(this.now(), h), h.contact))
    }
    for (const e of made) this.held.set(e.contact, e)
    await this.save(made)
  }

  /** What this device sends its person's other devices. */
  entries (): ContactSyncEntry[] {
    return snapshotEntries(this.held.values())
  }

  get (contact: string): ContactSyncEntry | undefined {
    const e = this.held.get(contact)
    return e == null ? undefined : { ...e, devices: [...e.devices] }
  }

  /**
   * A roster change made on this device: a new entry when it changes what
   * the held entry says (or when there is none and the person is a contact
   * or blocked now). Memory is updated at once (synchronously, so an entry
   * arriving next is compared with it); the promise is its write.
   */
  local (change: PersonChange): { entry?: ContactSyncEntry, saved: Promise<void> } {
    const s = stateOf(change.after)
    const target = this.applying.get(change.id)
    if (target != null) {
      const before = stateOf(change.before)
      const toward = (k: keyof State): boolean => s[k] === target[k] || s[k] === before[k]
      if (toward('isContact') && toward('blocked')) return { saved: Promise.resolve() }
    }
    const h = this.held.get(change.id)
    if (h == null ? !s.isContact && !s.blocked : sameState(h, s)) return { saved: Promise.resolve() }
    const entry = this.entry(change.after, nextChangedAt(this.now(), h), change.id)
    this.held.set(entry.contact, entry)
    return { entry, saved: this.save([entry]) }
  }

  /** Entries from another device of the person: those that win are kept and applied to the roster. Resolves with them. */
  async receive (entries: ContactSyncEntry[]): Promise<ContactSyncEntry[]> {
    const run = this.receiving.then(async () => {
      const latest = this.now() + MAX_CONTACT_SKEW_MS
      const taken = mergeEntries(this.held, entries.filter(e => e.changedAt <= latest))
      for (const e of taken) await this.apply(e)
      await this.save(taken)
      return taken
    })
    this.receiving = run.catch(() => {})
    return await run
  }

  private async apply (e: ContactSyncEntry): Promise<void> {
    this.applying.set(e.contact, { isContact: e.isContact, blocked: e.blocked })
    try {
      const now = stateOf(this.roster.get(e.contact))
      if (e.isContact && !now.isContact) {
        await this.roster.addContact(e.contact, { alias: e.alias })
        await this.roster.setDevices(e.contact, e.devices)
      }
      if (!e.isContact && now.isContact) await this.roster.removeContact(e.contact)
      if (e.blocked && !now.blocked) await this.roster.block(e.contact)
      if (!e.blocked && now.blocked) await this.roster.unblock(e.contact)
    } catch (err) {
      // the entry stays held (the person's devices agree on it); this roster keeps what it had
      this.log.error('could not apply the contact entry of %s - %e', e.contact, err)
    } finally {
      this.applying.delete(e.contact)
    }
  }

  private entry (p: Person | undefined, changedAt: number, id = p?.id ?? ''): ContactSyncEntry {
    const s = stateOf(p)
    const e: ContactSyncEntry = { contact: id, ...s, changedAt, changedBy: this.self, devices: p?.devices.filter(d => d !== id) ?? [] }
    if (p?.alias != null) e.alias = p.alias
    return e
  }

  private async save (entries: ContactSyncEntry[]): Promise<void> {
    if (entries.length === 0) return
    await this.store.write(tx => { for (const e of entries) this.records.put(tx, e.contact, e) })
  }
}

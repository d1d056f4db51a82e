/**
 * One-time moves of what older versions stored, run before libp2p is built.
 *
 * Roster v1: versions up to 0.1 kept contacts, requests, watcher info,
 * visibility and processed-message marks in one JSON document
 * (/presence-mesh/contacts/state), the contact outbox in another, the block
 * list in a third, and names of watched presentities in presence's watch
 * records. They move, in one batch, to one record per person (roster),
 * request, mark, history entry and outbox entry (consent).
 */
import { Key } from 'interface-datastore'
import { jsonCodec, Store } from './store/records.js'
import { outboxId } from './contacts/consent-store.js'
import { DATASTORE_PREFIX as CONSENT_PREFIX } from './contacts/constants.js'
import { historyKey } from './contacts/consent.js'
import { DATASTORE_PREFIX as ROSTER_PREFIX } from './roster/constants.js'
import type { HistoryEntry, PendingRequest } from './contacts/consent.js'
import type { OutboxEntry } from './contacts/consent-store.js'
import type { Person, VisibilitySetting } from './roster/index.js'
import type { Datastore } from 'interface-datastore'

const VERSION_KEY = new Key(`${ROSTER_PREFIX}/version`)
const OLD_STATE = new Key(`${CONSENT_PREFIX}/state`)
const OLD_OUTBOX = new Key(`${CONSENT_PREFIX}/outbox`)
const OLD_BLOCKED = new Key(`${CONSENT_PREFIX}/blocked`)
const OLD_WATCH_PREFIX = '/presence-mesh/presence/watch/'

interface OldState {
  contacts?: Record<string, { peerId: string, alias?: string, view?: 'full' | 'status', since?: number }>
  incoming?: Record<string, PendingRequest>
  outgoing?: Record<string, PendingRequest>
  history?: HistoryEntry[]
  visibility?: VisibilitySetting['mode']
  allow?: string[]
  seen?: Record<string, number>
}

type OldOutboxEntry = Omit<OutboxEntry, 'id'>

const utf8 = new TextDecoder()

async function readJson<T> (ds: Datastore, key: Key): Promise<T | undefined> {
  try {
    return JSON.parse(utf8.decode(await ds.get(key))) as T
  } catch (err: any) {
    if (err.name === 'NotFoundError') return undefined
    throw err
  }
}

/** Runs every migration the datastore still needs; a no-op on a current or new one. */
export async function migrate (ds: Datastore): Promise<void> {
  if (await ds.has(VERSION_KEY)) return
  const state = await readJson<OldState>(ds, OLD_STATE)
  const outbox = await readJson<OldOutboxEntry[]>(ds, OLD_OUTBOX) ?? []
  const blocked = await readJson<Record<string, number>>(ds, OLD_BLOCKED) ?? {}
  const watched: Array<{ peerId: string, alias?: string }> = []
  for await (const { key, value } of ds.query({ prefix: OLD_WATCH_PREFIX })) {
    watched.push({ peerId: key.baseNamespace(), alias: (JSON.parse(utf8.decode(value)) as { alias?: string }).alias })
  }

  const people = new Map<string, Person>()
  const person = (id: string): Person => {
    let p = people.get(id)
    if (p == null) {
      p = { id, devices: [id], watched: false }
      people.set(id, p)
    }
    return p
  }
  for (const c of Object.values(state?.contacts ?? {})) {
    Object.assign(person(c.peerId), { alias: c.alias, contact: { since: c.since ?? Date.now(), view: c.view ?? 'full' } })
  }
  for (const w of watched) {
    const p = person(w.peerId)
    if (p.contact == null) p.watched = true
    p.alias ??= w.alias
  }
  for (const [id, since] of Object.entries(blocked)) person(id).blockedSince = since
  // names were not unique before: the first keeps a repeated one
  const names = new Set<string>()
  for (const p of people.values()) {
    if (p.alias == null) continue
    if (names.has(p.alias)) p.alias = undefined
    else names.add(p.alias)
  }

  const store = new Store(ds)
  await store.write((tx) => {
    const personRecords = store.records<Omit<Person, 'id'>>(`${ROSTER_PREFIX}/person`, jsonCodec())
    for (const { id, ...rest } of people.values()) personRecords.put(tx, id, rest)
    if (state?.visibility != null) {
      store.records<VisibilitySetting>(`${ROSTER_PREFIX}/setting`, jsonCodec()).put(tx, 'visibility', { mode: state.visibility, allow: state.allow ?? [] })
    }
    const put = (name: string, id: string, value: object): void => { store.records(`${CONSENT_PREFIX}/${name}`, jsonCodec<object>()).put(tx, id, value) }
    for (const r of Object.values(state?.incoming ?? {})) put('incoming', r.peerId, r)
    for (const r of Object.values(state?.outgoing ?? {})) put('outgoing', r.peerId, r)
    for (const [k, at] of Object.entries(state?.seen ?? {})) put('seen', k, { at })
    for (const h of state?.history ?? []) put('history', historyKey(h.direction, h.requestId), h)
    for (const e of outbox) {
      const id = outboxId(e.createdAt, e.kind, e.requestId)
      put('outbox', id, { ...e, id })
    }
    tx.delete(OLD_STATE)
    tx.delete(OLD_OUTBOX)
    tx.delete(OLD_BLOCKED)
    tx.put(VERSION_KEY, new TextEncoder().encode('1'))
  })
}

/**
 * Contacts follow a person across their devices (docs/protocol.md §14.10):
 * the frames of /presence-mesh/device-contacts/1.0.0 and the rules every
 * device applies to them. Pure: no clock, no I/O.
 *
 * Each contact has one entry per person: its state (a contact, blocked) and
 * the stamp of the change that made it (`changedAt`, `changedBy`). The
 * entry with the greater stamp wins, whichever order entries arrive in, so
 * every device that has seen the same entries holds the same ones.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { compare as uint8ArrayCompare } from 'uint8arrays/compare'
import { ed25519PeerOf } from './device-cert.js'
import { MAX_DEVICES, MAX_TIME_MS } from './limits.js'
import { MAX_LOCATOR_ADDR_BYTES, MAX_LOCATOR_ADDRS } from './locator-record.js'
import { ContactEntry as ContactEntryPb, ContactSnapshot as ContactSnapshotPb, Whereabouts as WhereaboutsPb } from './pb/contact-sync.js'
import { scanMessage } from './strict-protobuf.js'
import { isUnicode } from './text.js'
import { protocolId } from './topics.js'
import type { MessageRules } from './strict-protobuf.js'

export const DEVICE_CONTACTS_PROTOCOL = protocolId('device-contacts', '1.0.0')
/** Entries a snapshot carries at most (live ones first, then the newest removals). */
export const MAX_CONTACT_SYNC_ENTRIES = 512
/** The longest legal entry is 864 B (16 devices, a 32-character alias of 4-byte code points). */
export const MAX_CONTACT_ENTRY_BYTES = 1_024
/** Contacts' devices a snapshot tells the whereabouts of, at most. */
export const MAX_WHEREABOUTS = 64
/** The longest legal whereabouts: a 38-byte peer and 8 addresses of 128 bytes, with their 2-byte headers. */
export const MAX_WHEREABOUTS_BYTES = 1_088
/** Entries and whereabouts plus their 3-byte field headers. */
export const MAX_CONTACT_SNAPSHOT_BYTES = MAX_CONTACT_SYNC_ENTRIES * (MAX_CONTACT_ENTRY_BYTES + 3) + MAX_WHEREABOUTS * (MAX_WHEREABOUTS_BYTES + 3)
/** An entry stamped further ahead of the receiver's clock is not taken (a device cannot make its changes win for long by stamping them in the future). */
export const MAX_CONTACT_SKEW_MS = 300_000
/** The longest alias in code points (the roster's MAX_ALIAS_CHARS). */
export const MAX_SYNC_ALIAS_CHARS = 32

export const CONTACT_ENTRY_RULES: MessageRules = {
  1: { type: 'bytes' },
  2: { type: 'bool' },
  3: { type: 'bool' },
  4: { type: 'uint64' },
  5: { type: 'bytes' },
  6: { type: 'bytes', repeated: true },
  7: { type: 'string' }
}
export const WHEREABOUTS_RULES: MessageRules = { 1: { type: 'bytes' }, 2: { type: 'bytes', repeated: true } }
export const CONTACT_SNAPSHOT_RULES: MessageRules = { 1: { type: 'bytes', repeated: true }, 2: { type: 'bytes', repeated: true } }

export const CONTACT_SYNC_REJECT_REASONS = ['oversize', 'malformed', 'invalid-field'] as const
export type ContactSyncRejectReason = typeof CONTACT_SYNC_REJECT_REASONS[number]

export interface ContactSyncEntry {
  /** The contact's roster id (a peer id string). */
  contact: string
  isContact: boolean
  blocked: boolean
  /** ms since the epoch, the changing device's clock. */
  changedAt: number
  /** The device that made the change (a peer id string). */
  changedBy: string
  /** The contact's devices as the changing device knew them. */
  devices: string[]
  alias?: string
}

/** Where a contact's device listens, as the sending device knows it. */
export interface Whereabouts {
  /** The contact's device (a peer id string). */
  peer: string
  /** Binary multiaddrs without /p2p/<id>. */
  addrs: Uint8Array[]
}

export type ContactSnapshotResult =
  | { ok: true, entries: ContactSyncEntry[], whereabouts: Whereabouts[] }
  | { ok: false, reason: ContactSyncRejectReason, detail?: string }

const mh = (peer: string): Uint8Array => peerIdFromString(peer).toMultihash().bytes

/** Whether the change stamped `a` is newer than the one stamped `b`: greater `changedAt`, then greater `changedBy` multihash bytes. */
export function stampBeats (a: Pick<ContactSyncEntry, 'changedAt' | 'changedBy'>, b: Pick<ContactSyncEntry, 'changedAt' | 'changedBy'>): boolean {
  if (a.changedAt !== b.changedAt) return a.changedAt > b.changedAt
  return uint8ArrayCompare(mh(a.changedBy), mh(b.changedBy)) > 0
}

/** The stamp time of a device's new change: its clock, but always after the entry it replaces (a clock behind another device's still wins). */
export function nextChangedAt (now: number, held?: Pick<ContactSyncEntry, 'changedAt'>): number {
  return Math.min(MAX_TIME_MS, Math.max(now, (held?.changedAt ?? 0) + 1))
}

/** Whether two entries say the same about the contact (the stamp and the devices aside). */
export function sameState (a: Pick<ContactSyncEntry, 'isContact' | 'blocked'>, b: Pick<ContactSyncEntry, 'isContact' | 'blocked'>): boolean {
  return a.isContact === b.isContact && a.blocked === b.blocked
}

/**
 * Merges `incoming` into `held` (contact -> entry), in place: an entry is
 * taken when no entry of its contact is held or it beats the held one.
 * Returns the entries taken, in the order given.
 */
export function mergeEntries (held: Map<string, ContactSyncEntry>, incoming: Iterable<ContactSyncEntry>): ContactSyncEntry[] {
  const taken: ContactSyncEntry[] = []
  for (const e of incoming) {
    const h = held.get(e.contact)
    if (h != null && !stampBeats(e, h)) continue
    held.set(e.contact, e)
    taken.push(e)
  }
  return taken
}

/** The entries a snapshot carries: live ones (a contact or blocked) before removals, newest first within each, at most MAX_CONTACT_SYNC_ENTRIES. */
export function snapshotEntries (held: Iterable<ContactSyncEntry>): ContactSyncEntry[] {
  const live = (e: ContactSyncEntry): number => e.isContact || e.blocked ? 1 : 0
  return [...held].sort((a, b) => live(b) - live(a) || (stampBeats(a, b) ? -1 : stampBeats(b, a) ? 1 : 0)).slice(0, MAX_CONTACT_SYNC_ENTRIES)
}

export function encodeContactSnapshot (entries: ContactSyncEntry[], whereabouts: Whereabouts[] = []): Uint8Array {
  return ContactSnapshotPb.encode({
    whereabouts: whereabouts.slice(0, MAX_WHEREABOUTS).map(w => ({
      peer: mh(w.peer) as Uint8Array<ArrayBuffer>,
      addrs: w.addrs.filter(a => a.byteLength > 0 && a.byteLength <= MAX_LOCATOR_ADDR_BYTES).slice(0, MAX_LOCATOR_ADDRS) as Array<Uint8Array<ArrayBuffer>>
    })),
    entries: entries.map(e => ({
      contact: mh(e.contact) as Uint8Array<ArrayBuffer>,
      isContact: e.isContact,
      blocked: e.blocked,
      changedAt: BigInt(e.changedAt),
      changedBy: mh(e.changedBy) as Uint8Array<ArrayBuffer>,
      devices: e.devices.slice(0, MAX_DEVICES).map(d => mh(d) as Uint8Array<ArrayBuffer>),
      // an alias stored before aliases were checked for lone surrogates (no UTF-8) goes out as none: it would make the whole snapshot malformed
      alias: e.alias != null && isUnicode(e.alias) ? e.alias : ''
    }))
  })
}

type Rejected = Extract<ContactSnapshotResult, { ok: false }>
const reject = (reason: ContactSyncRejectReason, detail?: string): Rejected => ({ ok: false, reason, detail })

/** Opens a snapshot (§14.10's checks, in order); a snapshot with one bad entry is refused whole. */
export function decodeContactSnapshot (bytes: Uint8Array): ContactSnapshotResult {
  if (bytes.byteLength > MAX_CONTACT_SNAPSHOT_BYTES) return reject('oversize')
  const outer = scanMessage(bytes, CONTACT_SNAPSHOT_RULES)
  if (!outer.ok) return reject('malformed', outer.problem)
  const raw = (outer.fields.get(1) ?? []) as Uint8Array[]
  if (raw.length > MAX_CONTACT_SYNC_ENTRIES) return reject('invalid-field', `${raw.length} entries`)
  const entries: ContactSyncEntry[] = []
  const seen = new Set<string>()
  for (const [i, b] of raw.entries()) {
    if (b.byteLength > MAX_CONTACT_ENTRY_BYTES) return reject('oversize', `entry ${i}`)
    const scan = scanMessage(b, CONTACT_ENTRY_RULES)
    if (!scan.ok) return reject('malformed', `entry ${i}: ${scan.problem}`)
    const pb = ContactEntryPb.decode(b)
    const contact = ed25519PeerOf(pb.contact)
    const by = ed25519PeerOf(pb.changedBy)
    const devices = pb.devices.map(d => ed25519PeerOf(d))
    if (contact == null || by == null) return reject('invalid-field', `entry ${i}: contact or changed_by`)
    if (pb.changedAt < 1n || pb.changedAt > BigInt(MAX_TIME_MS)) return reject('invalid-field', `entry ${i}: changed_at`)
    if (devices.length > MAX_DEVICES || devices.some(d => d == null)) return reject('invalid-field', `entry ${i}: devices`)
    if ([...pb.alias].length > MAX_SYNC_ALIAS_CHARS) return reject('invalid-field', `entry ${i}: alias`)
    const id = contact.toString()
    if (seen.has(id)) return reject('invalid-field', `entry ${i}: contact twice`)
    seen.add(id)
    const entry: ContactSyncEntry = {
      contact: id,
      isContact: pb.isContact,
      blocked: pb.blocked,
      changedAt: Number(pb.changedAt),
      changedBy: by.toString(),
      devices: [...new Set(devices.map(d => String(d)))]
    }
    if (pb.alias !== '') entry.alias = pb.alias
    entries.push(entry)
  }
  const whereabouts = decodeWhereabouts((outer.fields.get(2) ?? []) as Uint8Array[])
  if (!Array.isArray(whereabouts)) return whereabouts
  return { ok: true, entries, whereabouts }
}

function decodeWhereabouts (raw: Uint8Array[]): Whereabouts[] | Rejected {
  if (raw.length > MAX_WHEREABOUTS) return reject('invalid-field', `${raw.length} whereabouts`)
  const out: Whereabouts[] = []
  const seen = new Set<string>()
  for (const [i, b] of raw.entries()) {
    if (b.byteLength > MAX_WHEREABOUTS_BYTES) return reject('oversize', `whereabouts ${i}`)
    const scan = scanMessage(b, WHEREABOUTS_RULES)
    if (!scan.ok) return reject('malformed', `whereabouts ${i}: ${scan.problem}`)
    const pb = WhereaboutsPb.decode(b)
    const peer = ed25519PeerOf(pb.peer)?.toString()
    if (peer == null) return reject('invalid-field', `whereabouts ${i}: peer`)
    if (pb.addrs.length === 0 || pb.addrs.length > MAX_LOCATOR_ADDRS || pb.addrs.some(a => a.byteLength === 0 || a.byteLength > MAX_LOCATOR_ADDR_BYTES)) return reject('invalid-field', `whereabouts ${i}: addrs`)
    if (seen.has(peer)) return reject('invalid-field', `whereabouts ${i}: peer twice`)
    seen.add(peer)
    out.push({ peer, addrs: pb.addrs })
  }
  return out
}

/**
 * The parts of a backup (version 2, docs/backup.md) beyond identity and
 * roster: this device's place among its person's devices (the signed list,
 * its certificate, its role) and the groups it is in (what rejoining needs:
 * each group's settings, op log, feed positions with the last entry of every
 * feed, the sender keys it holds and its own). Read from a home's datastore,
 * checked when a backup is read back, and written into a home on restore.
 */
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { openDeviceCertificate } from '../../protocol/device-cert.js'
import { openDeviceList } from '../../protocol/device-list.js'
import { DeviceStore } from '../devices/device-store.js'
import { GroupStore, pad } from '../groups/group-store.js'
import { BackupError } from './errors.js'
import type { GroupMeta } from '../groups/group-store.js'
import type { Datastore } from 'interface-datastore'

/** first: this device's key is the person key (it links and revokes); linked: a device the person key certified. */
export type DeviceRole = 'first' | 'linked'

export interface BackupDevices {
  role: DeviceRole
  /** Base64 of the person's signed device list (§14.3) as this device held it. */
  list: string
  /** Base64 of this device's certificate (§14.2). */
  certificate: string
}

export interface BackupGroup {
  meta: GroupMeta
  /** Op id -> base64 of the signed op (the whole log). */
  ops: Record<string, string>
  /** Author -> the next feed seq this node expects. */
  positions: Record<string, number>
  /** Author -> base64 of the last entry of their feed held (so the next one's link to it is checked). */
  tips: Record<string, string>
  /** `author/keyId` -> base64 of a sender key this node holds. */
  keys: Record<string, string>
  /** This node's own sender key of the group. */
  ownKey?: { keyId: string, key: string, recipients: string[] }
}

const b64 = (bytes: Uint8Array): string => uint8ArrayToString(bytes, 'base64')
const unb64 = (s: string): Uint8Array => uint8ArrayFromString(s, 'base64')
const corrupt = (what: string): BackupError => new BackupError('corrupt', `the backup's ${what} is not valid`)

/** This device's devices state from a home's datastore; undefined before the node's first start made a list. */
export async function readDevices (datastore: Datastore, peerId: string): Promise<BackupDevices | undefined> {
  const own = await new DeviceStore(datastore).loadOwn()
  if (own == null) return undefined
  const opened = openDeviceList(own.list)
  if (!opened.ok) return undefined
  return { role: opened.list.person.toString() === peerId ? 'first' : 'linked', list: b64(own.list), certificate: b64(own.certificate) }
}

/** Every group this node is in or was in, as much as rejoining needs (not the history: export has that). */
export async function readGroups (datastore: Datastore): Promise<BackupGroup[]> {
  const store = new GroupStore(datastore)
  const out: BackupGroup[] = []
  for await (const [id, meta] of store.meta.entries()) {
    const ops: Record<string, string> = {}
    for await (const [opId, bytes] of store.ops.within(id).entries()) ops[opId] = b64(bytes)
    const positions = Object.fromEntries(await store.positions.within(id).all())
    const tips: Record<string, string> = {}
    for (const [author, next] of Object.entries(positions)) {
      const last = next > 1 ? await store.feeds.within(id).within(author).get(pad(next - 1)) : undefined
      if (last != null) tips[author] = b64(last)
    }
    const keys: Record<string, string> = {}
    for await (const [path, key] of store.keys.within(id).entries()) keys[path] = b64(key)
    const own = await store.ownKeys.get(id)
    out.push({ meta, ops, positions, tips, keys, ...(own != null ? { ownKey: { keyId: b64(own.keyId), key: b64(own.key), recipients: own.recipients } } : {}) })
  }
  return out
}

/** Throws unless `d` is the devices state of `peerId`: a list that opens, a certificate of this device by that list's person, the role they say. */
export function checkDevices (d: unknown, peerId: string): asserts d is BackupDevices {
  const v = d as Partial<BackupDevices> | null
  if (typeof v !== 'object' || v == null || (v.role !== 'first' && v.role !== 'linked') || typeof v.list !== 'string' || typeof v.certificate !== 'string') throw corrupt('device state')
  let list, cert
  try {
    list = openDeviceList(unb64(v.list))
    cert = list.ok ? openDeviceCertificate(unb64(v.certificate), { expectedPerson: list.list.person, expectedDevice: peerId }) : undefined
  } catch {
    throw corrupt('device state')
  }
  if (!list.ok) throw corrupt(`device list (${list.reason})`)
  if (cert == null || !cert.ok) throw corrupt(`device certificate (${cert?.reason ?? 'unreadable'})`)
  if ((list.list.person.toString() === peerId) !== (v.role === 'first')) throw corrupt('device role')
}

const isRecordOf = (v: unknown, ok: (x: unknown) => boolean): boolean =>
  typeof v === 'object' && v != null && !Array.isArray(v) && Object.entries(v).every(([k, x]) => k !== '' && !k.startsWith('/') && ok(x))
const isB64 = (x: unknown): boolean => typeof x === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(x)
const isCount = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0

/** Throws unless every group is well formed (the ops themselves are checked again by the node when it loads them). */
export function checkGroups (groups: unknown): asserts groups is BackupGroup[] {
  if (!Array.isArray(groups)) throw corrupt('group list')
  for (const g of groups as Array<Partial<BackupGroup>>) {
    const m = g?.meta
    const ok = typeof m === 'object' && m != null && typeof m.id === 'string' && /^[0-9a-f]{32}$/.test(m.id) && typeof m.root === 'string' &&
      isCount(m.lamport) && isCount(m.delivered) && isCount(m.joinedAt) &&
      isRecordOf(g.ops, isB64) && isRecordOf(g.positions, isCount) && isRecordOf(g.tips, isB64) &&
      isRecordOf(g.keys, x => isB64(x)) && Object.keys(g.keys ?? {}).every(k => k.split('/').length === 2) &&
      (g.ownKey == null || (isB64(g.ownKey.keyId) && isB64(g.ownKey.key) && Array.isArray(g.ownKey.recipients) && g.ownKey.recipients.every(r => typeof r === 'string')))
    if (!ok) throw corrupt('group list')
  }
}

/**
 * Writes the devices state into a home unless the home holds a list of the
 * same person at least as new (a restore never goes back to an older list,
 * and never swaps the person).
 */
export async function restoreDevices (datastore: Datastore, d: BackupDevices): Promise<boolean> {
  const store = new DeviceStore(datastore)
  const held = await store.loadOwn()
  const list = unb64(d.list)
  if (held != null) {
    const mine = openDeviceList(held.list)
    const theirs = openDeviceList(list)
    if (mine.ok && theirs.ok && (!mine.list.person.equals(theirs.list.person) || mine.list.epoch >= theirs.list.epoch)) return false
  }
  await store.saveOwn({ list, certificate: unb64(d.certificate) })
  return true
}

/** Writes each group the home does not know yet; a group it knows keeps what it has (as new or newer). Returns how many were written. */
export async function restoreGroups (datastore: Datastore, groups: BackupGroup[]): Promise<number> {
  const store = new GroupStore(datastore)
  const fresh: BackupGroup[] = []
  for (const g of groups) if (!await store.meta.has(g.meta.id)) fresh.push(g)
  if (fresh.length === 0) return 0
  await store.store.write((tx) => {
    for (const g of fresh) {
      const id = g.meta.id
      store.meta.put(tx, id, g.meta)
      for (const [opId, bytes] of Object.entries(g.ops)) store.ops.within(id).put(tx, opId, unb64(bytes))
      for (const [author, next] of Object.entries(g.positions)) {
        store.positions.within(id).put(tx, author, next)
        const tip = g.tips[author]
        if (tip != null && next > 1) store.feeds.within(id).within(author).put(tx, pad(next - 1), unb64(tip))
      }
      for (const [path, key] of Object.entries(g.keys)) {
        const [author, keyId] = path.split('/')
        store.putKey(tx, id, author, keyId, unb64(key))
      }
      if (g.ownKey != null) store.ownKeys.put(tx, id, { keyId: unb64(g.ownKey.keyId), key: unb64(g.ownKey.key), recipients: g.ownKey.recipients })
    }
  })
  return fresh.length
}

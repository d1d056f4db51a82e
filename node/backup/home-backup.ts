/**
 * What a backup holds (identity and contacts: the roster, with names, views,
 * blocks and mutes, and the visibility; from version 2 also this device's
 * place among its person's devices and the groups it is in, home-state.ts),
 * how it is checked when read back, and how it is restored into a home.
 * Chat history is not in it: `export` writes that out in the clear, for
 * reading. Version 1 backups are still read and restored.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { openDatastore } from '../datastore.js'
import { claimHome, ensureHome, IDENTITY_FILE, releaseHome } from '../home.js'
import { migrate } from '../migrations.js'
import { RosterStore, VISIBILITIES } from '../roster/index.js'
import { openBackupFile, sealBackupFile } from './backup-file.js'
import { BackupError } from './errors.js'
import { checkDevices, checkGroups, readDevices, readGroups, restoreDevices, restoreGroups } from './home-state.js'
import type { BackupDevices, BackupGroup } from './home-state.js'
import type { Person, VisibilitySetting } from '../roster/index.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

export const BACKUP_FORMAT = 'presence-mesh-backup'
/** The version written; every version from 1 up to it is read. */
export const BACKUP_VERSION = 2

export interface BackupContents {
  format: typeof BACKUP_FORMAT
  /** 1: identity and roster only; 2: also `devices` (absent before a first start made a list) and `groups`. */
  version: 1 | 2
  createdAt: number
  peerId: string
  /** Base64 of the identity key in libp2p's protobuf encoding (as identity.key holds it). */
  identity: string
  people: Person[]
  visibility: VisibilitySetting
  devices?: BackupDevices
  groups?: BackupGroup[]
}

/** A backup of the node with `privateKey`, its roster, and what its datastore holds of devices and groups. */
export async function backupOf (privateKey: PrivateKey, people: Person[], visibility: VisibilitySetting, datastore: Datastore): Promise<BackupContents> {
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const devices = await readDevices(datastore, peerId)
  return {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt: Date.now(),
    peerId,
    identity: uint8ArrayToString(privateKeyToProtobuf(privateKey), 'base64'),
    people,
    visibility,
    ...(devices != null ? { devices } : {}),
    groups: await readGroups(datastore)
  }
}

export async function encryptBackup (contents: BackupContents, passphrase: string, cost?: { log2N?: number }): Promise<Uint8Array> {
  return await sealBackupFile(new TextEncoder().encode(JSON.stringify(contents)), passphrase, cost)
}

export async function decryptBackup (file: Uint8Array, passphrase: string): Promise<BackupContents> {
  const plain = await openBackupFile(file, passphrase)
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain))
  } catch {
    throw new BackupError('corrupt', 'the backup decrypted but holds no readable contents')
  }
  checkBackup(json)
  return json
}

const corrupt = (what: string): BackupError => new BackupError('corrupt', `the backup's ${what} is not valid`)
const isPeerId = (s: unknown): boolean => {
  if (typeof s !== 'string') return false
  try { peerIdFromString(s); return true } catch { return false }
}

/** Throws unless `json` is a backup this version can restore (the key matches the peer id, every person is well-formed). */
export function checkBackup (json: unknown): asserts json is BackupContents {
  const b = json as Partial<BackupContents> | null
  if (typeof b !== 'object' || b == null || b.format !== BACKUP_FORMAT) throw new BackupError('not-a-backup', 'not a presence-mesh backup')
  if (b.version !== 1 && b.version !== 2) throw new BackupError('unsupported-version', `backup contents version ${String(b.version)} is not one this version reads (1 to ${BACKUP_VERSION}); a newer presence-mesh made it`)
  if (typeof b.identity !== 'string' || typeof b.peerId !== 'string') throw corrupt('identity')
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(uint8ArrayFromString(b.identity, 'base64'))
  } catch {
    throw corrupt('identity')
  }
  if (key.type !== 'Ed25519' || peerIdFromPrivateKey(key).toString() !== b.peerId) throw corrupt('identity')
  if (!Array.isArray(b.people)) throw corrupt('contact list')
  for (const p of b.people) {
    const ok = typeof p === 'object' && p != null && isPeerId(p.id) && Array.isArray(p.devices) && p.devices.every(isPeerId) &&
      typeof p.watched === 'boolean' && (p.alias == null || typeof p.alias === 'string') &&
      (p.contact == null || (typeof p.contact.since === 'number' && (p.contact.view === 'full' || p.contact.view === 'status'))) &&
      (p.blockedSince == null || typeof p.blockedSince === 'number') && (p.muted == null || typeof p.muted === 'boolean')
    if (!ok) throw corrupt('contact list')
  }
  const v = b.visibility
  if (v == null || !VISIBILITIES.includes(v.mode) || !Array.isArray(v.allow) || !v.allow.every(isPeerId)) throw corrupt('visibility')
  if (b.version === 1) {
    if (b.devices != null || b.groups != null) throw corrupt('contents (version 1 holds no devices or groups)')
    return
  }
  if (b.devices != null) checkDevices(b.devices, b.peerId)
  checkGroups(b.groups)
}

/**
 * Restores a backup into `home`: the identity key (unless the home already
 * holds it; a different identity is refused, never overwritten) and every
 * person of the backup, over what the home knew of them. No node may run on
 * the home meanwhile.
 */
export async function restoreBackup (home: string, contents: BackupContents): Promise<{ peerId: string, people: number, createdIdentity: boolean, devices?: DeviceRestore, groups: number }> {
  checkBackup(contents)
  await ensureHome(home)
  const file = path.join(home, IDENTITY_FILE)
  let createdIdentity = false
  try {
    await fs.writeFile(file, uint8ArrayFromString(contents.identity, 'base64'), { mode: 0o600, flag: 'wx' })
    createdIdentity = true
  } catch (err: any) {
    if (err.code !== 'EEXIST') throw err
    let existing: string
    try {
      existing = peerIdFromPrivateKey(privateKeyFromProtobuf(await fs.readFile(file))).toString()
    } catch {
      throw new BackupError('other-identity', `${file} exists and is not readable as an identity key; move it away to restore`)
    }
    if (existing !== contents.peerId) {
      throw new BackupError('other-identity', `${home} holds another identity (${existing}); restore into a new home, or move ${file} away first`)
    }
  }
  await claimHome(home)
  let devices: DeviceRestore | undefined
  let groups = 0
  try {
    const ds = await openDatastore(home)
    try {
      await migrate(ds)
      const roster = await RosterStore.open(ds)
      await roster.store.write((tx) => {
        for (const p of contents.people) roster.stagePerson(tx, p.id, p)
        roster.stageVisibility(tx, contents.visibility)
      })
      if (contents.devices != null) devices = { role: contents.devices.role, written: await restoreDevices(ds, contents.devices) }
      groups = await restoreGroups(ds, contents.groups ?? [])
    } finally {
      await ds.close()
    }
  } finally {
    await releaseHome(home)
  }
  return { peerId: contents.peerId, people: contents.people.length, createdIdentity, ...(devices != null ? { devices } : {}), groups }
}

/** What a restore did with the device state: its role, and whether it was written (false: the home held a list as new). */
export interface DeviceRestore {
  role: BackupDevices['role']
  written: boolean
}

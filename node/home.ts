/**
 * The node's home directory: identity key, datastore, config and the runtime
 * file that marks a running node.
 */
import { constants as fsc } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { ed25519PublicKeyOfSeed } from '../protocol/ed25519-fast.js'
import { AlreadyRunningError, HomeError, IdentityError } from './errors.js'
import type { PrivateKey } from '@libp2p/interface'

export const HOME_ENV = 'PRESENCE_MESH_HOME'
export const IDENTITY_FILE = 'identity.key'
export const RUNTIME_FILE = 'node.json'
export const DATASTORE_DIR = 'datastore'
/** Own group texts between their publishing and their commit (node/groups/own-journal.ts). */
export const GROUP_JOURNAL_FILE = 'group-journal'

export const groupJournalPath = (home: string): string => path.join(home, GROUP_JOURNAL_FILE)

export function resolveHome (flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env[HOME_ENV] ?? path.join(os.homedir(), '.presence-mesh')
  return path.resolve(chosen)
}

export async function ensureHome (home: string): Promise<void> {
  try {
    await fs.mkdir(home, { recursive: true, mode: 0o700 })
  } catch (err: any) {
    if (err.code === 'EEXIST' || err.code === 'ENOTDIR') throw new HomeError(home, 'not-a-directory', 'it is a file')
    if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS') throw new HomeError(home, 'unwritable', err.code)
    throw err
  }
}

/**
 * Loads the node's Ed25519 key, creating it on first run. A key file that
 * exists but cannot be used is an error: silently making a new identity would
 * cut the user off from every contact.
 */
export async function loadOrCreateIdentity (home: string): Promise<{ privateKey: PrivateKey, created: boolean }> {
  await ensureHome(home)
  const file = path.join(home, IDENTITY_FILE)
  let bytes: Uint8Array
  try {
    bytes = await fs.readFile(file)
  } catch (err: any) {
    if (err.code !== 'ENOENT') {
      throw new IdentityError(file, 'unreadable', err.code ?? err.message)
    }
    const privateKey = await generateKeyPair('Ed25519')
    try {
      // 'wx': never overwrite a key another process wrote in the meantime
      await fs.writeFile(file, privateKeyToProtobuf(privateKey), { mode: 0o600, flag: 'wx' })
    } catch (e: any) {
      if (e.code === 'EEXIST') return await loadOrCreateIdentity(home)
      throw new IdentityError(file, 'unwritable', e.code ?? e.message)
    }
    return { privateKey, created: true }
  }
  const stat = await fs.stat(file)
  if ((stat.mode & 0o077) !== 0) {
    throw new IdentityError(file, 'exposed', `readable by other users (mode ${(stat.mode & 0o777).toString(8)}); run: chmod 600 ${file}`)
  }
  try {
    const privateKey = privateKeyFromProtobuf(bytes)
    if (privateKey.type !== 'Ed25519') throw new Error(`key type ${privateKey.type}, expected Ed25519`)
    // the public half is stored beside the seed: one that does not belong to it would sign nothing valid
    if (!uint8ArrayEquals(ed25519PublicKeyOfSeed(privateKey.raw.subarray(0, 32)), privateKey.publicKey.raw)) throw new Error('its public key does not match its seed')
    return { privateKey, created: false }
  } catch (err: any) {
    throw new IdentityError(file, 'corrupt', `${err.message}; restore it from a backup or move it away to create a new identity`)
  }
}

export interface RuntimeInfo {
  pid: number
  peerId?: string
  addresses?: string[]
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    return err.code === 'EPERM'
  }
}

/** The running node on this home, if there is one (stale files are ignored). */
export async function readRuntime (home: string): Promise<RuntimeInfo | undefined> {
  try {
    const info = JSON.parse(await fs.readFile(path.join(home, RUNTIME_FILE), 'utf8')) as RuntimeInfo
    return Number.isInteger(info.pid) && info.pid !== process.pid && isAlive(info.pid) ? info : undefined
  } catch {
    return undefined
  }
}

/**
 * Claims the home for this process. A second node on the same home would
 * corrupt nothing (LevelDB locks too) but fail confusingly; say it plainly.
 */
export async function claimHome (home: string): Promise<void> {
  const running = await readRuntime(home)
  if (running != null) {
    throw new AlreadyRunningError(home, running.pid)
  }
  await writeRuntime(home, { pid: process.pid })
}

export async function writeRuntime (home: string, info: RuntimeInfo): Promise<void> {
  const file = path.join(home, RUNTIME_FILE)
  const tmp = `${file}.${process.pid}.tmp`
  await fs.writeFile(tmp, JSON.stringify(info), { mode: 0o600 })
  await fs.rename(tmp, file)
}

export async function releaseHome (home: string): Promise<void> {
  const file = path.join(home, RUNTIME_FILE)
  try {
    const info = JSON.parse(await fs.readFile(file, 'utf8')) as RuntimeInfo
    if (info.pid === process.pid) await fs.rm(file)
  } catch {}
}

export async function fileExists (file: string): Promise<boolean> {
  try {
    await fs.access(file, fsc.F_OK)
    return true
  } catch {
    return false
  }
}

/** The peer id of a home's identity (created on first use), and whether it was just created. */
export async function identityOf (home: string): Promise<{ peerId: string, created: boolean }> {
  const { privateKey, created } = await loadOrCreateIdentity(home)
  return { peerId: peerIdFromPrivateKey(privateKey).toString(), created }
}

/**
 * What a person keeps outside the node: history exported for reading, and
 * an encrypted backup of identity and contacts (docs/backup.md). These work
 * whether or not a node runs on the home: through its control socket if one
 * does, else by opening the home directly (without going online).
 */
import fs from 'node:fs/promises'
import { decryptBackup, encryptBackup, MIN_PASSPHRASE_CHARS, NoRunningNodeError, OfflineHome, restoreBackup } from '../node/index.js'
import { remoteNode } from './api.js'
import { UsageError } from './errors.js'
import { messageLine, shortId, stamp } from './format.js'
import { safe, safeJson } from './safe-text.js'
import { readSecret } from './secret.js'
import type { Api } from './api.js'
import type { BackupContents, ChatMessage, Person } from '../node/index.js'

/** What export and backup read, from a running node or from the home on disk. */
type Source = Pick<Api, 'people' | 'conversations' | 'history' | 'backup' | 'resolvePeer'>

async function withSource<T> (home: string, fn: (source: Source) => Promise<T>): Promise<T> {
  const remote = remoteNode(home)
  try {
    await remote.people()
  } catch (err: any) {
    if (err?.name !== NoRunningNodeError.name) throw err
    const offline = await OfflineHome.open(home)
    try {
      return await fn({
        people: () => offline.people(),
        conversations: async () => await offline.conversations(),
        history: async (peer, limit) => await offline.history(peer.toString(), limit),
        backup: async () => await offline.backup(),
        resolvePeer: (word) => {
          const named = offline.people().find(p => p.alias === word)
          return named?.id ?? offline.person(word.toString())?.id ?? word.toString()
        }
      })
    } finally {
      await offline.close()
    }
  }
  return await fn(remote)
}

/** Writes `text` to a new file only its owner can read. */
async function output (text: string, file: string, force: boolean): Promise<void> {
  try {
    await fs.writeFile(file, text, { mode: 0o600, flag: force ? 'w' : 'wx' })
  } catch (err: any) {
    if (err.code === 'EEXIST') throw new UsageError(`${file} exists; choose another file or add --force`)
    throw new UsageError(`cannot write ${file}: ${err.code ?? err.message}`)
  }
}

export interface ExportOptions { json?: boolean, out?: string, force?: boolean }

/** The history of one conversation or all, as text (dated lines) or JSON: into `opts.out`, or returned for standard output. */
export async function exportHistory (home: string, who: string | undefined, opts: ExportOptions): Promise<{ text?: string, said?: string }> {
  return await withSource(home, async (source) => {
    const people = new Map((await source.people()).map((p: Person) => [p.id, p]))
    const nameOf = (peer: string): string => people.get(peer)?.alias ?? shortId(peer)
    const peers = who != null ? [await source.resolvePeer(who)] : await source.conversations()
    const conversations: Array<{ peer: string, name: string, messages: ChatMessage[] }> = []
    for (const peer of peers) conversations.push({ peer, name: nameOf(peer), messages: await source.history(peer) })
    const total = conversations.reduce((n, c) => n + c.messages.length, 0)
    let text: string
    if (opts.json === true) {
      text = safeJson({ exportedAt: Date.now(), conversations }, 2) + '\n'
    } else {
      // a file is read later: every line carries its date (`now` 0 is never today)
      text = conversations.map(c => [`# ${safe(c.name)} (${c.peer}): ${c.messages.length} message(s)`,
        ...c.messages.map(m => messageLine(m, safe(c.name), undefined, 0))].join('\n')).join('\n\n') + '\n'
    }
    if (opts.out == null) return { text }
    await output(text, opts.out, opts.force === true)
    return { said: `exported ${total} message(s) of ${conversations.length} conversation(s) to ${opts.out}` }
  })
}

/** Where passphrases come from: the terminal (cli/secret.ts), or a test. */
export interface Secrets {
  read: (prompt: string) => Promise<string>
  /** Asked twice on a terminal, so a typing slip does not lock the backup away. */
  confirm: boolean
}

export const terminalSecrets = (): Secrets => ({ read: readSecret, confirm: process.stdin.isTTY === true })

async function newPassphrase (secrets: Secrets): Promise<string> {
  const first = await secrets.read(`passphrase for the backup (at least ${MIN_PASSPHRASE_CHARS} characters): `)
  if (secrets.confirm && await secrets.read('the same passphrase again: ') !== first) throw new UsageError('the two passphrases differ; nothing was written')
  return first
}

/** scrypt takes a moment: a progress line meanwhile. */
async function whileDeriving<T> (progress: (label: string) => () => void, fn: () => Promise<T>): Promise<T> {
  const done = progress('deriving the key from the passphrase (scrypt)')
  try {
    return await fn()
  } finally {
    done()
  }
}

/** Writes an encrypted backup of identity and contacts to `file`. */
export async function backup (home: string, file: string, force: boolean, progress: (label: string) => () => void, secrets: Secrets = terminalSecrets()): Promise<string> {
  // said before a passphrase is asked for, not after
  if (!force && await fs.stat(file).then(() => true, () => false)) throw new UsageError(`${file} exists; choose another file or add --force`)
  const contents: BackupContents = await withSource(home, async (source) => await source.backup())
  const passphrase = await newPassphrase(secrets)
  const sealed = await whileDeriving(progress, async () => await encryptBackup(contents, passphrase))
  try {
    await fs.writeFile(file, sealed, { mode: 0o600, flag: force ? 'w' : 'wx' })
  } catch (err: any) {
    if (err.code === 'EEXIST') throw new UsageError(`${file} exists; choose another file or add --force`)
    throw new UsageError(`cannot write ${file}: ${err.code ?? err.message}`)
  }
  const contacts = contents.people.filter(p => p.contact != null).length
  const devices = contents.devices == null ? '' : ` and the device list of ${contents.devices.role === 'first' ? 'the first device (it holds the person key)' : 'a linked device'}`
  return `backed up identity ${shortId(contents.peerId)}, ${contacts} contact(s), ${contents.people.length - contacts} other people, ${contents.groups?.length ?? 0} group(s)${devices} to ${file}; without the passphrase nobody can open it, you included`
}

/** Restores identity and contacts from a backup into `home` (no node may run on it). */
export async function restore (home: string, file: string, progress: (label: string) => () => void, secrets: Secrets = terminalSecrets()): Promise<string> {
  let bytes: Uint8Array
  try {
    bytes = await fs.readFile(file)
  } catch (err: any) {
    throw new UsageError(`cannot read ${file}: ${err.code ?? err.message}`)
  }
  const passphrase = await secrets.read('passphrase of the backup: ')
  const contents = await whileDeriving(progress, async () => await decryptBackup(bytes, passphrase))
  const r = await restoreBackup(home, contents)
  const devices = r.devices == null ? '' : r.devices.written ? `, as ${r.devices.role === 'first' ? 'the first device' : 'a linked device'} with its device list` : ', keeping the newer device list the home held'
  return `restored ${r.createdIdentity ? 'identity' : 'the contacts of identity'} ${shortId(r.peerId)} (backup of ${stamp(contents.createdAt, 0)}) with ${r.people} people and ${r.groups} group(s)${devices} into ${home}; presence-mesh start runs it`
}

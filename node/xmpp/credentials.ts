/**
 * The owner's XMPP password: one line in `<home>/xmpp-password`, mode 0600,
 * made on first use. `presence-mesh xmpp-password` prints it or rotates it;
 * a running endpoint reads the file at every login, so a rotated password
 * counts from the next login on.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { ensureHome } from '../home.js'
import { PASSWORD_CHARS, PASSWORD_FILE } from './constants.js'
import { XmppPasswordError } from './errors.js'

export const passwordFile = (home: string): string => path.join(home, PASSWORD_FILE)

const newPassword = (): string => randomBytes(Math.ceil(PASSWORD_CHARS * 3 / 4)).toString('base64url').slice(0, PASSWORD_CHARS)

/** The password in the file, or undefined when there is none yet. */
export async function readPassword (home: string): Promise<string | undefined> {
  const file = passwordFile(home)
  let handle: fs.FileHandle
  try {
    handle = await fs.open(file, 'r')
  } catch (err: any) {
    if (err.code === 'ENOENT') return undefined
    throw new XmppPasswordError(file, 'unreadable', err.code ?? err.message)
  }
  try {
    const stat = await handle.stat()
    if ((stat.mode & 0o077) !== 0) {
      throw new XmppPasswordError(file, 'exposed', `readable by other users (mode ${(stat.mode & 0o777).toString(8)}); run: chmod 600 ${file}, then presence-mesh xmpp-password --rotate`)
    }
    const password = (await handle.readFile('utf8')).split(/\r?\n/)[0]
    if (password === '') throw new XmppPasswordError(file, 'empty', 'run: presence-mesh xmpp-password --rotate')
    return password
  } finally {
    await handle.close()
  }
}

async function writePassword (home: string, password: string, overwrite: boolean): Promise<void> {
  await ensureHome(home)
  const file = passwordFile(home)
  if (!overwrite) {
    // 'wx': never replace a password another process wrote meanwhile
    await fs.writeFile(file, password + '\n', { mode: 0o600, flag: 'wx' })
    return
  }
  const tmp = `${file}.${process.pid}.tmp`
  await fs.writeFile(tmp, password + '\n', { mode: 0o600 })
  await fs.rename(tmp, file)
}

/** The password, made on first use. */
export async function ensurePassword (home: string): Promise<string> {
  const existing = await readPassword(home)
  if (existing != null) return existing
  try {
    await writePassword(home, newPassword(), false)
  } catch (err: any) {
    if (err.code !== 'EEXIST') throw new XmppPasswordError(passwordFile(home), 'unreadable', err.code ?? err.message)
  }
  return await ensurePassword(home)
}

/** What `presence-mesh xmpp-password` does: print the password (made if missing) or replace it. */
export async function xmppPassword (home: string, options: { rotate?: boolean } = {}): Promise<{ password: string, file: string, rotated: boolean }> {
  const file = passwordFile(home)
  if (options.rotate !== true) return { password: await ensurePassword(home), file, rotated: false }
  const password = newPassword()
  try {
    await writePassword(home, password, true)
  } catch (err: any) {
    throw new XmppPasswordError(file, 'unreadable', err.code ?? err.message)
  }
  return { password, file, rotated: true }
}

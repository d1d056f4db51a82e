import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AlreadyRunningError, IdentityError } from '../../node/errors.js'
import { IDENTITY_FILE, loadOrCreateIdentity, resolveHome } from '../../node/home.js'
import { cleanupHomes, startNode, tmpHome } from '../helpers.js'

afterAll(cleanupHomes)

describe('identity', () => {
  it('is created once with mode 0600 and reloaded unchanged', async () => {
    const home = await tmpHome()
    const first = await loadOrCreateIdentity(home)
    const second = await loadOrCreateIdentity(home)
    expect(first.created).toBe(true)
    expect(second.created).toBe(false)
    expect(second.privateKey.equals(first.privateKey)).toBe(true)
    expect((await fs.stat(path.join(home, IDENTITY_FILE))).mode & 0o777).toBe(0o600)
  })

  it('refuses a corrupt key file instead of making a new identity', async () => {
    const home = await tmpHome()
    await fs.writeFile(path.join(home, IDENTITY_FILE), 'not a key', { mode: 0o600 })
    await expect(loadOrCreateIdentity(home)).rejects.toThrow(IdentityError)
    expect(await fs.readFile(path.join(home, IDENTITY_FILE), 'utf8')).toBe('not a key')
  })

  it('refuses a key file whose public half does not belong to its seed', async () => {
    const home = await tmpHome()
    await loadOrCreateIdentity(home)
    const file = path.join(home, IDENTITY_FILE)
    const bytes = await fs.readFile(file)
    // 08 01 12 40 || seed (32) || public key (32): flip a bit of the public key
    bytes[bytes.length - 1] ^= 1
    await fs.writeFile(file, bytes, { mode: 0o600 })
    await expect(loadOrCreateIdentity(home)).rejects.toMatchObject({ name: 'IdentityError', problem: 'corrupt' })
  })

  it('refuses a key file other users can read', async () => {
    const home = await tmpHome()
    await loadOrCreateIdentity(home)
    await fs.chmod(path.join(home, IDENTITY_FILE), 0o644)
    await expect(loadOrCreateIdentity(home)).rejects.toThrow(/readable by other users/)
  })

  it('resolves the home from flag, then environment, then ~/.presence-mesh', () => {
    expect(resolveHome('/a', { PRESENCE_MESH_HOME: '/b' })).toBe('/a')
    expect(resolveHome(undefined, { PRESENCE_MESH_HOME: '/b' })).toBe('/b')
    expect(resolveHome(undefined, {})).toMatch(/\.presence-mesh$/)
  })
})

describe('home', () => {
  it('allows one running node per home and keeps the peer id across restarts', async () => {
    const home = await tmpHome()
    const node = await startNode({ home })
    const id = node.peerId.toString()
    await expect(startNode({ home })).rejects.toThrow(AlreadyRunningError)
    await node.stop()
    const again = await startNode({ home })
    expect(again.peerId.toString()).toBe(id)
    await again.stop()
  })
})

/**
 * The encrypted backup: the format as docs/backup.md writes it (the key is
 * checked against Node's own scrypt, OpenSSL's), refusals, and a restore
 * that brings back the identity and contacts of a real node.
 */
import crypto from 'node:crypto'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { afterAll, describe, expect, it } from 'vitest'
import { openBackupFile, sealBackupFile } from '../../node/backup/backup-file.js'
import { decryptBackup, encryptBackup, restoreBackup } from '../../node/backup/home-backup.js'
import { identityOf } from '../../node/home.js'
import { OfflineHome } from '../../node/offline-home.js'
import { cleanupHomes, startNode, tmpHome } from '../helpers.js'

afterAll(cleanupHomes)

const PASS = 'correct horse battery'
/** The documented cost is tested once (the layout test); elsewhere a cheap one keeps the suite fast. */
const CHEAP = { log2N: 10 }

describe('backup file', () => {
  it('is laid out as documented: header, scrypt key, XChaCha20-Poly1305 with the header as associated data', async () => {
    const plain = new TextEncoder().encode('{"hello":"world"}')
    const file = await sealBackupFile(plain, PASS)
    expect(Buffer.from(file.subarray(0, 8)).toString('ascii')).toBe('PMBACKUP')
    expect([...file.subarray(8, 13)]).toEqual([1, 1, 17, 8, 1])
    const salt = file.subarray(13, 29)
    const nonce = file.subarray(29, 53)
    // an independent scrypt (Node's, OpenSSL) derives the same key
    const key = crypto.scryptSync(Buffer.from(PASS.normalize('NFKC')), salt, 32, { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 })
    expect(new TextDecoder().decode(xchacha20poly1305(key, nonce, file.subarray(0, 53)).decrypt(file.subarray(53)))).toBe('{"hello":"world"}')
    expect(await openBackupFile(file, PASS)).toEqual(plain)
  })

  it('refuses a wrong passphrase, any changed byte, a short passphrase, and what is no backup', async () => {
    const file = await sealBackupFile(new Uint8Array([1, 2, 3]), PASS, CHEAP)
    await expect(openBackupFile(file, 'wrong passphrase')).rejects.toMatchObject({ name: 'BackupError', problem: 'wrong-passphrase' })
    for (const at of [12, 20, 40, file.length - 1]) {
      const bad = Uint8Array.from(file)
      bad[at] ^= 1
      // byte 12 is scrypt p: another key; the others: the tag fails
      await expect(openBackupFile(bad, PASS)).rejects.toMatchObject({ name: 'BackupError' })
    }
    const costly = Uint8Array.from(file)
    costly[10] = 30 // 2^30 · 128 · r bytes: refused before any work
    await expect(openBackupFile(costly, PASS)).rejects.toMatchObject({ problem: 'not-a-backup' })
    await expect(sealBackupFile(new Uint8Array(1), 'short', CHEAP)).rejects.toMatchObject({ problem: 'weak-passphrase' })
    await expect(openBackupFile(new TextEncoder().encode('hello, not a backup at all, certainly not one'), PASS)).rejects.toMatchObject({ problem: 'not-a-backup' })
  })
})

describe('backup and restore of a node', () => {
  it('brings identity, contacts, names, blocks and mutes back into a new home; never over another identity', async () => {
    const alice = await startNode()
    const bob = await startNode()
    const carol = await startNode()
    const home = alice.home
    let file: Uint8Array
    try {
      await alice.roster.addContact(bob.peerId, { alias: 'bob' })
      await alice.setMuted(bob.peerId, true)
      await alice.block(carol.peerId)
      await alice.setVisibility('invisible', [bob.peerId.toString()])
      file = await encryptBackup(alice.backup(), PASS, CHEAP)
    } finally {
      await Promise.all([alice.stop(), bob.stop(), carol.stop()])
    }
    const contents = await decryptBackup(file, PASS)
    expect(contents.peerId).toBe(alice.peerId.toString())

    const fresh = await tmpHome('restored')
    const r = await restoreBackup(fresh, contents)
    expect(r).toMatchObject({ peerId: alice.peerId.toString(), createdIdentity: true })
    expect((await identityOf(fresh)).peerId).toBe(alice.peerId.toString())
    const restored = await startNode({ home: fresh })
    try {
      expect(restored.peerId.toString()).toBe(alice.peerId.toString())
      expect(restored.person(bob.peerId)).toMatchObject({ alias: 'bob', muted: true, contact: { view: 'full' } })
      expect(restored.isBlocked(carol.peerId)).toBe(true)
      expect(restored.visibility()).toEqual({ mode: 'invisible', allow: [bob.peerId.toString()] })
      // restoring while the node runs is refused
      await expect(restoreBackup(fresh, contents)).rejects.toMatchObject({ name: 'AlreadyRunningError' })
    } finally {
      await restored.stop()
    }
    // the same backup again merges; a home of another identity is never overwritten
    expect((await restoreBackup(fresh, contents)).createdIdentity).toBe(false)
    await expect(restoreBackup(home === fresh ? await tmpHome() : bob.home, contents)).rejects.toMatchObject({ name: 'BackupError', problem: 'other-identity' })
    // the offline reader sees the same
    const offline = await OfflineHome.open(fresh)
    try {
      expect(offline.backup().people.map(p => p.id).sort()).toEqual(contents.people.map(p => p.id).sort())
    } finally {
      await offline.close()
    }
  })

  it('refuses contents that do not hold together (key and peer id, people)', async () => {
    const a = await startNode()
    const contents = a.backup()
    await a.stop()
    const other = await startNode()
    const otherKey = other.backup().identity
    await other.stop()
    const swap = await encryptBackup({ ...contents, identity: otherKey }, PASS, CHEAP)
    await expect(decryptBackup(swap, PASS)).rejects.toMatchObject({ name: 'BackupError', problem: 'corrupt' })
    const badPeople = await encryptBackup({ ...contents, people: [{ id: 'nope' } as any] }, PASS, CHEAP)
    await expect(decryptBackup(badPeople, PASS)).rejects.toMatchObject({ problem: 'corrupt' })
  })
})

/**
 * The encrypted backup: the format as docs/backup.md writes it (the key is
 * checked against another scrypt, @noble's, than the product's, OpenSSL's), refusals, and a restore
 * that brings back the identity and contacts of a real node.
 */
import { scryptSync } from 'node:crypto'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { afterAll, describe, expect, it } from 'vitest'
import { openBackupFile, sealBackupFile } from '../../node/backup/backup-file.js'
import { decryptBackup, encryptBackup, restoreBackup } from '../../node/backup/home-backup.js'
import { identityOf } from '../../node/home.js'
import { OfflineHome } from '../../node/offline-home.js'
import { joinDevice } from '../../node/join-device.js'
import { cleanupHomes, makeContacts, startNode, tmpHome, waitFor } from '../helpers.js'
import type { BackupContents } from '../../node/backup/home-backup.js'
import type { PresenceNode } from '../../node/presence-node.js'

afterAll(cleanupHomes)

const PASS = 'correct horse battery'
/** The documented cost is sealed and opened once (the layout test); elsewhere a cheap one keeps the suite fast. */
const CHEAP = { log2N: 10 }

describe('backup file', () => {
  it('is laid out as documented: header, scrypt key, XChaCha20-Poly1305 with the header as associated data', async () => {
    const plain = new TextEncoder().encode('{"hello":"world"}')
    const file = await sealBackupFile(plain, PASS)
    expect(Buffer.from(file.subarray(0, 8)).toString('ascii')).toBe('PMBACKUP')
    expect([...file.subarray(8, 13)]).toEqual([1, 1, 17, 8, 1])
    // the documented cost's key: scrypt at N = 2^17, r = 8, p = 1 over the header's salt (Node's scrypt
    // here, about half a second: these are the parameters, the implementation is checked below)
    const documented = scryptSync(Buffer.from(PASS.normalize('NFKC')), file.subarray(13, 29), 32, { N: 2 ** 17, r: 8, p: 1, maxmem: 2 ** 28 + 2 ** 20 })
    expect(new TextDecoder().decode(xchacha20poly1305(documented, file.subarray(29, 53), file.subarray(0, 53)).decrypt(file.subarray(53)))).toBe('{"hello":"world"}')
    expect(await openBackupFile(file, PASS)).toEqual(plain)
    // an independent scrypt (@noble's; the product runs Node's, OpenSSL's) derives the key of a file
    // sealed at a cheap N, which its header carries as it carries 17 (@noble's scrypt at 2^17 took 2-4 s
    // of CPU alone and 8 s of a full run's wall)
    const cheap = await sealBackupFile(plain, PASS, CHEAP)
    expect([...cheap.subarray(8, 13)]).toEqual([1, 1, 10, 8, 1])
    const salt = cheap.subarray(13, 29)
    const nonce = cheap.subarray(29, 53)
    const key = await scryptAsync(new TextEncoder().encode(PASS.normalize('NFKC')), salt, { N: 2 ** 10, r: 8, p: 1, dkLen: 32 })
    expect(new TextDecoder().decode(xchacha20poly1305(key, nonce, cheap.subarray(0, 53)).decrypt(cheap.subarray(53)))).toBe('{"hello":"world"}')
    expect(await openBackupFile(cheap, PASS)).toEqual(plain)
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
      file = await encryptBackup(await alice.backup(), PASS, CHEAP)
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
      expect((await offline.backup()).people.map(p => p.id).sort()).toEqual(contents.people.map(p => p.id).sort())
    } finally {
      await offline.close()
    }
  })

  it('refuses contents that do not hold together (key and peer id, people)', async () => {
    const a = await startNode()
    const contents = await a.backup()
    await a.stop()
    const other = await startNode()
    const { identity: otherKey, devices: otherDevices } = await other.backup()
    await other.stop()
    const swap = await encryptBackup({ ...contents, identity: otherKey }, PASS, CHEAP)
    await expect(decryptBackup(swap, PASS)).rejects.toMatchObject({ name: 'BackupError', problem: 'corrupt' })
    const badPeople = await encryptBackup({ ...contents, people: [{ id: 'nope' } as any] }, PASS, CHEAP)
    await expect(decryptBackup(badPeople, PASS)).rejects.toMatchObject({ problem: 'corrupt' })

    // version 2: the device state must be this node's, in the role it says; groups a list
    expect(contents).toMatchObject({ version: 2, devices: { role: 'first' }, groups: [] })
    const refused = async (c: object, problem: string, message: RegExp): Promise<void> => {
      await expect(decryptBackup(await encryptBackup(c as BackupContents, PASS, CHEAP), PASS)).rejects.toMatchObject({ name: 'BackupError', problem, message: expect.stringMatching(message) })
    }
    await refused({ ...contents, devices: otherDevices }, 'corrupt', /device (list|certificate)/)
    await refused({ ...contents, devices: { ...contents.devices, role: 'linked' } }, 'corrupt', /device role/)
    await refused({ ...contents, devices: { ...contents.devices, list: 'AAAA' } }, 'corrupt', /device list/)
    await refused({ ...contents, groups: {} }, 'corrupt', /group list/)
    await refused({ ...contents, groups: [{ meta: { id: 'x' } }] }, 'corrupt', /group list/)
    await refused({ ...contents, version: 3 }, 'unsupported-version', /version 3 .*1 to 2/)
    await refused({ ...contents, version: 1 }, 'corrupt', /version 1 holds no devices/)

    // a version 1 backup (identity and roster only) still restores
    const { devices: _d, groups: _g, ...v1 } = contents
    const old = await decryptBackup(await encryptBackup({ ...v1, version: 1 }, PASS, CHEAP), PASS)
    const home = await tmpHome('restored-v1')
    expect(await restoreBackup(home, old)).toMatchObject({ peerId: contents.peerId, createdIdentity: true, groups: 0 })
    expect((await identityOf(home)).peerId).toBe(contents.peerId)
  })
})

describe('backup and restore of a device', () => {
  it('a restored first device keeps the person\'s other devices and its groups; a restored linked device stays linked', async () => {
    const laptop = await startNode({ home: await tmpHome('bk-laptop'), devices: { deviceName: 'laptop' } })
    const phoneHome = await tmpHome('bk-phone')
    await joinDevice((await laptop.linkCode()).code, { home: phoneHome, name: 'phone' })
    const phone = await startNode({ home: phoneHome })
    const carol = await startNode({ home: await tmpHome('bk-carol'), bootstrap: [laptop.addresses()[0]] })
    let restored: PresenceNode | undefined
    try {
      await makeContacts(carol, laptop)
      const group = (await laptop.createGroup('trip', [carol.peerId])).id
      await waitFor(() => carol.groupInvitations().some(i => i.group === group), 'carol\'s invitation')
      await carol.acceptGroup(group)
      // the phone may join as the person's other device before or after carol: wait for carol herself
      await waitFor(() => laptop.group(group).members.some(m => m.peerId === carol.peerId.toString()), 'carol to join')
      await laptop.sendToGroup(group, 'before')
      await waitFor(async () => (await carol.groupHistory(group)).some(m => m.text === 'before'), 'carol to read the first text')

      const [first, linked] = await Promise.all([laptop.backup(), phone.backup()])
      expect(first.devices?.role).toBe('first')
      expect(linked.devices?.role).toBe('linked')
      expect(first.groups?.map(g => g.meta.id)).toEqual([group])
      await laptop.stop()

      // the first device, restored into a new home: it holds the list with the phone, and the group
      const home = await tmpHome('bk-laptop-restored')
      const r = await restoreBackup(home, await decryptBackup(await encryptBackup(first, PASS, CHEAP), PASS))
      expect(r).toMatchObject({ devices: { role: 'first', written: true }, groups: 1 })
      restored = await startNode({ home })
      expect(restored.devices()).toMatchObject({ holdsPersonKey: true, revoked: false })
      expect(restored.devices().devices.map(d => d.name).sort()).toEqual(['laptop', 'phone'])
      await phone.connect(restored.addresses()[0], 10_000)
      await waitFor(() => restored?.devices().devices.find(d => d.peerId === phone.peerId.toString())?.online === true, 'the restored laptop to meet the phone')
      expect(phone.devices().revoked).toBe(false)
      // it rejoins the group where it was: its next text reaches carol
      // (the phone may be a member too: a person's devices share the person's groups)
      expect(restored.group(group).members.map(m => m.peerId)).toEqual(expect.arrayContaining([laptop.peerId.toString(), carol.peerId.toString()]))
      await restored.connect(carol.addresses()[0], 10_000)
      await restored.sendToGroup(group, 'after restore')
      await waitFor(async () => (await carol.groupHistory(group)).some(m => m.text === 'after restore'), 'carol to read the restored laptop\'s text')

      // the linked device, restored into a new home, is still the person's device
      await phone.stop()
      const phoneAgain = await tmpHome('bk-phone-restored')
      expect(await restoreBackup(phoneAgain, linked)).toMatchObject({ devices: { role: 'linked', written: true } })
      const phone2 = await startNode({ home: phoneAgain })
      try {
        expect(phone2.devices()).toMatchObject({ person: laptop.peerId.toString(), holdsPersonKey: false, revoked: false })
      } finally {
        await phone2.stop()
      }
    } finally {
      await Promise.all([laptop.stop(), phone.stop(), carol.stop(), restored?.stop()])
    }
  })
})

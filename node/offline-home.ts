/**
 * A home read while no node runs on it: for a backup or an export of
 * history when the node is stopped. Claims the home for the time it is
 * open (a node started meanwhile is refused, as a second node would be)
 * and never goes on the network.
 */
import { backupOf } from './backup/home-backup.js'
import { searchMessages } from './chat/archive.js'
import { ChatStore } from './chat/chat-store.js'
import { openDatastore } from './datastore.js'
import { claimHome, fileExists, IDENTITY_FILE, loadOrCreateIdentity, releaseHome } from './home.js'
import { IdentityError } from './errors.js'
import { migrate } from './migrations.js'
import { peerIdString } from './peer-ids.js'
import { RosterStore } from './roster/index.js'
import type { BackupContents } from './backup/home-backup.js'
import type { ChatMessage, SearchOptions } from './chat/index.js'
import type { Person } from './roster/index.js'
import type { PrivateKey } from '@libp2p/interface'
import type { LevelDatastore } from 'datastore-level'
import path from 'node:path'

export class OfflineHome {
  private constructor (
    readonly home: string,
    private readonly privateKey: PrivateKey,
    private readonly datastore: LevelDatastore,
    private readonly roster: RosterStore,
    private readonly chat: ChatStore
  ) {}

  /** Opens a home that has an identity; throws AlreadyRunningError while a node runs on it. */
  static async open (home: string): Promise<OfflineHome> {
    const file = path.join(home, IDENTITY_FILE)
    if (!await fileExists(file)) throw new IdentityError(file, 'unreadable', 'no identity in this home (presence-mesh init creates one)')
    const { privateKey } = await loadOrCreateIdentity(home)
    await claimHome(home)
    let ds: LevelDatastore | undefined
    try {
      ds = await openDatastore(home)
      await migrate(ds)
      const chat = new ChatStore(ds)
      await chat.open()
      return new OfflineHome(home, privateKey, ds, await RosterStore.open(ds), chat)
    } catch (err) {
      await ds?.close().catch(() => {})
      await releaseHome(home)
      throw err
    }
  }

  person (peer: string): Person | undefined {
    const p = this.roster.get(peerIdString(peer))
    return p == null ? undefined : { ...p }
  }

  people (): Person[] {
    return [...this.roster.all()].map(p => ({ ...p }))
  }

  async backup (): Promise<BackupContents> {
    return await backupOf(this.privateKey, this.people(), this.roster.visibility(), this.datastore)
  }

  async conversations (): Promise<string[]> {
    const peers: string[] = []
    for await (const peer of this.chat.peers()) peers.push(peer)
    return peers
  }

  async history (peer: string, limit?: number): Promise<ChatMessage[]> {
    return await this.chat.history(peerIdString(peer), limit)
  }

  async search (query: string, options?: SearchOptions): Promise<ChatMessage[]> {
    return await searchMessages(this.chat.allMessages(), query, options)
  }

  async close (): Promise<void> {
    try {
      await this.datastore.close()
    } finally {
      await releaseHome(this.home)
    }
  }
}

/**
 * The node API: everything the CLI (or an embedding app) does goes through a
 * PresenceNode, which owns the home directory, the datastore and libp2p.
 */
import { bootstrapFromEnv, DEFAULT_LISTEN, loadConfig } from './config.js'
import { openDatastore } from './datastore.js'
import { claimHome, loadOrCreateIdentity, releaseHome, writeRuntime } from './home.js'
import { createPresenceLibp2p } from './libp2p.js'
import type { PresenceLibp2p } from './libp2p.js'
import type { PresenceServiceInit, PresenceView } from './presence/index.js'
import type { PresenceService } from './presence/presence-service.js'
import type { PresenceUpdate } from '../protocol/presence-record.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { LevelDatastore } from 'datastore-level'

export interface PresenceNodeOptions {
  home: string
  /** Listen multiaddrs; default from config.json, else DEFAULT_LISTEN. */
  listen?: string[]
  /** Bootstrap multiaddrs, added to those of config.json and PRESENCE_MESH_BOOTSTRAP. */
  bootstrap?: string[]
  presence?: PresenceServiceInit
  /** Many nodes on one host (tests, benchmarks). */
  sharedHost?: boolean
  /** Passed to libp2p: refuses connections to chosen peers (tests, the chaos run). */
  connectionGater?: ConnectionGater
}

export class PresenceNode {
  private constructor (
    readonly home: string,
    readonly libp2p: PresenceLibp2p,
    private readonly datastore: LevelDatastore
  ) {}

  static async start (opts: PresenceNodeOptions): Promise<PresenceNode> {
    const { privateKey } = await loadOrCreateIdentity(opts.home)
    const config = await loadConfig(opts.home)
    const listen = opts.listen ?? config.listen ?? DEFAULT_LISTEN
    const bootstrap = [...new Set([...(opts.bootstrap ?? []), ...(config.bootstrap ?? []), ...bootstrapFromEnv()])]
    await claimHome(opts.home)
    let datastore: LevelDatastore | undefined
    try {
      datastore = await openDatastore(opts.home)
      const libp2p = await createPresenceLibp2p({
        privateKey, datastore, listen, bootstrap, presence: opts.presence, sharedHost: opts.sharedHost, connectionGater: opts.connectionGater
      })
      await libp2p.start()
      const node = new PresenceNode(opts.home, libp2p, datastore)
      await writeRuntime(opts.home, { pid: process.pid, peerId: node.peerId.toString(), addresses: node.addresses() })
      return node
    } catch (err) {
      await datastore?.close().catch(() => {})
      await releaseHome(opts.home)
      throw err
    }
  }

  get peerId (): PeerId {
    return this.libp2p.peerId
  }

  get presence (): PresenceService {
    return this.libp2p.services.presence
  }

  /** Dialable addresses, each ending in /p2p/<peer id>. */
  addresses (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => ma.toString())
  }

  async setPresence (update: PresenceUpdate): Promise<void> {
    await this.presence.setPresence(update)
  }

  async watch (peer: PeerId | string, alias?: string): Promise<PresenceView> {
    return await this.presence.watch(peer, alias)
  }

  async unwatch (peer: PeerId | string): Promise<boolean> {
    return await this.presence.unwatch(peer)
  }

  who (): PresenceView[] {
    return this.presence.list()
  }

  async stop (): Promise<void> {
    try {
      await this.libp2p.stop()
    } finally {
      await this.datastore.close().catch(() => {})
      await releaseHome(this.home)
    }
  }
}

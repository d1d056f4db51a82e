/**
 * The node API: everything the CLI (or an embedding app) does goes through a
 * PresenceNode, which owns the home directory, the datastore and libp2p.
 */
import { bootstrapFromEnv, DEFAULT_LISTEN, loadConfig } from './config.js'
import { openDatastore } from './datastore.js'
import { UserError } from './errors.js'
import { claimHome, loadOrCreateIdentity, releaseHome, writeRuntime } from './home.js'
import { createPresenceLibp2p } from './libp2p.js'
import type { FetchResult, LocateOptions, LocateResult } from './discovery/index.js'
import type { NodeOptions, PresenceLibp2p } from './libp2p.js'
import type { PresenceServiceInit, PresenceView } from './presence/index.js'
import type { PresenceService } from './presence/presence-service.js'
import type { PresenceUpdate } from '../protocol/presence-record.js'
import type { PeerId } from '@libp2p/interface'
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
  /** Serve as a circuit relay for others (CLI --relay). */
  relay?: boolean
  /** DHT client mode: query, never answer (CLI --dht-client). */
  dhtClientMode?: boolean
  /** mDNS discovery on the LAN, default on (CLI --no-mdns turns it off). */
  mdns?: NodeOptions['mdns']
  /** Put this node's presence record in the DHT for fetchers (default true). */
  publishPresence?: boolean
  /** Connection cap; default CONNECTION_LIMITS.maxConnections (64). Public bootstrap/relay nodes raise it. */
  maxConnections?: number
  /** Dial the most recently connected known peers at start (default true). */
  rejoin?: boolean
  /** Tests only: refuse some dials. */
  connectionGater?: NodeOptions['connectionGater']
}

export class PresenceNode {
  private constructor (
    readonly home: string,
    readonly libp2p: PresenceLibp2p,
    private readonly datastore: LevelDatastore
  ) {}

  static async start (opts: PresenceNodeOptions): Promise<PresenceNode> {
    if (opts.maxConnections != null && (!Number.isInteger(opts.maxConnections) || opts.maxConnections < 1)) {
      throw new UserError(`maxConnections must be a positive integer, not ${opts.maxConnections}`)
    }
    const { privateKey } = await loadOrCreateIdentity(opts.home)
    const config = await loadConfig(opts.home)
    const listen = opts.listen ?? config.listen ?? DEFAULT_LISTEN
    const bootstrap = [...new Set([...(opts.bootstrap ?? []), ...(config.bootstrap ?? []), ...bootstrapFromEnv()])]
    await claimHome(opts.home)
    let datastore: LevelDatastore | undefined
    try {
      datastore = await openDatastore(opts.home)
      const libp2p = await createPresenceLibp2p({
        privateKey,
        datastore,
        listen,
        bootstrap,
        presence: opts.presence,
        sharedHost: opts.sharedHost,
        relay: opts.relay,
        dhtClientMode: opts.dhtClientMode,
        mdns: opts.mdns,
        publishPresence: opts.publishPresence,
        connectionGater: opts.connectionGater,
        rejoin: opts.rejoin,
        maxConnections: opts.maxConnections
      })
      await libp2p.start()
      const node = new PresenceNode(opts.home, libp2p, datastore)
      // presentities watched before the restart are kept reachable again
      for (const view of node.who()) libp2p.services.discovery.follow(view.peerId)
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

  /** Watches a presentity; one this node is not connected to is located through the DHT (and retried). */
  async watch (peer: PeerId | string, alias?: string): Promise<PresenceView> {
    const view = await this.presence.watch(peer, alias)
    this.libp2p.services.discovery.follow(view.peerId)
    return view
  }

  async unwatch (peer: PeerId | string): Promise<boolean> {
    const removed = await this.presence.unwatch(peer)
    if (removed) this.libp2p.services.discovery.unfollow(peer)
    return removed
  }

  /** Resolves a peer id to addresses (DHT) and connects to it. */
  async locate (peer: PeerId | string, options?: LocateOptions): Promise<LocateResult> {
    return await this.libp2p.services.discovery.locate(peer, options)
  }

  /** A presentity's presence from its DHT record, without subscribing. */
  async fetchPresence (peer: PeerId | string, options?: { signal?: AbortSignal }): Promise<FetchResult> {
    return await this.libp2p.services.dhtPresence.fetchPresence(peer, options)
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

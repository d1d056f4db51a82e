/**
 * The node API: everything the CLI (or an embedding app) does goes through a
 * PresenceNode, which owns the home directory, the datastore and libp2p.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { bootstrapFromEnv, DEFAULT_LISTEN, loadConfig } from './config.js'
import { controlMethods } from './control/methods.js'
import { ControlServer } from './control/server.js'
import { openDatastore } from './datastore.js'
import { UserError } from './errors.js'
import { claimHome, loadOrCreateIdentity, releaseHome, writeRuntime } from './home.js'
import { createPresenceLibp2p } from './libp2p.js'
import type { ChatMessage, ChatService, ChatServiceInit } from './chat/index.js'
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
  chat?: ChatServiceInit
  /** Many nodes on one host (tests, benchmarks). */
  sharedHost?: boolean
  /** Open the control socket in the home directory (default true). */
  control?: boolean
  /** Passed to libp2p: refuses connections to chosen peers (tests, the chaos run). */
  connectionGater?: ConnectionGater
}

export class PresenceNode {
  private control?: ControlServer
  private stopping?: Promise<void>

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
        privateKey, datastore, listen, bootstrap, presence: opts.presence, chat: opts.chat, sharedHost: opts.sharedHost,
        connectionGater: opts.connectionGater
      })
      await libp2p.start()
      const node = new PresenceNode(opts.home, libp2p, datastore)
      if (opts.control !== false) {
        node.control = new ControlServer(opts.home, controlMethods(node), libp2p.logger.forComponent('presence-mesh:control'))
        await node.control.start().catch(async (err) => { await node.stop(); throw err })
      }
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

  /** Incoming messages, delivery states, typing: node.chat.addEventListener('message' | 'request' | 'state' | 'typing', ...). */
  get chat (): ChatService {
    return this.libp2p.services.chat
  }

  /** A watched alias or a peer id, as the peer id string. */
  resolvePeer (aliasOrPeer: PeerId | string): string {
    if (typeof aliasOrPeer !== 'string') return aliasOrPeer.toString()
    const view = this.presence.resolve(aliasOrPeer)
    if (view != null) return view.peerId
    try {
      return peerIdFromString(aliasOrPeer).toString()
    } catch {
      throw new UserError(`${aliasOrPeer} is neither a known alias nor a peer id`)
    }
  }

  /** Queues a text for a contact (alias or peer id); resolves with its id once it is on disk. */
  async send (to: PeerId | string, text: string): Promise<string> {
    return (await this.chat.send(this.resolvePeer(to), text)).id
  }

  /** The newest `limit` messages with a contact, both directions, oldest first. */
  async history (peer: PeerId | string, limit?: number): Promise<ChatMessage[]> {
    return await this.chat.history(this.resolvePeer(peer), limit)
  }

  /** Marks a contact's messages read and sends the read receipt; returns how many changed. */
  async markRead (peer: PeerId | string): Promise<number> {
    return await this.chat.markRead(this.resolvePeer(peer))
  }

  /** Held messages from non-contacts, oldest first. */
  async requests (): Promise<ChatMessage[]> {
    return await this.chat.requests()
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

  /** Says goodbye, stops libp2p, closes the datastore. Safe to call more than once. */
  async stop (): Promise<void> {
    this.stopping ??= this.stopOnce()
    await this.stopping
  }

  private async stopOnce (): Promise<void> {
    try {
      await this.control?.stop()
      await this.libp2p.stop()
    } finally {
      await this.datastore.close().catch(() => {})
      await releaseHome(this.home)
    }
  }
}

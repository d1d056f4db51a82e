/**
 * The persisted block list. Loaded before libp2p is built, because the
 * connection gater consults it for every connection in both directions.
 */
import { Key } from 'interface-datastore'
import { DATASTORE_PREFIX } from '../contacts/constants.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

const BLOCKED_KEY = new Key(`${DATASTORE_PREFIX}/blocked`)

export class BlockList {
  private saving: Promise<void> = Promise.resolve()

  private constructor (private readonly datastore: Datastore, private readonly peers: Map<string, number>) {}

  static async load (datastore: Datastore): Promise<BlockList> {
    let peers = new Map<string, number>()
    try {
      const json = JSON.parse(new TextDecoder().decode(await datastore.get(BLOCKED_KEY))) as Record<string, number>
      peers = new Map(Object.entries(json))
    } catch (err: any) {
      if (err.name !== 'NotFoundError') throw err
    }
    return new BlockList(datastore, peers)
  }

  /** The one check chat, DHT and gossip code call. */
  has (peer: PeerId | string): boolean {
    return this.peers.has(peer.toString())
  }

  list (): Array<{ peerId: string, since: number }> {
    return [...this.peers].map(([peerId, since]) => ({ peerId, since }))
  }

  async add (peer: string, now = Date.now()): Promise<boolean> {
    if (this.peers.has(peer)) return false
    this.peers.set(peer, now)
    await this.save()
    return true
  }

  async remove (peer: string): Promise<boolean> {
    if (!this.peers.delete(peer)) return false
    await this.save()
    return true
  }

  /** Writes one at a time, each a snapshot taken when it runs: a block then an unblock land in that order. */
  private async save (): Promise<void> {
    const next = this.saving.then(async () => {
      await this.datastore.put(BLOCKED_KEY, new TextEncoder().encode(JSON.stringify(Object.fromEntries(this.peers))))
    })
    this.saving = next.catch(() => {})
    await next
  }

  /**
   * Refuses a blocked peer at every stage libp2p asks about a peer id. An
   * inbound connection is only known by address until encryption, so the
   * earliest refusal is right after the Noise handshake (see threat model).
   */
  gater (extra: ConnectionGater = {}): ConnectionGater {
    const deny = (peerId: PeerId): boolean => this.has(peerId)
    return combineGaters({
      denyDialPeer: deny,
      denyOutboundConnection: deny,
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny,
      denyInboundUpgradedConnection: deny,
      denyOutboundUpgradedConnection: deny,
      denyInboundRelayReservation: deny,
      denyOutboundRelayedConnection: (source: PeerId, target: PeerId) => this.has(source) || this.has(target),
      denyInboundRelayedConnection: (relay: PeerId, remotePeer: PeerId) => this.has(relay) || this.has(remotePeer)
    }, extra)
  }
}

/** A gater that denies whatever either gater denies. */
function combineGaters (a: ConnectionGater, b: ConnectionGater): ConnectionGater {
  const out: Record<string, (...args: any[]) => Promise<boolean>> = {}
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const fa = (a as Record<string, any>)[name]
    const fb = (b as Record<string, any>)[name]
    out[name] = name === 'filterMultiaddrForPeer'
      // the one allow-style hook: keep an address only if both keep it
      ? async (...args: any[]) => (await fa?.(...args) ?? true) === true && (await fb?.(...args) ?? true) === true
      : async (...args: any[]) => (await fa?.(...args)) === true || (await fb?.(...args)) === true
  }
  return out as ConnectionGater
}

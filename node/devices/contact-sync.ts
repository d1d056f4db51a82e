/**
 * /presence-mesh/device-contacts/1.0.0 (docs/protocol.md §14.10): contacts
 * follow a person across their devices. Between two current devices of one
 * person only (the connection's authenticated peer id must be listed in this
 * device's current device list, on both sides): each side writes its whole
 * snapshot of contact entries, the dialer first, and takes the entries of
 * the other side that win (contact-sync-state.ts). A device exchanges
 * snapshots with an own device at every new connection (so one that was
 * offline catches up), and sends its snapshot to every connected own device
 * when an entry changes here, made or received.
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { decodeContactSnapshot, DEVICE_CONTACTS_PROTOCOL, encodeContactSnapshot, MAX_CONTACT_SNAPSHOT_BYTES } from '../../protocol/contact-sync.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { DEVICES_CAPABILITY, MAX_DEVICE_STREAMS, PUSH_TIMEOUT_MS, SYNC_RETRY_BASE_MS, SYNC_RETRY_CAP_MS } from './constants.js'
import { KeyedRetries } from '../util/wait.js'
import { ContactSyncState } from './contact-sync-state.js'
import type { ContactSyncEntry } from '../../protocol/contact-sync.js'
import type { ContactSyncRoster } from './contact-sync-state.js'
import type { DevicesService } from './index.js'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, PeerStore, Startable, Stream, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Datastore } from 'interface-datastore'
import { askOnce } from '../util/ask-once.js'
import { gatherWhereabouts, takeWhereabouts } from './whereabouts.js'
import type { WhereaboutsContext } from './whereabouts.js'

export { DEVICE_CONTACTS_PROTOCOL }

export interface ContactSyncComponents {
  peerId: PeerId
  datastore: Datastore
  logger: ComponentLogger
  registrar: Registrar
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'openConnection'>
  peerStore: Pick<PeerStore, 'get' | 'merge'>
  events: TypedEventTarget<Libp2pEvents>
  roster: ContactSyncRoster & Pick<Roster, 'addEventListener' | 'removeEventListener' | 'contacts' | 'isContact'>
  devices: Pick<DevicesService, 'isOwnDevice' | 'devices'>
}

export interface ContactSync {
  /** The entry held for a contact (its roster id), if any. */
  entry: (contact: string) => ContactSyncEntry | undefined
}

class ContactSyncService implements ContactSync, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:device-contacts'
  readonly [serviceCapabilities] = ['@presence-mesh/device-contacts']
  readonly [serviceDependencies] = [ROSTER_CAPABILITY, DEVICES_CAPABILITY]

  private readonly log: Logger
  private readonly state: ContactSyncState
  private started = false
  /** Own devices that have not had our latest entries (not connected, or the exchange failed): they get them at their next connection. */
  private readonly owed = new Set<string>()
  private readonly retries = new KeyedRetries({ baseMs: SYNC_RETRY_BASE_MS, capMs: SYNC_RETRY_CAP_MS, jitter: 0.5 })
  private readonly whereabouts: WhereaboutsContext

  constructor (private readonly components: ContactSyncComponents) {
    this.log = components.logger.forComponent('presence-mesh:device-contacts')
    this.state = new ContactSyncState(components.peerId.toString(), components.roster, components.datastore, this.log)
    this.onRosterChange = this.onRosterChange.bind(this)
    this.onConnectionOpen = this.onConnectionOpen.bind(this)
    this.whereabouts = {
      self: components.peerId.toString(),
      roster: components.roster,
      peerStore: components.peerStore,
      connectionManager: components.connectionManager,
      isOwnDevice: (peer) => components.devices.isOwnDevice(peer),
      held: (contact) => this.state.get(contact),
      log: this.log
    }
  }

  /** Our snapshot: every entry held, and where we know our contacts' devices to be. */
  private async snapshot (): Promise<Uint8Array> {
    return encodeContactSnapshot(this.state.entries(), await gatherWhereabouts(this.whereabouts))
  }

  async start (): Promise<void> {
    await this.state.load()
    await this.components.registrar.handle(DEVICE_CONTACTS_PROTOCOL, (stream, conn) => { void this.answer(stream, conn) }, {
      maxInboundStreams: MAX_DEVICE_STREAMS, maxOutboundStreams: MAX_DEVICE_STREAMS, runOnLimitedConnection: true
    })
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    this.components.events.addEventListener('connection:open', this.onConnectionOpen)
    this.started = true
  }

  afterStart (): void {
    // own devices connected while this service started (the devices service dials them at start)
    void this.sendAll()
  }

  async stop (): Promise<void> {
    this.started = false
    this.retries.clear()
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    this.components.events.removeEventListener('connection:open', this.onConnectionOpen)
    await this.components.registrar.unhandle(DEVICE_CONTACTS_PROTOCOL)
  }

  isStarted (): boolean {
    return this.started
  }

  entry (contact: string): ContactSyncEntry | undefined {
    return this.state.get(contact)
  }

  /** Another current device of this person (never this one; none once this device is revoked). */
  private isOtherDevice (peer: string): boolean {
    return peer !== this.components.peerId.toString() && this.components.devices.isOwnDevice(peer)
  }

  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    if (!this.started) return
    let changed = false
    for (const change of evt.detail.people) {
      const { entry, saved } = this.state.local(change)
      evt.detail.waitUntil(saved.catch(err => { this.log.error('could not store the contact entry of %s - %e', change.id, err) }))
      changed ||= entry != null
    }
    if (changed) void this.sendAll()
  }

  private onConnectionOpen (evt: CustomEvent<Connection>): void {
    // one exchange per connection, the dialer's; whichever side owes the other its entries sends too
    const peer = evt.detail.remotePeer.toString()
    if (!this.started || (evt.detail.direction !== 'outbound' && !this.owed.has(peer)) || !this.isOtherDevice(peer)) return
    void this.send(peer).then(() => { this.again(peer) })
  }

  /** Every other own device gets our snapshot: at once when connected, else once a dial connects. */
  private async sendAll (except?: string): Promise<void> {
    const peers = this.components.devices.devices().map(d => d.peerId).filter(p => p !== except && this.isOtherDevice(p))
    await Promise.allSettled(peers.map(async p => {
      this.owed.add(p)
      await this.deliver(p)
    }))
  }

  /**
   * Our entries to one own device: on an open connection, else after a dial
   * (best effort: it may be offline). Still owed afterwards (not reached, or
   * the exchange failed on a connection that stays open, which brings no new
   * connection:open): tried again with backoff.
   */
  private async deliver (peer: string): Promise<void> {
    const id = peerIdFromString(peer)
    try {
      if (!this.components.connectionManager.getConnections(id).some(c => c.status === 'open')) {
        await this.components.connectionManager.openConnection(id, { signal: AbortSignal.timeout(PUSH_TIMEOUT_MS) })
      }
      // a dial that joined a connection opened meanwhile fires no connection:open of its own
      if (this.owed.has(peer)) await this.send(peer)
    } catch (err) {
      this.log('own device %s not reached - %e', peer, err)
    }
    this.again(peer)
  }

  /** A device still owed our entries gets them again after a backoff; one that took them starts over. */
  private again (peer: string): void {
    if (!this.started || !this.owed.has(peer)) {
      this.retries.forget(peer)
      return
    }
    this.retries.schedule(peer, () => {
      if (this.started && this.owed.has(peer) && this.isOtherDevice(peer)) void this.deliver(peer)
    })
  }

  /** Writes our snapshot, reads theirs, takes what wins. */
  private async send (peer: string): Promise<void> {
    const signal = AbortSignal.timeout(PUSH_TIMEOUT_MS)
    try {
      const conn = this.components.connectionManager.getConnections(peerIdFromString(peer)).find(c => c.status === 'open')
      if (conn == null) return
      const stream = await conn.newStream(DEVICE_CONTACTS_PROTOCOL, { signal, runOnLimitedConnection: true })
      const theirs = await askOnce(stream, await this.snapshot(), { maxDataLength: MAX_CONTACT_SNAPSHOT_BYTES, signal })
      this.owed.delete(peer)
      await this.take(theirs, peer)
    } catch (err: any) {
      this.log('contact exchange with %s failed - %e', peer, err)
    }
  }

  private async answer (stream: Stream, conn: Connection): Promise<void> {
    const peer = conn.remotePeer.toString()
    if (!this.isOtherDevice(peer)) {
      this.log('refused a contact exchange from %s: no current device of this person', peer)
      stream.abort(new Error('not a device of this person'))
      return
    }
    const signal = AbortSignal.timeout(PUSH_TIMEOUT_MS)
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_CONTACT_SNAPSHOT_BYTES })
      const theirs = (await lp.read({ signal })).subarray()
      await lp.write(await this.snapshot(), { signal })
      await stream.close({ signal })
      this.owed.delete(peer)
      await this.take(theirs, peer)
    } catch (err: any) {
      this.log('contact exchange of %s ended - %e', peer, err)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** A snapshot from another device: the winning entries are applied, and passed on to our other devices. */
  private async take (bytes: Uint8Array, from: string): Promise<void> {
    // the device may have been revoked while the exchange ran
    if (!this.isOtherDevice(from)) return
    const res = decodeContactSnapshot(bytes)
    if (!res.ok) {
      this.log('refused a contact snapshot from %s: %s %s', from, res.reason, res.detail ?? '')
      return
    }
    const located = await takeWhereabouts(this.whereabouts, res.whereabouts, res.entries)
    if (located > 0) this.log('took the addresses of %d contact devices from %s', located, from)
    const taken = await this.state.receive(res.entries)
    if (taken.length === 0) return
    this.log('took %d contact entries from %s', taken.length, from)
    void this.sendAll(from)
  }
}

export function contactSync (): (components: ContactSyncComponents) => ContactSync {
  return (components) => new ContactSyncService(components)
}

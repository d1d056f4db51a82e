import os from 'node:os'
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { deviceNameProblem, DeviceFieldError } from '../../protocol/device-cert.js'
import { addDevice, firstDeviceList, namesOtherDevices, openDeviceList, revokeDevice } from '../../protocol/device-list.js'
import { MAX_DEVICE_LIST_BYTES } from '../../protocol/limits.js'
import { decodeDeviceListAck, encodeDeviceListAck, MAX_DEVICE_ACK_BYTES } from '../../protocol/link.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { DEVICES_CAPABILITY, DEVICES_PROTOCOL, FALLBACK_DEVICE_NAME, LINK_CODE_TTL_MS, LINK_PROTOCOL, MAX_DEVICE_STREAMS, MAX_PENDING_LISTS, PUSH_TIMEOUT_MS } from './constants.js'
import { DeviceStore } from './device-store.js'
import { DeviceChangeError, NotPersonKeyHolderError, UnknownDeviceError } from './errors.js'
import { LinkCodes } from './link-server.js'
import { trimOldest } from '../util/trim.js'
import type { DeviceInfo, DevicesEvents, DevicesInit, DevicesService, LinkCodeInfo } from './index.js'
import type { DeviceList } from '../../protocol/device-list.js'
import type { Person, Roster, RosterChangeEvent } from '../roster/index.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, PeerStore, PrivateKey, Startable, Stream, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Datastore } from 'interface-datastore'
import { askOnce } from '../util/ask-once.js'

export interface DevicesComponents {
  peerId: PeerId
  privateKey: PrivateKey
  datastore: Datastore
  logger: ComponentLogger
  registrar: Registrar
  addressManager: Pick<AddressManager, 'getAddresses'>
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'openConnection'>
  peerStore: Pick<PeerStore, 'merge'>
  events: TypedEventTarget<Libp2pEvents>
  roster: Pick<Roster, 'get' | 'contacts' | 'setDevices' | 'addEventListener' | 'removeEventListener'>
}

interface Held { bytes: Uint8Array, list: DeviceList }

/** The host name as a device name, if it is one. */
function defaultName (): string {
  const host = os.hostname().slice(0, 32).trim()
  return deviceNameProblem(host) == null ? host : FALLBACK_DEVICE_NAME
}

export class DevicesServiceImpl extends TypedEventEmitter<DevicesEvents> implements DevicesService, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:devices'
  readonly [serviceCapabilities] = [DEVICES_CAPABILITY]
  readonly [serviceDependencies] = [ROSTER_CAPABILITY]

  private readonly log: Logger
  private readonly store: DeviceStore
  private readonly codes: LinkCodes
  private own?: Held
  private certificate: Uint8Array = new Uint8Array(0)
  /** Lists of other people (contacts), by person id. */
  private readonly others = new Map<string, Held>()
  /** Lists of people not (yet) contacts, newest last: a list pushed right before the accept that makes them one counts once it does. */
  private readonly pending = new Map<string, Held>()
  /** The epoch each peer acknowledged holding of our list (pushed once per epoch per run). */
  private readonly acked = new Map<string, bigint>()
  /** Changes of the own list, one at a time. */
  private changing: Promise<unknown> = Promise.resolve()
  private started = false

  constructor (private readonly components: DevicesComponents, private readonly init: DevicesInit = {}) {
    super()
    this.log = components.logger.forComponent('presence-mesh:devices')
    this.store = new DeviceStore(components.datastore)
    this.codes = new LinkCodes({
      self: components.peerId,
      ttlMs: init.linkCodeTtlMs ?? LINK_CODE_TTL_MS,
      log: this.log,
      link: async (device, name, consent) => await this.change(held => addDevice(held.list, this.components.privateKey, device, name, Date.now(), consent))
    })
    this.onConnectionOpen = this.onConnectionOpen.bind(this)
    this.onRosterChange = this.onRosterChange.bind(this)
  }

  // ---- lifecycle ----

  async start (): Promise<void> {
    let own = await this.store.loadOwn()
    if (own == null) {
      // a node that had no list (a new home, or one from before devices): its key is the person key, it is the only device
      const first = firstDeviceList(this.components.privateKey, this.components.peerId, this.init.deviceName ?? defaultName(), Date.now())
      own = { list: first.list, certificate: first.certificate }
      await this.store.saveOwn(own)
    }
    const opened = openDeviceList(own.list)
    if (!opened.ok) throw new DeviceChangeError(`the stored device list is not valid (${opened.reason})`)
    this.own = { bytes: own.list, list: opened.list }
    this.certificate = own.certificate
    for (const [person, bytes] of await this.store.loadLists()) {
      const res = openDeviceList(bytes, { expectedPerson: person })
      if (res.ok) this.others.set(person, { bytes, list: res.list })
    }
    await this.components.registrar.handle(LINK_PROTOCOL, (stream, conn) => { void this.codes.handle(stream, conn, this.holdsPersonKey && !this.revoked) }, {
      maxInboundStreams: MAX_DEVICE_STREAMS, maxOutboundStreams: MAX_DEVICE_STREAMS, runOnLimitedConnection: true
    })
    await this.components.registrar.handle(DEVICES_PROTOCOL, (stream, conn) => { void this.receiveList(stream, conn) }, {
      maxInboundStreams: MAX_DEVICE_STREAMS, maxOutboundStreams: MAX_DEVICE_STREAMS, runOnLimitedConnection: true
    })
    this.components.events.addEventListener('connection:open', this.onConnectionOpen)
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    this.started = true
    void this.meetOwnDevices()
  }

  async stop (): Promise<void> {
    this.started = false
    this.components.events.removeEventListener('connection:open', this.onConnectionOpen)
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    this.codes.clear()
    await this.changing.catch(() => {})
    await this.components.registrar.unhandle(LINK_PROTOCOL)
    await this.components.registrar.unhandle(DEVICES_PROTOCOL)
  }

  isStarted (): boolean {
    return this.started
  }

  // ---- what the node asks ----

  private get held (): Held {
    if (this.own == null) throw new Error('the devices service is not started')
    return this.own
  }

  get person (): string { return this.held.list.person.toString() }
  get holdsPersonKey (): boolean { return this.held.list.person.equals(this.components.peerId) }
  get revoked (): boolean { return !this.held.list.devices.some(d => d.device.equals(this.components.peerId)) }

  devices (): DeviceInfo[] {
    const self = this.components.peerId.toString()
    return this.held.list.devices.map(d => {
      const id = d.device.toString()
      return {
        peerId: id,
        name: d.name,
        linkedAt: d.issuedAt,
        self: id === self,
        personKey: d.device.equals(this.held.list.person),
        online: id === self || this.components.connectionManager.getConnections(d.device).length > 0
      }
    })
  }

  isOwnDevice (peer: string): boolean {
    return !this.revoked && this.held.list.devices.some(d => d.device.toString() === peer)
  }

  admits (peer: string): boolean {
    return this.isOwnDevice(peer) || this.codes.isIntake(peer)
  }

  isRevoked (peer: string): boolean {
    if (this.own?.list.revoked.some(r => r.toString() === peer) === true) return true
    for (const h of this.others.values()) if (h.list.revoked.some(r => r.toString() === peer)) return true
    return false
  }

  async createLinkCode (): Promise<LinkCodeInfo> {
    if (!this.holdsPersonKey) throw new NotPersonKeyHolderError(this.person)
    return await this.codes.create(this.linkAddresses())
  }

  async revoke (device: string): Promise<DeviceInfo> {
    if (!this.holdsPersonKey) throw new NotPersonKeyHolderError(this.person)
    const target = this.resolveDevice(device)
    if (target.personKey) throw new DeviceChangeError('the device holding the person key cannot be revoked')
    await this.change(held => revokeDevice(held.list, this.components.privateKey, peerIdFromString(target.peerId), Date.now()))
    return target
  }

  private resolveDevice (text: string): DeviceInfo {
    const t = text.trim()
    const short = t.startsWith('…') ? t.slice(1) : t.startsWith('...') ? t.slice(3) : undefined
    const all = this.devices()
    const found = all.filter(d => d.peerId === t || (short != null && short.length >= 4 && d.peerId.endsWith(short)) || d.name === t)
    if (found.length !== 1) throw new UnknownDeviceError(t)
    return found[0]
  }

  /** Addresses a new device dials: relayed first (they work across NATs), then the others, loopback last. */
  private linkAddresses (): string[] {
    const rank = (a: string): number => a.includes('/p2p-circuit') ? 0 : /\/(ip4\/127\.|ip6\/::1\/)/.test(a) ? 2 : 1
    const addrs = this.components.addressManager.getAddresses()
      .map(ma => ma.getComponents().at(-1)?.name === 'p2p' && !ma.toString().includes('/p2p-circuit/') ? ma.decapsulateCode(421) : ma)
      .map(ma => ma.toString())
    return [...new Set(addrs)].sort((a, b) => rank(a) - rank(b)).slice(0, 4)
  }

  // ---- changing the own list (the person key's device) ----

  /** Signs a new list with `make`, stores it, tells every device and contact; one change at a time. */
  private async change (make: (held: Held) => Uint8Array | { list: Uint8Array, certificate: Uint8Array }): Promise<{ list: Uint8Array, certificate: Uint8Array }> {
    const run = this.changing.then(async () => {
      let made
      try {
        made = make(this.held)
      } catch (err: any) {
        if (err instanceof DeviceFieldError) throw new DeviceChangeError(err.message)
        throw err
      }
      const out = made instanceof Uint8Array ? { list: made, certificate: new Uint8Array(0) } : made
      await this.take(out.list)
      return out
    })
    this.changing = run.catch(() => {})
    return await run
  }

  /** Takes a newer own list (made here or received): store, memory, events, connections of revoked devices, pushes. */
  private async take (bytes: Uint8Array): Promise<boolean> {
    const before = this.held.list
    const res = openDeviceList(bytes, { expectedPerson: before.person, lastEpoch: before.epoch })
    if (!res.ok) return false
    await this.store.saveOwn({ list: bytes, certificate: this.certificate })
    this.own = { bytes, list: res.list }
    const linked = res.list.devices.find(d => !before.devices.some(b => b.device.equals(d.device)))
    const gone = before.devices.filter(b => !res.list.devices.some(d => d.device.equals(b.device))).map(b => b.device.toString())
    const infos = this.devices()
    this.safeDispatchEvent('devices:change', { detail: { devices: infos, linked: infos.find(i => i.peerId === linked?.device.toString()), revoked: gone[0] } })
    if (this.revoked) this.safeDispatchEvent('devices:revoked', { detail: { person: this.person } })
    void this.pushAll().finally(() => { this.closeRevoked(gone) })
    return true
  }

  // ---- pushing and receiving lists ----

  private audience (): string[] {
    const self = this.components.peerId.toString()
    const devices = this.held.list.devices.map(d => d.device.toString()).filter(d => d !== self)
    // a single device's first list tells contacts nothing they do not know
    const contacts = namesOtherDevices(this.held.list) ? this.components.roster.contacts().filter(p => p.blockedSince == null).flatMap(p => p.devices) : []
    // a device just revoked learns it, so it can tell its user
    const revoked = this.held.list.revoked.map(r => r.toString())
    return [...new Set([...devices, ...contacts, ...revoked])]
  }

  private async pushAll (): Promise<void> {
    const targets = this.audience().filter(p => this.components.connectionManager.getConnections(peerIdFromString(p)).length > 0)
    await Promise.allSettled(targets.map(async p => { await this.push(p) }))
  }

  private onConnectionOpen (evt: CustomEvent<Connection>): void {
    const peer = evt.detail.remotePeer.toString()
    if (!this.started || !this.audience().includes(peer) || (this.acked.get(peer) ?? 0n) >= this.held.list.epoch) return
    void this.push(peer)
  }

  private async push (peer: string): Promise<void> {
    const { bytes, list } = this.held
    if ((this.acked.get(peer) ?? 0n) >= list.epoch) return
    const signal = AbortSignal.timeout(PUSH_TIMEOUT_MS)
    try {
      const conn = this.components.connectionManager.getConnections(peerIdFromString(peer)).find(c => c.status === 'open')
      if (conn == null) return
      const stream = await conn.newStream(DEVICES_PROTOCOL, { signal, runOnLimitedConnection: true })
      const ack = decodeDeviceListAck(await askOnce(stream, bytes, { maxDataLength: Math.max(MAX_DEVICE_LIST_BYTES, MAX_DEVICE_ACK_BYTES), signal }))
      if (ack.ok) this.acked.set(peer, ack.epoch)
    } catch (err: any) {
      this.log('pushing the device list to %s failed - %e', peer, err)
    }
  }

  private async receiveList (stream: Stream, conn: Connection): Promise<void> {
    const signal = AbortSignal.timeout(PUSH_TIMEOUT_MS)
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_DEVICE_LIST_BYTES })
      const bytes = (await lp.read({ signal })).subarray()
      const held = await this.takeList(bytes, conn.remotePeer.toString())
      await lp.write(encodeDeviceListAck(held), { signal })
      await stream.close({ signal })
    } catch (err: any) {
      this.log('device list stream of %p ended - %e', conn.remotePeer, err)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** A pushed list: our person's (a newer one is taken), a contact's (kept), or nobody's we know. Returns the epoch held now for its person. */
  private async takeList (bytes: Uint8Array, from: string): Promise<bigint> {
    const res = openDeviceList(bytes)
    if (!res.ok) {
      this.log('refused a device list from %s: %s %s', from, res.reason, res.detail ?? '')
      return 0n
    }
    const person = res.list.person.toString()
    if (person === this.person) {
      if (res.list.epoch > this.held.list.epoch) await this.change(() => bytes).catch(err => { this.log('taking our list failed - %e', err) })
      return this.held.list.epoch
    }
    const contact = this.contactOf(res.list)
    if (contact == null) {
      this.pending.delete(person)
      this.pending.set(person, { bytes, list: res.list })
      trimOldest(this.pending, MAX_PENDING_LISTS)
      return 0n
    }
    return await this.takeContactList(contact, { bytes, list: res.list })
  }

  /** A contact's newer list: stored, and the roster's person gets its devices (new ones count from now on, revoked ones no longer). */
  private async takeContactList (contact: Person, { bytes, list }: Held): Promise<bigint> {
    const person = list.person.toString()
    const before = this.others.get(person)
    if (before != null && list.epoch <= before.list.epoch) return before.list.epoch
    await this.store.saveList(person, bytes)
    this.others.set(person, { bytes, list })
    await this.components.roster.setDevices(contact.id, list.devices.map(d => d.device.toString()))
    this.closeRevoked(list.revoked.map(r => r.toString()))
    return list.epoch
  }

  /** The contact a list is of: the roster's person for its person id, or for one of its devices (a contact made from that device). */
  private contactOf (list: DeviceList): Person | undefined {
    const ids = [list.person.toString(), ...list.devices.map(d => d.device.toString())]
    const p = ids.map(id => this.components.roster.get(id)).find(x => x != null)
    return p?.contact != null && p.blockedSince == null ? p : undefined
  }

  /** A new contact: it gets our list (when there is more than this device in it), and a list of theirs we hold counts now. */
  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    for (const { before, after } of evt.detail.people) {
      if (after?.contact == null || before?.contact != null || !this.started) continue
      for (const d of after.devices) this.acked.delete(d)
      void this.pushAll()
      const held = [...this.others.values(), ...this.pending.values()].filter(h => this.contactOf(h.list)?.id === after.id)
      for (const h of held) {
        this.pending.delete(h.list.person.toString())
        // a list held already (a contact removed and accepted again) gives the devices again
        void this.components.roster.setDevices(after.id, h.list.devices.map(d => d.device.toString()))
          .then(async () => await this.takeContactList(after, h))
          .catch(err => { this.log('devices of %s - %e', after.id, err) })
      }
    }
  }

  private closeRevoked (peers: string[]): void {
    for (const p of peers) {
      if (!this.isRevoked(p)) continue
      for (const c of this.components.connectionManager.getConnections(peerIdFromString(p))) void c.close().catch(() => {})
    }
  }

  /** At start: the addresses a link code gave go to the peer store; every other own device gets a dial. */
  private async meetOwnDevices (): Promise<void> {
    try {
      for (const [peer, addrs] of await this.store.takeHints()) {
        await this.components.peerStore.merge(peerIdFromString(peer), { multiaddrs: addrs.map(a => multiaddr(a)) })
      }
    } catch (err) {
      this.log('link hints - %e', err)
    }
    const self = this.components.peerId
    for (const d of this.held.list.devices) {
      if (d.device.equals(self) || !this.started) continue
      void this.components.connectionManager.openConnection(d.device, { signal: AbortSignal.timeout(PUSH_TIMEOUT_MS) })
        .catch(err => { this.log('own device %p not reached - %e', d.device, err) })
    }
  }
}

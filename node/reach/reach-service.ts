/**
 * The reach service: who may reach this node (docs/threat-model.md, "The
 * reachability model"). It owns the node's contact code and the intake
 * locator record that lets code holders find the node, and decides, for the
 * connection gater and identify (through the ReachPolicy the factory built),
 * who may connect and who may learn the node's addresses.
 */
import { CODE_P2P } from '@multiformats/multiaddr'
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { repeatingTask } from '@libp2p/utils'
import { deriveCodeKeys, formatContactCode, intakeIdentity, parseContactCode } from '../../protocol/contact-code.js'
import { MAX_CONTACT_RECEIPT_BYTES } from '../../protocol/contact-request.js'
import { LocatorPublisher } from '../locator/locator.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { SelfReferenceError } from '../roster/errors.js'
import { Backoff } from '../util/wait.js'
import { LocatorWithdrawals } from '../locator/withdrawals.js'
import { awaitFirstDhtServer } from '../util/dht-table.js'
import { CodeStore } from './code-store.js'
import {
  IDENTIFY_CONTACT_MS, INTAKE_DHT_TIMEOUT_MS, INTAKE_GOODBYE_TIMEOUT_MS, INTAKE_RETRY_BASE_MS, INTAKE_RETRY_CAP_MS, INTAKE_TTL_MS, KNOWN_ADDRESSES_MS, MAX_INTAKE_ADDRESSES,
  REACH_CAPABILITY
} from './constants.js'
import { dialTargets, exchangeThroughIntake } from './intake.js'
import { sendKnownThenRecord } from './known-then-record.js'
import type { Reach, ReachInit } from './index.js'
import type { ReachRules } from './policy.js'
import type { CodeKeys } from '../../protocol/contact-code.js'
import type { ContactsService } from '../contacts/index.js'
import type { DevicesService } from '../devices/index.js'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import type { ComponentLogger, Libp2pEvents, Logger, PeerId, PeerStore, PrivateKey, Startable, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager } from '@libp2p/interface-internal'
import type { KadDHT } from '@libp2p/kad-dht'
import type { RepeatingTask } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Datastore } from 'interface-datastore'
import type { RoutingTableView } from '../util/dht-table.js'
import type { MdnsDialer } from '../discovery/index.js'

export interface ReachComponents {
  peerId: PeerId
  privateKey: PrivateKey
  datastore: Datastore
  logger: ComponentLogger
  events: TypedEventTarget<Libp2pEvents>
  addressManager: AddressManager
  peerStore: PeerStore
  connectionManager: ConnectionManager
  /** kad-dht's routing table: a put before it holds a DHT server would wait for one until its deadline. */
  dht: KadDHT & { routingTable?: RoutingTableView }
  roster: Roster
  /** Pending requests admit their peers; optional (a node without consent has none). */
  contacts?: ContactsService
  /** This person's other devices and live link codes are admitted, revoked devices refused; optional. */
  devices?: Pick<DevicesService, 'admits' | 'isOwnDevice' | 'isRevoked'>
  /** A connected peer that becomes a contact is identified again: its answer now holds its addresses; optional. */
  identify?: Pick<Identify, 'identify'>
  /** After the visibility changed, connected peers learn what they may see now; optional. */
  identifyPush?: Pick<IdentifyPush, 'push'>
  /** What mDNS said of a LAN peer lately (a closed one refuses our dial, which leaves it out of the peer store); optional. */
  mdnsDialer?: Pick<MdnsDialer, 'lanAddresses'>
}

interface Code {
  text: string
  createdAt: number
  keys: CodeKeys
  /** The intake identity's peer id: the code's id. */
  intake: PeerId
}

const MAX_ANSWER_BYTES = MAX_CONTACT_RECEIPT_BYTES

export class ReachService implements Reach, ReachRules, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:reach'
  readonly [serviceCapabilities] = [REACH_CAPABILITY]
  readonly [serviceDependencies] = [ROSTER_CAPABILITY, '@libp2p/kad-dht']

  private readonly log: Logger
  private readonly store: CodeStore
  private readonly intake: LocatorPublisher
  private readonly task: RepeatingTask
  private readonly retry: Backoff
  /** Empty intake records of rotated codes that no DHT peer took, put again while the old record may be served. */
  private readonly withdrawals: LocatorWithdrawals
  /** Keys of the intake records this node publishes or retires, by intake peer id. */
  private readonly keysByIntake = new Map<string, CodeKeys>()
  private code?: Code
  private retryTimer?: ReturnType<typeof setTimeout>
  /** Set when a publish is asked for while one runs (the repeating task ignores that request): the run goes once more. */
  private dirty = false
  private started = false

  constructor (private readonly components: ReachComponents, private readonly init: ReachInit) {
    this.log = components.logger.forComponent('presence-mesh:reach')
    this.store = new CodeStore(components.datastore)
    const ttlMs = init.intakeTtlMs ?? INTAKE_TTL_MS
    this.intake = new LocatorPublisher({
      self: components.peerId,
      privateKey: components.privateKey,
      dht: () => components.dht,
      addresses: () => intakeAddresses(components.addressManager.getAddresses()).map(ma => ma.decapsulateCode(CODE_P2P).bytes),
      keysFor: (intake) => this.keysByIntake.get(intake) ?? missingKeys(intake),
      log: this.log,
      ttlMs,
      timeoutMs: INTAKE_DHT_TIMEOUT_MS
    })
    this.task = repeatingTask(async () => {
      do {
        this.dirty = false
        await this.publish()
      } while (this.dirty && this.started)
    }, Math.floor(ttlMs / 3), { debounce: 1_000 })
    this.retry = new Backoff({ baseMs: INTAKE_RETRY_BASE_MS, capMs: INTAKE_RETRY_CAP_MS, jitter: 0.5 })
    this.withdrawals = new LocatorWithdrawals(this.intake, {
      table: () => components.dht.routingTable,
      // the current code's record is never withdrawn while it is current
      still: (intake) => this.code?.intake.toString() !== intake,
      // an old code's keys are kept while its empty record waits for a retry
      settled: () => { this.forgetOldKeys() },
      log: this.log
    })
    this.schedule = this.schedule.bind(this)
    this.onRosterChange = this.onRosterChange.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    this.code = await this.derive(await this.store.load())
    this.init.policy.bind(this)
    this.withdrawals.start()
    this.started = true
  }

  afterStart (): void {
    this.components.events.addEventListener('self:peer:update', this.schedule)
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    this.task.start()
    this.schedule()
  }

  /**
   * A clean stop leaves code holders an empty intake record: what a stopped node leaves; holders of a
   * rotated code whose empty record waits for its retry get it now, within the same bound.
   */
  async beforeStop (): Promise<void> {
    this.components.events.removeEventListener('self:peer:update', this.schedule)
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    this.task.stop()
    clearTimeout(this.retryTimer)
    this.withdrawals.stop()
    if (this.code == null || (this.components.dht.routingTable?.size ?? 0) === 0) return
    await this.withdrawals.withdraw([this.code.intake.toString()], { signal: AbortSignal.timeout(INTAKE_GOODBYE_TIMEOUT_MS) })
  }

  stop (): void {
    this.task.stop()
    clearTimeout(this.retryTimer)
    this.withdrawals.stop()
    this.components.dht.routingTable?.removeEventListener?.('peer:add', this.schedule)
    this.init.policy.bind(undefined)
    this.started = false
  }

  // ---- the code ----

  contactCode (): string {
    return this.current().text
  }

  codeId (): string {
    return this.current().intake.toString()
  }

  async rotateContactCode (): Promise<string> {
    const old = this.current()
    this.code = await this.derive(await this.store.replace())
    // old holders find what a stopped node leaves them (put again while no DHT peer took it and the
    // old record may be served); the new record goes up at once
    void this.withdrawals.withdraw([old.intake.toString()])
      .catch((err: unknown) => { this.log('could not retire the old intake record - %e', err) })
    this.schedule()
    return this.code.text
  }

  intakeOf (peer: PeerId): string | undefined {
    return this.code?.intake.equals(peer) === true ? this.code.intake.toString() : undefined
  }

  // ---- who may reach us ----

  isOpen (): boolean {
    return this.init.open === true || this.components.roster.visibility().mode === 'public'
  }

  admits (peer: PeerId): boolean {
    const id = peer.toString()
    const { roster } = this.components
    if (roster.isBlocked(id)) return false
    const devices = this.optional('devices')
    if (devices?.isRevoked(id) === true) return false
    if (this.isOpen() || this.intakeOf(peer) != null || devices?.admits(id) === true) return true
    if (roster.canSee(id) || roster.get(id)?.watched === true) return true
    if (this.contacts()?.hasPending(id) === true) return true
    // a peer this node dialed itself already knows it is up (a DHT server, a relay, an AutoNAT dial-back)
    return this.components.connectionManager.getConnections(peer).some(c => c.direction === 'outbound')
  }

  showsAddressesTo (peer: PeerId): boolean {
    const id = peer.toString()
    if (this.components.roster.isBlocked(id)) return false
    if (this.isOpen() || this.components.roster.canSee(id) || this.optional('devices')?.isOwnDevice(id) === true) return true
    // whom we asked must be able to answer
    return this.contacts()?.requests().outgoing.some(r => r.peerId === id) === true
  }

  // ---- the requester's side ----

  async sendThroughCode (codeText: string, protocol: string, message: Uint8Array, options: { signal: AbortSignal }): Promise<Uint8Array> {
    const code = parseContactCode(codeText)
    if (code.peer.equals(this.components.peerId)) throw new SelfReferenceError('ask')
    const keys = deriveCodeKeys(code)
    const intake = await intakeIdentity(keys)
    const owner = code.peer
    const send = async (targets: Multiaddr[], signal: AbortSignal): Promise<Uint8Array> => await exchangeThroughIntake({
      key: intake.key, targets, protocol, message, maxAnswerBytes: MAX_ANSWER_BYTES, signal, createNode: this.init.createIntakeNode
    })
    return await sendKnownThenRecord({
      owner: owner.toString(),
      known: dialTargets(owner, await this.knownAddresses(owner), MAX_INTAKE_ADDRESSES),
      lookup: async (signal) => {
        const addrs = await this.intake.lookupAs(owner.toString(), intake.peerId, keys, signal).catch((err: unknown) => {
          this.log('could not look up the intake record of %p - %e', owner, err)
          return []
        })
        this.log('intake record of %p gave %d address(es) (%d DHT peers known)', owner, addrs.length, this.components.dht.routingTable?.size ?? -1)
        return dialTargets(owner, addrs, MAX_INTAKE_ADDRESSES)
      },
      send,
      graceMs: KNOWN_ADDRESSES_MS,
      signal: options.signal,
      // the owner may answer over a connection of ours later: keep what the record said
      onFound: async (found) => { await this.components.peerStore.merge(owner, { multiaddrs: found.map(t => t.decapsulateCode(CODE_P2P)) }).catch(() => {}) },
      onKnownFailed: (err) => { this.log('known addresses of %p failed, trying its intake record - %e', owner, err) }
    })
  }

  // ---- helpers ----

  private current (): Code {
    if (this.code == null) throw new Error('the reach service is not started')
    return this.code
  }

  private async derive (stored: { secret: Uint8Array, createdAt: number }): Promise<Code> {
    const owner = this.components.peerId
    const keys = deriveCodeKeys({ peer: owner, secret: stored.secret })
    const { peerId: intake } = await intakeIdentity(keys)
    this.keysByIntake.set(intake.toString(), keys)
    return { text: formatContactCode({ peer: owner, secret: stored.secret }), createdAt: stored.createdAt, keys, intake }
  }

  /** The peer store's addresses of the peer, then those mDNS gave lately (dialTargets drops repeats). */
  private async knownAddresses (peer: PeerId): Promise<Multiaddr[]> {
    const stored = await this.components.peerStore.get(peer).then(p => p.addresses.map(a => a.multiaddr), () => [])
    return [...stored, ...(this.optional('mdnsDialer')?.lanAddresses(peer) ?? [])]
  }

  private contacts (): ContactsService | undefined {
    return this.optional('contacts')
  }

  /**
   * Identify told a peer that was not a contact when it connected none of
   * our addresses, and told us none of its: once it becomes a contact, each
   * side asks the other again (both now answer with their addresses). After
   * a visibility change, identify push tells whoever may see them now.
   */
  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    const { people, visibility } = evt.detail
    if (visibility != null) this.optional('identifyPush')?.push().catch((err: unknown) => { this.log('could not push our addresses - %e', err) })
    const identify = this.optional('identify')
    if (identify == null) return
    const connections = people
      .filter(p => p.before?.contact == null && p.after?.contact != null)
      .flatMap(p => this.components.connectionManager.getConnections(peerIdFromString(p.id)))
    if (connections.length === 0) return
    evt.detail.waitUntil(Promise.all(connections.map(async c => {
      await identify.identify(c, { signal: AbortSignal.timeout(IDENTIFY_CONTACT_MS) }).catch((err: unknown) => { this.log('could not identify %p - %e', c.remotePeer, err) })
    })))
  }

  /** A component the node may not have (libp2p's components throw for a missing service). */
  private optional<K extends 'identify' | 'identifyPush' | 'contacts' | 'devices' | 'mdnsDialer'> (name: K): ReachComponents[K] | undefined {
    try {
      return this.components[name]
    } catch {
      return undefined
    }
  }

  /** The keys of rotated codes whose empty record no longer waits for a retry. */
  private forgetOldKeys (): void {
    const keep = new Set([this.code?.intake.toString(), ...this.withdrawals.pending()])
    for (const intake of this.keysByIntake.keys()) if (!keep.has(intake)) this.keysByIntake.delete(intake)
  }

  private schedule (): void {
    if (!this.started) return
    this.dirty = true
    this.task.run()
  }

  /**
   * Puts the current intake record; while no DHT node stored it, tries again
   * with backoff. With no DHT server known yet it waits for the first one
   * instead (a put would wait for it anyway, then time out, and hold up the
   * record with the addresses that come meanwhile, e.g. a relay slot's).
   */
  private async publish (): Promise<void> {
    clearTimeout(this.retryTimer)
    if (this.code == null || !this.started) return
    if (awaitFirstDhtServer(this.components.dht.routingTable, this.schedule)) return
    const stored = await this.intake.publish([this.code.intake.toString()]).catch(() => 0)
    this.log('intake record put with %s: stored by %d DHT node(s)', intakeAddresses(this.components.addressManager.getAddresses()).map(String).join(' '), stored)
    if (stored > 0) {
      this.retry.reset()
      return
    }
    // asked for again meanwhile (new addresses): the loop puts again at once
    if (this.dirty) return
    this.retryTimer = setTimeout(this.schedule, this.retry.next())
    this.retryTimer.unref?.()
  }
}

/**
 * What the intake record tells code holders: the relayed addresses when this
 * node holds relay slots (a request gets through them, and a code holder
 * learns no IP address of ours), else the direct ones.
 */
export function intakeAddresses (addrs: Multiaddr[]): Multiaddr[] {
  const relayed = addrs.filter(ma => ma.getComponents().some(c => c.name === 'p2p-circuit'))
  return relayed.length > 0 ? relayed : addrs
}

function missingKeys (intake: string): never {
  throw new Error(`no keys for intake ${peerIdFromString(intake).toString()}`)
}

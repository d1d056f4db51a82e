/**
 * The groups service: the API (index.ts) over the engine (feeds, topic,
 * catch-up), membership (ops, invitations) and the invite deliveries. It
 * turns what they report into events, hides blocked people's messages from
 * whoever blocked them, and bounds what one user may send.
 */
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { MAX_GROUP_TEXT_BYTES } from '../../protocol/group-entry.js'
import { InvalidMessageError } from '../chat/errors.js'
import { peerIdString } from '../peer-ids.js'
import { WindowCounter } from '../util/window-counter.js'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import { isUnicode } from '../../protocol/text.js'
import { GroupRuntime } from './group.js'
import { GroupEngine } from './group-engine.js'
import { GroupStore } from './group-store.js'
import { InviteDeliveries } from './invites.js'
import { DeviceGroups } from './device-groups.js'
import { Membership } from './membership.js'
import { OwnEntryJournal } from './own-journal.js'
import { AmbiguousGroupError, GroupRateLimitError, UnknownGroupError } from './errors.js'
import * as C from './constants.js'
import type { StoredInvitation, StoredMessage } from './group-store.js'
import type { GroupInfo, GroupInvitation, GroupMemberPresence, GroupMessage, GroupsEvents, GroupsService as GroupsServiceInterface, GroupsServiceInit } from './index.js'
import type { PersonDevices } from './device-groups.js'
import type { DevicesEvents, DevicesService } from '../devices/index.js'
import type { PresenceService } from '../presence/index.js'
import type { PubSub } from '../pubsub.js'
import type { Roster } from '../roster/index.js'
import type { ComponentLogger, Libp2pEvents, Logger, PeerId, PrivateKey, Startable, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Datastore } from 'interface-datastore'

export interface GroupsServiceComponents {
  peerId: PeerId
  privateKey: PrivateKey
  datastore: Datastore
  logger: ComponentLogger
  registrar: Registrar
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
  pubsub: PubSub
  roster: Roster
  presence: PresenceService
  /** This person's devices, when the node has them (they then share the person's groups, docs/protocol.md §12.8). */
  devices?: Pick<DevicesService, 'isOwnDevice' | 'devices' | 'isRevoked'> & TypedEventTarget<DevicesEvents>
}

export class GroupsService extends TypedEventEmitter<GroupsEvents> implements GroupsServiceInterface, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:groups'
  readonly [serviceCapabilities] = [C.GROUPS_CAPABILITY]
  readonly [serviceDependencies] = ['@libp2p/pubsub', ROSTER_CAPABILITY, '@presence-mesh/presence']

  private readonly log: Logger
  private readonly store: GroupStore
  private readonly engine: GroupEngine
  private readonly membership: Membership
  private readonly invites: InviteDeliveries
  private readonly deviceGroups: DeviceGroups
  private readonly sendLimiter: WindowCounter
  private readonly sendLimit: { points: number, seconds: number }
  private readonly antiEntropyMs: number
  private antiEntropy?: ReturnType<typeof setInterval>
  private readonly journalPath?: string
  private journal?: OwnEntryJournal
  private started = false

  constructor (private readonly components: GroupsServiceComponents, init: GroupsServiceInit = {}) {
    super()
    this.log = components.logger.forComponent('presence-mesh:groups')
    this.store = new GroupStore(components.datastore)
    this.engine = new GroupEngine(components, this.store, {
      messages: (g, ms) => {
        for (const m of ms) {
          if (!this.components.roster.isBlocked(m.author)) this.safeDispatchEvent('group:message', { detail: this.shown(g, m) })
        }
      },
      changes: (g, changes) => {
        this.safeDispatchEvent('group:change', { detail: { group: g.id, name: g.name, changes } })
        void this.deviceGroups.onChanges(g, changes)
      },
      states: (_g, messages, state) => {
        for (const m of messages) this.safeDispatchEvent('group:state', { detail: { ...m, state } })
      }
    }, this.log, init.receivesPerWindow ?? C.RECEIVES_PER_WINDOW, (peer) => this.personDevices()?.isRevoked(peer) === true)
    this.membership = new Membership(this.engine, components.roster, {
      invitation: (inv) => { this.safeDispatchEvent('group:invitation', { detail: this.invitationInfo(inv) }) }
    }, this.log, (peer) => this.personDevices()?.isOwnDevice(peer) === true)
    this.deviceGroups = new DeviceGroups(this.engine.me, this.membership, () => this.engine.groups.values(), () => this.personDevices(), this.log)
    this.invites = new InviteDeliveries(components, this.store, {
      onInvitation: async (from, group, ops) => await this.membership.onInvitation(from, group, ops),
      onAnswer: async (from, group, op) => await this.membership.onAnswer(from, group, op),
      opsToInvite: (group) => this.membership.opsToInvite(group)
    }, this.log)
    this.membership.invites = this.invites
    this.sendLimit = { points: init.sendsPerWindow ?? C.SENDS_PER_WINDOW, seconds: init.sendWindowSeconds ?? C.SEND_WINDOW_SECONDS }
    this.sendLimiter = new WindowCounter(this.sendLimit.points, this.sendLimit.seconds * 1000)
    this.antiEntropyMs = init.antiEntropyMs ?? C.ANTI_ENTROPY_MS
    this.journalPath = init.journal
    this.onPeerConnect = this.onPeerConnect.bind(this)
    this.onDevicesChange = this.onDevicesChange.bind(this)
  }

  /** The devices service, when the node runs one (an app may run groups without). */
  private ownDevices (): GroupsServiceComponents['devices'] {
    try {
      return this.components.devices
    } catch {
      return undefined
    }
  }

  private person?: PersonDevices | null
  /** This person's devices as the groups read them (looked up once: the writer asks on every entry). */
  private personDevices (): PersonDevices | undefined {
    if (this.person === undefined) {
      const devices = this.ownDevices()
      this.person = devices == null ? null : { isOwnDevice: (peer) => devices.isOwnDevice(peer), current: () => devices.devices().map(d => d.peerId), isRevoked: (peer) => devices.isRevoked(peer) }
    }
    return this.person ?? undefined
  }

  private onDevicesChange (): void {
    void this.deviceGroups.onDevicesChange()
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    const journal = this.journalPath == null ? undefined : await OwnEntryJournal.open(this.journalPath)
    this.journal = journal?.journal
    await this.engine.load(journal)
    await this.membership.load()
    await this.invites.start()
    await this.components.registrar.handle(C.SYNC_PROTOCOL, async (stream, connection) => { await this.engine.handleSync(stream, connection) }, {
      maxInboundStreams: C.MAX_INBOUND_STREAMS, maxOutboundStreams: C.MAX_OUTBOUND_STREAMS, runOnLimitedConnection: true
    })
    this.started = true
  }

  afterStart (): void {
    this.engine.start()
    this.invites.afterStart()
    this.components.events.addEventListener('peer:connect', this.onPeerConnect)
    this.ownDevices()?.addEventListener('devices:change', this.onDevicesChange)
    // a device linked while this one was off joins the groups now; one revoked meanwhile leaves them
    void this.deviceGroups.start()
    this.antiEntropy = setInterval(() => { this.catchUpRandomly() }, this.antiEntropyMs)
    this.antiEntropy.unref?.()
    for (const g of this.engine.groups.values()) if (g.standing(this.engine.me) === 'member') this.engine.catchUpSoon(g)
  }

  async stop (): Promise<void> {
    clearInterval(this.antiEntropy)
    this.components.events.removeEventListener('peer:connect', this.onPeerConnect)
    this.ownDevices()?.removeEventListener('devices:change', this.onDevicesChange)
    this.engine.stop()
    await this.invites.stop()
    await this.components.registrar.unhandle(C.SYNC_PROTOCOL)
    this.journal?.close()
    this.started = false
  }

  // ---- membership ----

  async create (name: string, members: Array<PeerId | string> = []): Promise<GroupInfo> {
    const g = await this.membership.create(name, members.map(peerIdString))
    await this.deviceGroups.bringSiblings(g)
    return this.info(g)
  }

  async invite (group: string, peer: PeerId | string): Promise<void> {
    await this.membership.invite(this.resolve(group), peerIdString(peer))
  }

  async accept (group: string): Promise<GroupInfo> {
    return this.info(await this.membership.accept(this.resolve(group)))
  }

  async decline (group: string): Promise<void> {
    await this.membership.decline(this.resolve(group))
  }

  async leave (group: string): Promise<void> {
    await this.membership.leave(this.resolve(group))
  }

  async remove (group: string, peer: PeerId | string): Promise<void> {
    await this.membership.remove(this.resolve(group), peerIdString(peer))
  }

  async rename (group: string, name: string): Promise<void> {
    await this.membership.rename(this.resolve(group), name)
  }

  async promote (group: string, peer: PeerId | string): Promise<void> {
    await this.membership.promote(this.resolve(group), peerIdString(peer))
  }

  // ---- reading ----

  list (): GroupInfo[] {
    return [...this.engine.groups.values()].map(g => this.info(g)).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
  }

  get (group: string): GroupInfo {
    const id = this.resolve(group)
    const g = this.engine.groups.get(id)
    if (g == null) throw new UnknownGroupError(group)
    return this.info(g)
  }

  /** An exact id, a unique id prefix (4 hex digits or more) or a unique name, of a group or an invitation. */
  resolve (nameOrId: string): string {
    const known = new Map<string, string>()
    for (const g of this.engine.groups.values()) known.set(g.id, g.name)
    for (const inv of this.membership.invitations.values()) if (!known.has(inv.group)) known.set(inv.group, this.invitationInfo(inv).name)
    if (known.has(nameOrId)) return nameOrId
    const byName = [...known].filter(([, name]) => name === nameOrId).map(([id]) => id)
    const byPrefix = /^[0-9a-f]{4,}$/.test(nameOrId) ? [...known.keys()].filter(id => id.startsWith(nameOrId)) : []
    const matches = byName.length > 0 ? byName : byPrefix
    if (matches.length === 1) return matches[0]
    if (matches.length > 1) throw new AmbiguousGroupError(nameOrId, matches)
    throw new UnknownGroupError(nameOrId)
  }

  invitations (): GroupInvitation[] {
    return [...this.membership.invitations.values()].map(inv => this.invitationInfo(inv))
  }

  private readonly invitationInfos = new WeakMap<StoredInvitation, GroupInvitation>()
  private invitationInfo (inv: StoredInvitation): GroupInvitation {
    let info = this.invitationInfos.get(inv)
    if (info == null) {
      info = invitationInfo(inv)
      this.invitationInfos.set(inv, info)
    }
    return { ...info, members: [...info.members] }
  }

  async history (group: string, limit?: number): Promise<GroupMessage[]> {
    const g = this.engine.groups.get(this.resolve(group))
    if (g == null) return []
    const { roster } = this.components
    return (await this.store.messages(g.id, limit)).filter(m => !roster.isBlocked(m.author)).map(m => this.shown(g, m))
  }

  async unread (): Promise<Record<string, number>> {
    const shown = this.countsAsUnread()
    const out: Record<string, number> = {}
    for (const id of this.engine.groups.keys()) {
      const n = await this.store.unreadCount(id, shown)
      if (n > 0) out[id] = n
    }
    return out
  }

  async unreadMessages (group: string, limit?: number): Promise<GroupMessage[]> {
    const g = this.engine.groups.get(this.resolve(group))
    if (g == null) return []
    return (await this.store.unreadMessages(g.id, this.countsAsUnread(), limit)).map(m => this.shown(g, m))
  }

  async markRead (group: string, ids?: string[]): Promise<number> {
    return await this.store.markRead(this.resolve(group), ids)
  }

  /** Texts from blocked people are hidden, and this node's own (caught up after a restore) were never news. */
  private countsAsUnread (): (author: string) => boolean {
    const { roster } = this.components
    return (author) => author !== this.engine.me && !roster.isBlocked(author)
  }

  online (group: string): GroupMemberPresence[] {
    const g = this.engine.groups.get(this.resolve(group))
    if (g == null) return []
    const { presence, roster } = this.components
    return [...g.state.members].filter(([p]) => !roster.isBlocked(p)).map(([peerId, m]) => ({
      peerId,
      role: m.role,
      status: peerId === this.engine.me ? presence.self.status : presence.get(peerId)?.status ?? 'unknown'
    }))
  }

  async catchUp (group: string): Promise<number> {
    const g = this.membership.member(this.resolve(group))
    return await this.engine.catchUp(g)
  }

  // ---- sending ----

  async send (group: string, text: string): Promise<GroupMessage> {
    const g = this.membership.member(this.resolve(group))
    checkText(text)
    if (!this.sendLimiter.take(g.id)) throw new GroupRateLimitError(g.id, this.sendLimit.points, this.sendLimit.seconds, this.sendLimiter.msBeforeNext(g.id))
    const w = await this.engine.write(g, [() => ({ kind: 'text', text })])
    const m = this.shown(g, w.messages[0])
    if (m.state === 'queued') g.awaitingOut.set(m.seq, w.messages[0])
    return m
  }

  // ---- helpers ----

  private info (g: GroupRuntime): GroupInfo {
    const s = g.state
    return {
      id: g.id,
      name: g.name,
      topic: g.topic,
      standing: g.standing(this.engine.me),
      role: g.role(this.engine.me),
      members: [...s.members].map(([peerId, m]) => ({ peerId, role: m.role })),
      invited: [...s.invited].map(([peerId, i]) => ({ peerId, by: i.by }))
    }
  }

  /** A stored message with the delivery state of an outgoing one. */
  private shown (g: GroupRuntime, m: StoredMessage): GroupMessage {
    if (m.direction === 'in') return { ...m }
    const state = m.seq <= g.meta.delivered ? 'delivered' : g.published.has(m.seq) ? 'sent' : 'queued'
    return { ...m, state }
  }

  private onPeerConnect (evt: CustomEvent<PeerId>): void {
    const peer = evt.detail.toString()
    for (const g of this.engine.groups.values()) {
      if (g.standing(this.engine.me) === 'member' && ['member', 'invited'].includes(g.standing(peer))) this.engine.catchUpWith(g, peer).catch(() => {})
    }
  }

  /** Anti-entropy: each group catches up with one connected member picked at random. */
  private catchUpRandomly (): void {
    for (const g of this.engine.groups.values()) {
      if (g.standing(this.engine.me) !== 'member') continue
      const peers = this.engine.connectedMembers(g)
      if (peers.length > 0) this.engine.catchUpWith(g, peers[Math.floor(Math.random() * peers.length)]).catch(() => {})
    }
  }
}

function checkText (text: string): void {
  if (typeof text !== 'string' || text.length === 0) throw new InvalidMessageError('empty')
  if (!isUnicode(text)) throw new InvalidMessageError('not-unicode')
  // well-formed (above): its UTF-8 length, counted without encoding it
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > MAX_GROUP_TEXT_BYTES) throw new InvalidMessageError('too-long', bytes, MAX_GROUP_TEXT_BYTES)
}

/** What an invitation says: the group's name and members by its inviter's log. */
function invitationInfo (inv: StoredInvitation): GroupInvitation {
  const state = GroupRuntime.logFrom(inv.ops, Buffer.from(inv.group, 'hex')).state()
  return { group: inv.group, name: state.name, inviter: inv.inviter, members: [...state.members.keys()], receivedAt: inv.receivedAt }
}

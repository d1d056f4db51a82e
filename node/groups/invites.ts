/**
 * Invitations and answers (/presence-mesh/group-invite/1.0.0): one message per
 * stream, confirmed by a receipt. Each is queued durably with the op that
 * caused it and retried (at once, on every connection of the recipient, else
 * with backoff) until the recipient confirms it, as contact requests are.
 * What a message means is the service's (hooks).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { decodeInviteMessage, decodeInviteReceipt, MAX_GROUP_STREAM_FRAME_BYTES } from '../../protocol/group-streams.js'
import { GroupInviteMessage, GroupInviteReceipt, GroupInviteKind } from '../../protocol/pb/group.js'
import { backoffDelay } from '../util/wait.js'
import { pad } from './group-store.js'
import * as C from './constants.js'
import type { Delivery, GroupStore } from './group-store.js'
import type { Roster } from '../roster/index.js'
import type { Transaction } from '../store/records.js'
import type { Connection, Libp2pEvents, Logger, PeerId, Stream, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import { openStreamTo } from '../util/open-stream.js'
import { askOnce } from '../util/ask-once.js'

export interface InviteHooks {
  /** An invitation from `from`; false refuses it for good (not a contact, not valid). */
  onInvitation: (from: string, group: Uint8Array, ops: Uint8Array[]) => Promise<boolean>
  /** An invitee's JOIN or DECLINE op; false refuses it for good. */
  onAnswer: (from: string, group: Uint8Array, op: Uint8Array) => Promise<boolean>
  /** The ops an invitation carries now (the group's whole log); undefined: nothing to deliver any more. */
  opsToInvite: (group: string) => Uint8Array[] | undefined
}

export interface InviteComponents {
  connectionManager: ConnectionManager
  registrar: Registrar
  events: TypedEventTarget<Libp2pEvents>
  roster: Roster
}

export class InviteDeliveries {
  private queue: Delivery[] = []
  private readonly busy = new Set<string>()
  private timer?: ReturnType<typeof setTimeout>
  private started = false

  constructor (private readonly components: InviteComponents, private readonly store: GroupStore, private readonly hooks: InviteHooks, private readonly log: Logger) {
    this.handle = this.handle.bind(this)
    this.onPeerConnect = this.onPeerConnect.bind(this)
  }

  async start (): Promise<void> {
    this.queue = [...(await this.store.deliveries.all()).values()]
    await this.components.registrar.handle(C.INVITE_PROTOCOL, this.handle, {
      maxInboundStreams: C.MAX_INBOUND_STREAMS, maxOutboundStreams: C.MAX_OUTBOUND_STREAMS, runOnLimitedConnection: true
    })
    this.started = true
  }

  afterStart (): void {
    this.components.events.addEventListener('peer:connect', this.onPeerConnect)
    for (const to of new Set(this.queue.map(d => d.to))) this.deliverTo(to)
  }

  async stop (): Promise<void> {
    this.started = false
    clearTimeout(this.timer)
    this.components.events.removeEventListener('peer:connect', this.onPeerConnect)
    await this.components.registrar.unhandle(C.INVITE_PROTOCOL)
  }

  /** Deliveries waiting, for one peer or all. */
  pending (to?: string): number {
    return this.queue.filter(d => to == null || d.to === to).length
  }

  /** Stages a delivery into the caller's transaction; it is tried once that committed. */
  add (tx: Transaction, d: Pick<Delivery, 'to' | 'group' | 'kind' | 'op'>): void {
    const now = Date.now()
    const delivery: Delivery = { ...d, id: `${pad(now)}-${d.group}-${d.kind}-${d.to}`, createdAt: now, attempts: 0, nextAt: now }
    this.store.deliveries.put(tx, delivery.id, delivery)
    tx.afterCommit(() => {
      this.queue = [...this.queue.filter(x => x.id !== delivery.id), delivery]
      this.deliverTo(delivery.to)
    })
  }

  // ---- receiving ----

  private async handle (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(C.STREAM_TIMEOUT_MS)
    const from = connection.remotePeer.toString()
    if (this.components.roster.isBlocked(from)) {
      stream.abort(new Error('unreachable'))
      return
    }
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_GROUP_STREAM_FRAME_BYTES })
      const decoded = decodeInviteMessage((await lp.read({ signal })).subarray())
      if (!decoded.ok) throw new Error(`${decoded.reason} invitation: ${decoded.detail ?? ''}`)
      const msg = decoded.frame
      let accepted = false
      if (msg.kind === GroupInviteKind.INVITATION) accepted = await this.hooks.onInvitation(from, msg.group, msg.ops)
      else if (msg.kind === GroupInviteKind.ANSWER && msg.ops.length === 1) accepted = await this.hooks.onAnswer(from, msg.group, msg.ops[0])
      await lp.write(GroupInviteReceipt.encode({ accepted }), { signal })
      await stream.close({ signal })
    } catch (err: any) {
      this.log('group invite stream from %s failed - %e', from, err)
      stream.abort(err)
    }
  }

  // ---- sending ----

  private onPeerConnect (evt: CustomEvent<PeerId>): void {
    const peer = evt.detail.toString()
    if (this.queue.some(d => d.to === peer)) this.deliverTo(peer)
  }

  private deliverTo (to: string): void {
    if (!this.started || this.busy.has(to) || this.components.roster.isBlocked(to)) return
    this.busy.add(to)
    void (async () => {
      try {
        for (const d of this.queue.filter(x => x.to === to)) {
          if (!this.started) break
          if (!await this.deliver(d)) {
            // the peer is out of reach: whatever else waits for it waits as long (else the timer spins on the others)
            await this.retryLater(d, this.queue.filter(x => x.to === to && x.id !== d.id))
            break
          }
          await this.finish(d)
        }
      } catch (err) {
        this.log.error('group deliveries to %s failed - %e', to, err)
      } finally {
        this.busy.delete(to)
        this.schedule()
      }
    })()
  }

  /** One attempt: true once the recipient answered (or there is nothing left to deliver). */
  private async deliver (d: Delivery): Promise<boolean> {
    const ops = d.kind === 'invitation' ? this.hooks.opsToInvite(d.group) : (d.op == null ? undefined : [d.op])
    if (ops == null || Date.now() - d.createdAt > C.MAX_DELIVERY_AGE_MS) return true
    const signal = AbortSignal.timeout(C.STREAM_TIMEOUT_MS)
    try {
      const stream = await openStreamTo(this.components.connectionManager, peerIdFromString(d.to), C.INVITE_PROTOCOL, { signal, runOnLimitedConnection: true })
      const kind = d.kind === 'invitation' ? GroupInviteKind.INVITATION : GroupInviteKind.ANSWER
      const request = GroupInviteMessage.encode({ kind, group: Uint8Array.from(Buffer.from(d.group, 'hex')), ops: ops.map(o => Uint8Array.from(o)) })
      const receipt = decodeInviteReceipt(await askOnce(stream, request, { maxDataLength: 64, signal }))
      if (!receipt.ok) throw new Error(`${receipt.reason} receipt`)
      if (!receipt.frame.accepted) this.log('%s refused our group %s for good', d.to, d.kind)
      return true
    } catch (err: any) {
      this.log('could not deliver a group %s to %s (attempt %d) - %s', d.kind, d.to, d.attempts + 1, err?.message)
      return false
    }
  }

  private async finish (d: Delivery): Promise<void> {
    await this.store.store.write((tx) => {
      this.store.deliveries.delete(tx, d.id)
      tx.afterCommit(() => { this.queue = this.queue.filter(x => x.id !== d.id) })
    })
  }

  /** `d` failed: it is tried again after a backoff, and so are `alike` (to the same peer) at the earliest. */
  private async retryLater (d: Delivery, alike: Delivery[] = []): Promise<void> {
    const attempts = d.attempts + 1
    const nextAt = Date.now() + backoffDelay(attempts, { baseMs: C.RETRY_BASE_MS, capMs: C.RETRY_CAP_MS, jitter: C.RETRY_JITTER })
    const changed = [{ ...d, attempts, nextAt }, ...alike.filter(x => x.nextAt < nextAt).map(x => ({ ...x, nextAt }))]
    await this.store.store.write((tx) => {
      const now = changed.filter(c => this.queue.some(x => x.id === c.id))
      for (const c of now) this.store.deliveries.put(tx, c.id, c)
      tx.afterCommit(() => {
        const byId = new Map(now.map(c => [c.id, c]))
        this.queue = this.queue.map(x => byId.get(x.id) ?? x)
      })
    })
  }

  private schedule (): void {
    clearTimeout(this.timer)
    if (!this.started) return
    const waiting = this.queue.filter(d => !this.busy.has(d.to))
    if (waiting.length === 0) return
    const at = Math.min(...waiting.map(d => d.nextAt))
    this.timer = setTimeout(() => {
      const now = Date.now()
      for (const to of new Set(this.queue.filter(d => d.nextAt <= now).map(d => d.to))) this.deliverTo(to)
      this.schedule()
    }, Math.max(0, at - Date.now()))
    this.timer.unref?.()
  }
}

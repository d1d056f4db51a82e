/**
 * Who is in a group, as this user changes it: create, invite (contacts only),
 * accept or decline an invitation, leave, remove, rename, promote. Each is
 * one signed op, committed with the feed entry that carries it and any
 * delivery it needs (an invitation to the invitee, an answer to the
 * inviter), and checked here first so that bad input is a typed error
 * rather than an op the log would ignore.
 */
import { hex, openGroupOp, originalOf, sealGroupOp, checkGroupName, LATEST_GROUP_RULES } from '../../protocol/group-op.js'
import { GROUP_ID_BYTES, randomBytes } from '../../protocol/group-crypto.js'
import { MAX_GROUP_MEMBERS } from '../../protocol/group-entry.js'
import { MembershipLog } from '../../protocol/group-log.js'
import { invitesOf, mayRemove } from '../../protocol/group-rules.js'
import { BlockedPeerError } from '../contacts/errors.js'
import { NotAContactError, SelfReferenceError } from '../roster/errors.js'
import { addOp, ReadBatch } from './feed-reader.js'
import { GroupRuntime } from './group.js'
import { GroupFullError, GroupMembershipError, InvalidGroupNameError, NoInvitationError, NotAGroupMemberError, NotGroupAdminError, SeniorAdminError } from './errors.js'
import { MAX_GROUPS, MAX_PENDING_INVITATIONS } from './constants.js'
import type { GroupEngine } from './group-engine.js'
import type { StoredInvitation } from './group-store.js'
import type { InviteDeliveries } from './invites.js'
import type { Roster } from '../roster/index.js'
import type { GroupOp } from '../../protocol/group-op.js'
import type { Logger } from '@libp2p/interface'

export interface MembershipHooks {
  invitation: (inv: StoredInvitation) => void
}

export class Membership {
  /** Invitations waiting for this user's answer, by group id. */
  readonly invitations = new Map<string, StoredInvitation>()

  constructor (
    private readonly engine: GroupEngine,
    private readonly roster: Roster,
    private readonly hooks: MembershipHooks,
    private readonly log: Logger,
    /** Another current device of this node's person (§12.8): invited without being a contact, and its invitations accepted by themselves. */
    private readonly ownDevice: (peer: string) => boolean = () => false
  ) {}

  /** Set after construction: deliveries call back into this class. */
  invites!: InviteDeliveries

  async load (): Promise<void> {
    for (const inv of (await this.engine.store.invitations.all()).values()) this.invitations.set(inv.group, inv)
  }

  private get me (): string { return this.engine.me }

  /** A group this node is a member of (else NotAGroupMemberError). */
  member (id: string): GroupRuntime {
    const g = this.engine.groups.get(id)
    const standing = g?.standing(this.me) ?? (this.invitations.has(id) ? 'invited' : 'none')
    if (g == null || standing !== 'member') throw new NotAGroupMemberError(id, standing === 'member' ? 'none' : standing)
    return g
  }

  private admin (id: string, action: string): GroupRuntime {
    const g = this.member(id)
    if (g.role(this.me) !== 'admin') throw new NotGroupAdminError(id, action)
    return g
  }

  /** A contact, or another device of this person, that this node may invite: not itself, not blocked. */
  private invitable (peer: string): void {
    if (peer === this.me) throw new SelfReferenceError('invite')
    if (this.roster.isBlocked(peer)) throw new BlockedPeerError(peer)
    if (!this.roster.isContact(peer) && !this.ownDevice(peer)) throw new NotAContactError(peer)
  }

  async create (name: string, members: string[]): Promise<GroupRuntime> {
    try { checkGroupName(name) } catch (err: any) { throw new InvalidGroupNameError(name, err.message) }
    if (this.engine.groups.size >= MAX_GROUPS) throw new GroupFullError('', MAX_GROUPS, 'groups')
    const invitees = [...new Set(members)]
    for (const p of invitees) this.invitable(p)
    if (invitees.length + 1 > MAX_GROUP_MEMBERS) throw new GroupFullError('', MAX_GROUP_MEMBERS, 'members')
    const groupId = randomBytes(GROUP_ID_BYTES)
    const id = hex(groupId)
    const root = sealGroupOp({ group: groupId, kind: 'create', name, rules: LATEST_GROUP_RULES, parents: [], createdAt: Date.now() }, this.engine.ctx.privateKey)
    const log = new MembershipLog(root.id)
    log.add(root)
    const g = new GroupRuntime({ id, root: root.id, lamport: 0, delivered: 0, joinedAt: Date.now() }, log)
    const ops: GroupOp[] = [root]
    for (const target of invitees) {
      const op = sealGroupOp({ group: groupId, kind: 'invite', target, parents: log.heads(), createdAt: Date.now() }, this.engine.ctx.privateKey)
      log.add(op)
      ops.push(op)
    }
    // registered first: the invitations read the group's log when they go out
    this.engine.register(g)
    try {
      await this.engine.write(g, ops.map(op => () => ({ kind: 'op', op: op.envelope })), (tx) => {
        for (const op of ops) this.engine.store.ops.within(id).put(tx, op.id, op.envelope)
        for (const to of invitees) this.invites.add(tx, { to, group: id, kind: 'invitation' })
      })
    } catch (err) {
      this.engine.unregister(g)
      throw err
    }
    return g
  }

  async invite (id: string, peer: string): Promise<void> {
    const g = this.member(id)
    this.invitable(peer)
    const s = g.state
    if (s.members.has(peer) || s.invited.has(peer)) throw new GroupMembershipError(id, peer, 'already-in')
    if (s.members.size + s.invited.size >= MAX_GROUP_MEMBERS) throw new GroupFullError(id, MAX_GROUP_MEMBERS, 'members')
    await this.engine.act(g, { kind: 'invite', target: peer }, (tx) => { this.invites.add(tx, { to: peer, group: id, kind: 'invitation' }) })
  }

  async remove (id: string, peer: string): Promise<void> {
    const g = this.admin(id, 'remove members')
    if (peer === this.me) throw new SelfReferenceError('remove')
    const rules2 = g.log.rules === 2
    // rules 2: removing a member that left cuts what it may still write down to what this node has read of it
    const left = rules2 ? g.state.gone.get(peer) : undefined
    if (!['member', 'invited'].includes(g.standing(peer)) && left?.how !== 'left') throw new GroupMembershipError(id, peer, 'not-in')
    if (rules2 && !mayRemove(g.state, this.me, peer)) throw new SeniorAdminError(id, peer)
    const read = (g.positions.get(peer) ?? 1) - 1
    await this.engine.act(g, { kind: 'remove', target: peer, upTo: Math.min(read, left?.upTo ?? read) })
  }

  async rename (id: string, name: string): Promise<void> {
    const g = this.admin(id, 'rename the group')
    try { checkGroupName(name) } catch (err: any) { throw new InvalidGroupNameError(name, err.message) }
    await this.engine.act(g, { kind: 'rename', name })
  }

  async promote (id: string, peer: string): Promise<void> {
    const g = this.admin(id, 'make admins')
    if (g.standing(peer) !== 'member') throw new GroupMembershipError(id, peer, 'not-in')
    if (g.role(peer) === 'admin') throw new GroupMembershipError(id, peer, 'already-admin')
    await this.engine.act(g, { kind: 'promote', target: peer })
  }

  async leave (id: string): Promise<void> {
    const g = this.member(id)
    // the leave is the last entry of this node's feed that counts: after the key, if one is due
    const recipients = g.recipients(this.me, this.engine.ctx.excluded)
    const rotating = g.ownKey == null || g.ownKey.recipients.join() !== recipients.join()
    const upTo = g.lastOwnSeq(this.me) + (rotating && recipients.length > 0 ? 2 : 1)
    await this.engine.act(g, { kind: 'leave', upTo })
  }

  async accept (id: string): Promise<GroupRuntime> {
    const inv = this.invitations.get(id)
    if (inv == null) throw new NoInvitationError(id)
    const groupId = Buffer.from(id, 'hex')
    let g = this.engine.groups.get(id)
    if (g == null && this.engine.groups.size >= MAX_GROUPS) throw new GroupFullError(id, MAX_GROUPS, 'groups')
    if (g == null) {
      const root = inv.ops.map(o => openGroupOp(o, groupId)).find(r => r.ok && r.op.kind === 'create')
      if (root == null || !root.ok) throw new NoInvitationError(id)
      const rootId = originalOf(root.op).id
      g = new GroupRuntime({ id, root: rootId, lamport: 0, delivered: 0, joinedAt: Date.now() }, GroupRuntime.logFrom(inv.ops, groupId, rootId))
    } else {
      const batch = new ReadBatch(g.state)
      for (const o of inv.ops) {
        const r = openGroupOp(o, groupId)
        if (r.ok) addOp(g, r.op, this.engine.ctx, batch)
      }
      await this.engine.commitRead(g, batch)
    }
    if (g.standing(this.me) !== 'invited') {
      await this.dropInvitation(id)
      throw new NoInvitationError(id)
    }
    const runtime = g
    this.engine.register(runtime)
    // rules 2: the JOIN names the INVITE it answers, the inviter's (another device of this person may have invited
    // nobody: then the invitation's own), so a concurrent INVITE of this node sorting first is not its period (§12.2)
    const answers = g.log.rules === 2 ? invitationBy(g.log, this.me, inv.inviter) ?? g.state.invited.get(this.me)?.period : undefined
    await this.engine.act(runtime, { kind: 'join', answers }, (tx, op) => {
      for (const o of runtime.log.ops()) this.engine.store.ops.within(id).put(tx, o.id, o.envelope)
      this.engine.store.invitations.delete(tx, id)
      this.invites.add(tx, { to: inv.inviter, group: id, kind: 'answer', op: op.envelope })
      tx.afterCommit(() => { this.invitations.delete(id) })
    })
    this.engine.catchUpSoon(runtime, inv.inviter)
    return runtime
  }

  async decline (id: string): Promise<void> {
    const inv = this.invitations.get(id)
    if (inv == null) throw new NoInvitationError(id)
    const groupId = Buffer.from(id, 'hex')
    const log = this.engine.groups.get(id)?.log ?? GroupRuntime.logFrom(inv.ops, groupId)
    const op = sealGroupOp({ group: groupId, kind: 'decline', parents: log.parentsFor(this.me, { kind: 'decline' }), createdAt: Date.now() }, this.engine.ctx.privateKey)
    await this.engine.store.store.write((tx) => {
      this.engine.store.invitations.delete(tx, id)
      this.invites.add(tx, { to: inv.inviter, group: id, kind: 'answer', op: op.envelope })
      tx.afterCommit(() => { this.invitations.delete(id) })
    })
  }

  private async dropInvitation (id: string): Promise<void> {
    await this.engine.store.store.write((tx) => {
      this.engine.store.invitations.delete(tx, id)
      tx.afterCommit(() => { this.invitations.delete(id) })
    })
  }

  // ---- the invite protocol's hooks ----

  /**
   * A contact's invitation: kept if its ops are a valid log in which that
   * contact invited this node. One from another device of this person that
   * is a member (by its log) is accepted at once, whoever invited this node
   * there (the person is in the group already, §12.8). From anyone else it
   * throws, so the sender tries again later: a device this node's list does
   * not name yet may be a new device of its person.
   */
  async onInvitation (from: string, group: Uint8Array, ops: Uint8Array[]): Promise<boolean> {
    if (group.length !== GROUP_ID_BYTES) return false
    const sibling = from !== this.me && this.ownDevice(from)
    if (!sibling && !this.roster.isContact(from)) throw new NotAContactError(from)
    const id = hex(group)
    const log = GroupRuntime.logFrom(ops, group)
    const state = log.state()
    if (sibling ? !(state.invited.has(this.me) && state.members.has(from)) : invitationBy(log, this.me, from) === undefined) return false
    const g = this.engine.groups.get(id)
    if (g?.standing(this.me) === 'member') return true
    if (!sibling && !this.invitations.has(id) && this.invitations.size >= MAX_PENDING_INVITATIONS) return false
    const inv: StoredInvitation = { group: id, inviter: from, ops: log.ops().map(o => o.envelope), receivedAt: Date.now() }
    await this.engine.store.store.write((tx) => {
      this.engine.store.invitations.put(tx, id, inv)
      tx.afterCommit(() => {
        this.invitations.set(id, inv)
        if (!sibling) this.hooks.invitation(inv)
      })
    })
    if (sibling) {
      this.accept(id).catch((err: unknown) => { this.log('could not accept the invitation of device %s to group %s - %e', from, id, err) })
    }
    return true
  }

  /** An invitee's join or decline, sent to its inviter: added to the log and passed on in this node's feed. */
  async onAnswer (from: string, group: Uint8Array, bytes: Uint8Array): Promise<boolean> {
    const g = this.engine.groups.get(hex(group))
    if (g == null) return false
    const res = openGroupOp(bytes, g.groupId)
    if (!res.ok || res.op.author !== from || (res.op.kind !== 'join' && res.op.kind !== 'decline')) return false
    // a copy is read as the op it copies (§12.2 "Copies"): its author can make any number, each a new id, and none
    // is another answer; one this node holds is no news
    const answer = originalOf(res.op)
    if (g.log.has(answer.id)) return true
    // an answer is its author's to an invitation this node's log holds: from anyone else (a group's id is in clear in
    // its entries) it is none, and answers on ops this node lacks would wait here, each a slot of the 1,000 (a
    // stranger's thousand answers filled every member's log: no op could be made again, session 21 review)
    if (g.standing(from) !== 'invited') return false
    if (!answer.parents.every(p => g.log.complete(p))) throw new Error('an answer on ops this node does not hold yet: later')
    const batch = new ReadBatch(g.state)
    if (addOp(g, answer, this.engine.ctx, batch) === 'refused') return false
    await this.engine.commitRead(g, batch)
    if (g.standing(this.me) === 'member') {
      await this.engine.write(g, [() => ({ kind: 'op', op: answer.envelope })]).catch((err: unknown) => {
        this.log.error('could not pass on the answer of %s - %e', from, err)
      })
    }
    return true
  }

  /** What an invitation to `id` carries when it is delivered: the group's whole log now (nothing once this node is no member: it left, so does its invitation). */
  opsToInvite (id: string): Uint8Array[] | undefined {
    const g = this.engine.groups.get(id)
    return g?.standing(this.me) === 'member' ? g.log.ops().map(o => o.envelope) : undefined
  }
}

/**
 * The INVITE by `inviter` that `invitee`'s invitation in `log` stands on:
 * its own or, rules 2, a concurrent one (§12.2); undefined when there is none.
 */
function invitationBy (log: MembershipLog, invitee: string, inviter: string): string | undefined {
  return invitesOf(log.state(), invitee).find(id => log.get(id)?.author === inviter)
}


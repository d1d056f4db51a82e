/**
 * What the groups service refuses, as typed errors: the name says what went
 * wrong, the fields say about what. Wording for people lives in cli/.
 */
import { MAX_GROUP_OPS } from '../../protocol/group-log.js'

export class UnknownGroupError extends Error {
  static override name = 'UnknownGroupError'
  constructor (readonly input: string) {
    super(`no group ${input}`)
    this.name = 'UnknownGroupError'
  }
}

/** A name several groups share: the id (or a longer prefix of it) tells them apart. */
export class AmbiguousGroupError extends Error {
  static override name = 'AmbiguousGroupError'
  constructor (readonly input: string, readonly matches: string[]) {
    super(`${input} names ${matches.length} groups: ${matches.join(', ')}`)
    this.name = 'AmbiguousGroupError'
  }
}

/** This node is not (or no longer) a member of the group. */
export class NotAGroupMemberError extends Error {
  static override name = 'NotAGroupMemberError'
  constructor (readonly group: string, readonly standing: 'invited' | 'left' | 'removed' | 'none') {
    super(`not a member of group ${group} (${standing})`)
    this.name = 'NotAGroupMemberError'
  }
}

export class NotGroupAdminError extends Error {
  static override name = 'NotGroupAdminError'
  constructor (readonly group: string, readonly action: string) {
    super(`only an admin of group ${group} may ${action}`)
    this.name = 'NotGroupAdminError'
  }
}

/** The peer is a member or invited already (invite), or neither (remove, promote). */
export class GroupMembershipError extends Error {
  static override name = 'GroupMembershipError'
  constructor (readonly group: string, readonly peer: string, readonly problem: 'already-in' | 'not-in' | 'already-admin') {
    super(problem === 'already-in' ? `${peer} is already in group ${group}` : problem === 'not-in' ? `${peer} is not in group ${group}` : `${peer} is already an admin of group ${group}`)
    this.name = 'GroupMembershipError'
  }
}

/** Rules 2 (docs/protocol.md §12.2): an admin may remove only admins junior to it (made admin after it). */
export class SeniorAdminError extends Error {
  static override name = 'SeniorAdminError'
  constructor (readonly group: string, readonly peer: string) {
    super(`${peer} became an admin of group ${group} before this node did: only a senior admin may remove them`)
    this.name = 'SeniorAdminError'
  }
}

export class GroupFullError extends Error {
  static override name = 'GroupFullError'
  constructor (readonly group: string, readonly limit: number, readonly what: 'members' | 'ops' | 'groups') {
    const past = what === 'ops' ? ` (past ${MAX_GROUP_OPS} only an admin's removal of a member or invitee, or a member's leave, is taken)` : ''
    super(`group ${group} is full: at most ${limit} ${what}${past}`)
    this.name = 'GroupFullError'
  }
}

export class NoInvitationError extends Error {
  static override name = 'NoInvitationError'
  constructor (readonly input: string) {
    super(`no pending invitation to group ${input}`)
    this.name = 'NoInvitationError'
  }
}

export class InvalidGroupNameError extends Error {
  static override name = 'InvalidGroupNameError'
  constructor (readonly input: string, readonly reason: string) {
    super(`${JSON.stringify(input)} cannot name a group: ${reason}`)
    this.name = 'InvalidGroupNameError'
  }
}

/** Too many texts to one group too fast: try again after retryAfterMs. */
export class GroupRateLimitError extends Error {
  static override name = 'GroupRateLimitError'
  constructor (readonly group: string, readonly limit: number, readonly windowSeconds: number, readonly retryAfterMs: number) {
    super(`at most ${limit} messages per ${windowSeconds} s to group ${group}; try again in ${Math.ceil(retryAfterMs / 1000)} s`)
    this.name = 'GroupRateLimitError'
  }
}

/**
 * How errors read to a person. The node throws typed errors (a name and the
 * fields a sentence needs); the words are chosen here, one line each.
 */

/** The command line was used wrongly (a usage line says how). */
export class UsageError extends Error {
  static override name = 'UsageError'
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

type Wording = (err: any) => string
const asIs: Wording = (err) => String(err.message)

const WORDING: Record<string, Wording> = {
  UsageError: asIs,
  InvalidPeerIdError: (e) => `not a peer id: ${e.input}`,
  UnknownPersonError: (e) => `${e.input} is neither a known alias nor a peer id`,
  SelfReferenceError: (e) => `cannot ${e.action} itself: that is this node's own peer id`,
  InvalidMessageError: asIs,
  NotAContactError: (e) => `${e.peer} is not a contact`,
  AliasTakenError: (e) => `the name ${e.alias} is already used for ${e.peer}`,
  InvalidAliasError: (e) => `${JSON.stringify(e.alias)} cannot be a name: ${e.reason}`,
  InvalidSettingError: (e) => `${e.setting} must be one of ${Array.isArray(e.allowed) ? e.allowed.join(', ') : String(e.allowed)}`,
  UnsupportedKeyError: (e) => `${e.peer} has no Ed25519 key, so it cannot be a contact`,
  AlreadyAContactError: (e) => `${e.peer} is already a contact`,
  BlockedPeerError: (e) => `${e.peer} is blocked; unblock it first`,
  NoPendingRequestError: (e) => `no pending request ${e.direction === 'incoming' ? 'from' : 'to'} ${e.peerOrRequest}`,
  InvalidGreetingError: (e) => `greeting is longer than ${e.maxChars} characters`,
  InvalidOptionError: (e) => `${e.option} must be ${e.expected}, not ${e.value}`,
  InvalidTargetError: (e) => `not a peer id or multiaddr: ${e.input}`,
  PeerUnreachableError: (e) => `${e.peer} is unreachable`,
  UnknownGroupError: (e) => `no group ${e.input} (/groups lists them)`,
  AmbiguousGroupError: (e) => `${e.input} names several groups; use the id: ${Array.isArray(e.matches) ? e.matches.map((m: string) => m.slice(0, 8)).join(', ') : ''}`,
  NotAGroupMemberError: (e) => e.standing === 'invited' ? 'you are invited to that group: /group accept it first' : e.standing === 'none' ? 'you are not in that group' : `you ${e.standing === 'left' ? 'left' : 'were removed from'} that group`,
  NotGroupAdminError: (e) => `only an admin may ${e.action}`,
  GroupMembershipError: (e) => e.problem === 'already-in' ? `${e.peer} is already in the group` : e.problem === 'not-in' ? `${e.peer} is not in the group` : `${e.peer} is already an admin`,
  GroupFullError: (e) => e.what === 'groups' ? `you are in ${e.limit} groups already` : `the group is full (at most ${e.limit} ${e.what})`,
  NoInvitationError: (e) => `no invitation to ${e.input} is waiting (/groups lists them)`,
  InvalidGroupNameError: (e) => `${JSON.stringify(e.input)} cannot name a group: ${e.reason}`,
  GroupRateLimitError: (e) => `slow down: at most ${e.limit} messages per ${e.windowSeconds} s to one group (try again in ${Math.ceil(Number(e.retryAfterMs) / 1000)} s)`,
  PeerNotFoundError: asIs,
  AlreadyRunningError: asIs,
  IdentityError: asIs,
  ConfigError: asIs,
  ControlError: asIs,
  NoRunningNodeError: asIs,
  NoPresenceError: (e) => `this node sees no presence of ${e.peer}: not a contact, not watched, or blocked`,
  InvalidXmppAddressError: (e) => `--xmpp ${e.input}: ${e.reason}`,
  XmppListenError: (e) => `cannot serve XMPP on ${e.address}: ${e.code === 'EADDRINUSE' ? 'the port is taken (another XMPP server?); pick another with --xmpp 127.0.0.1:PORT' : e.code}`,
  XmppPasswordError: asIs,
  XmppTlsError: asIs
}

/** One line for a person; an error nobody worded is shown as unexpected. */
export function describeError (err: any): string {
  const wording = WORDING[err?.name]
  if (wording != null) return wording(err)
  return `unexpected error: ${String(err?.message ?? err)}`
}

/** Whether the error is one the node or the CLI raise on purpose (no stack trace needed). */
export function isExpected (err: any): boolean {
  return WORDING[err?.name] != null
}

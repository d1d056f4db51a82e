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
  InvalidContactCodeError: (e) => e.reason === 'checksum' || e.reason === 'bad-secret' ? 'that contact code has a typo or is cut short (its check does not match)' : `not a valid contact code (${e.reason})`,
  InvalidOptionError: (e) => `${e.option} must be ${e.expected}, not ${e.value}`,
  InvalidTargetError: (e) => `not a peer id or multiaddr: ${e.input}`,
  PeerUnreachableError: (e) => `${e.peer} is unreachable`,
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

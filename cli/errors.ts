/**
 * How errors read to a person, and the exit codes. The node throws typed
 * errors (a name and the fields a sentence needs); the words are chosen
 * here, one line each, always printed as `error: <sentence>`.
 *
 * Exit codes (README, "Exit codes"):
 *   0  done
 *   1  the command failed: the node refused it or could not do it
 *   2  the command line was wrong: unknown command or option, bad argument
 *   3  no node is running on this home (for a command that needs one)
 *   4  the node could not start, or the home cannot be used
 *   5  the node stopped: another node is running with this identity (docs/protocol.md §13)
 */
import { count, duration, shortId, stamp } from './format.js'
import { safe } from './safe-text.js'

export const EXIT = { ok: 0, failed: 1, usage: 2, noNode: 3, cannotStart: 4, duplicate: 5 } as const

/** The command line was used wrongly (a usage line says how). */
export class UsageError extends Error {
  static override name = 'UsageError'
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

type Wording = (err: any) => string

const CATEGORY_PROBLEMS: Record<string, string> = {
  missing: 'is missing',
  'too-long': 'is too long',
  'too-many': 'has too many entries',
  'unknown-value': 'is not a known value',
  'bad-format': 'has a character or form it cannot have',
  duplicate: 'repeats an entry'
}
const asIs: Wording = (err) => String(err.message)

const LISTEN: Record<string, string> = {
  'in-use': 'the port is in use (another program, or a node on another home); choose another port with --listen',
  'not-local': 'that address is not one of this machine\'s; use one it has, or /ip4/0.0.0.0 for all',
  denied: 'permission denied (ports below 1024 need privileges); choose a port above 1024',
  unsupported: 'only TCP addresses can be listened on, e.g. /ip4/0.0.0.0/tcp/4791'
}

const BACKUP: Record<string, Wording> = {
  'wrong-passphrase': () => 'wrong passphrase, or the backup file is damaged',
  'weak-passphrase': asIs,
  'other-identity': asIs,
  'not-a-backup': asIs,
  'unsupported-version': asIs,
  corrupt: asIs
}

const WORDING: Record<string, Wording> = {
  UsageError: asIs,
  InvalidPeerIdError: (e) => `not a peer id: ${e.input}`,
  UnknownPersonError: (e) => `${e.input} is neither a name you gave nor a peer id (/contacts lists names)`,
  SelfReferenceError: (e) => `cannot ${e.action} yourself: that is this node's own peer id`,
  InvalidMessageError: (e) => e.problem === 'too-long'
    ? `a message holds at most ${count(e.limit)} bytes of UTF-8; this one has ${count(e.bytes)}`
    : e.problem === 'empty' ? 'a message needs some text' : 'the text is not valid Unicode',
  NotAContactError: (e) => `${e.peer} is not a contact`,
  AliasTakenError: (e) => `the name ${e.alias} is already used for ${e.peer}`,
  InvalidAliasError: (e) => `${JSON.stringify(e.alias)} cannot be a name: ${e.reason}`,
  InvalidSettingError: (e) => `${e.setting} must be one of ${Array.isArray(e.allowed) ? e.allowed.join(', ') : String(e.allowed)}`,
  UnsupportedKeyError: (e) => `${e.peer} has no Ed25519 key, so it cannot be a contact`,
  AlreadyAContactError: (e) => `${e.peer} is already a contact`,
  BlockedPeerError: (e) => `${e.peer} is blocked; unblock them first`,
  NoPendingRequestError: (e) => `no pending request ${e.direction === 'incoming' ? 'from' : 'to'} ${e.peerOrRequest}`,
  InvalidGreetingError: (e) => e.problem === 'not-unicode' ? 'the greeting is not valid Unicode' : `a greeting holds at most ${e.maxChars} characters`,
  InvalidContactCodeError: (e) => e.reason === 'checksum' || e.reason === 'bad-secret' ? 'that contact code has a typo or is cut short (its check does not match)' : `not a valid contact code (${e.reason})`,
  InvalidOptionError: (e) => `${e.option} must be ${e.expected}, not ${e.value}`,
  InvalidTargetError: (e) => `not a peer id or multiaddr: ${e.input}`,
  PeerUnreachableError: (e) => `${e.peer} is unreachable`,
  UnknownGroupError: (e) => `no group ${e.input} (/groups lists them)`,
  AmbiguousGroupError: (e) => `${e.input} names several groups; use the id: ${Array.isArray(e.matches) ? e.matches.map((m: string) => m.slice(0, 8)).join(', ') : ''}`,
  NotAGroupMemberError: (e) => e.standing === 'invited' ? 'you are invited to that group: /group accept it first' : e.standing === 'none' ? 'you are not in that group' : `you ${e.standing === 'left' ? 'left' : 'were removed from'} that group`,
  NotGroupAdminError: (e) => `only an admin may ${e.action}`,
  SeniorAdminError: (e) => `${e.peer} became an admin before you: only a longer-standing admin may remove them`,
  GroupMembershipError: (e) => e.problem === 'already-in' ? `${e.peer} is already in the group` : e.problem === 'not-in' ? `${e.peer} is not in the group` : `${e.peer} is already an admin`,
  GroupFullError: (e) => e.what === 'groups' ? `you are in ${e.limit} groups already` : e.what === 'ops' ? `the group's membership log is full (at most ${e.limit} ops): removing a member or an invitation, and leaving, still work; for anything else, start a new group` : `the group is full (at most ${e.limit} ${e.what})`,
  NoInvitationError: (e) => `no invitation to ${e.input} is waiting (/groups lists them)`,
  InvalidGroupNameError: (e) => `${JSON.stringify(e.input)} cannot name a group: ${e.reason}`,
  GroupRateLimitError: (e) => `slow down: at most ${e.limit} messages per ${e.windowSeconds} s to one group (try again in ${Math.ceil(Number(e.retryAfterMs) / 1000)} s)`,
  PeerNotFoundError: (e) => `${e.peer ?? 'the peer'} was not found: not online, or not reachable from here`,
  TimeoutError: () => 'no answer in time: not online, or not reachable from here',
  AbortError: () => 'no answer in time: not online, or not reachable from here',
  PresenceFieldError: (e) => e.problem === 'too-long'
    ? `a ${e.field} holds at most ${count(e.limit)} characters`
    : e.problem === 'not-unicode' ? `the ${e.field} is not valid Unicode` : `${e.field} must be one of ${Array.isArray(e.allowed) ? e.allowed.join(', ') : 'the known values'}`,
  AlreadyRunningError: (e) => `a node is already running on ${e.home}${e.pid != null ? ` (pid ${e.pid})` : ''}${e.pid == null ? ' (its datastore is in use)' : ''}`,
  // linking a second device to one identity is not built yet (issue #16): say what works today
  DuplicateInstanceError: (e) => `another node is running with this identity (started ${stamp(e.otherStartedAt)}${e.otherAddress != null ? `, at ${String(e.otherAddress)}` : ''}): stopped. Stop the other one first, or give this device its own identity (presence-mesh --home <new dir> init; contacts then add it as a new contact)`,
  IdentityError: asIs,
  ConfigError: asIs,
  ControlError: (e) => e.problem === 'too-large' ? 'the request is too large for the control socket' : String(e.message),
  NoRunningNodeError: (e) => `no node is running on ${e.home} (start one with: presence-mesh start)`,
  ListenError: (e) => `cannot listen on ${e.address}: ${LISTEN[e.problem] ?? e.problem}`,
  HomeError: (e) => e.problem === 'not-a-directory' ? `${e.home} is a file, not a directory: choose another --home` : `cannot write to ${e.home}: choose another --home`,
  BackupError: (e) => (BACKUP[e.problem] ?? asIs)(e),
  SlowCommandTimeout: (e) => `${e.what}: no answer within ${duration(e.ms)} (not online, or not reachable from here)`,
  InvalidCategoryError: (e) => e.problem === 'not-settable'
    ? `the ${e.category} is not set this way (use /status)`
    : e.problem === 'too-large'
      ? `${e.category} does not fit: every watcher's share of your presence is at most ${e.limit} bytes`
      : `${e.category}: ${e.field} ${CATEGORY_PROBLEMS[e.problem] ?? e.problem}${e.limit != null ? ` (at most ${e.limit})` : ''}`,
  InvalidAnswerError: (e) => `${e.peer} answered with something invalid (${e.reason})`,
  QueryNotSupportedError: (e) => `${e.peer} runs an older version that cannot be asked for one category`,
  NoPresenceError: (e) => `this node sees no presence of ${e.peer}: not a contact, not watched, or blocked`,
  InvalidXmppAddressError: (e) => `--xmpp ${e.input}: ${e.reason}`,
  XmppListenError: (e) => `cannot serve XMPP on ${e.address}: ${e.code === 'EADDRINUSE' ? 'the port is taken (another XMPP server?); pick another with --xmpp 127.0.0.1:PORT' : e.code}`,
  XmppPasswordError: asIs,
  XmppTlsError: asIs,
  NotPersonKeyHolderError: (e) => `only the device holding your person key (${shortId(e.person)}) links and revokes devices: run this there`,
  UnknownDeviceError: (e) => `no device of yours is called ${safe(e.device)} (see /devices)`,
  DeviceChangeError: (e) => `that cannot be done: ${safe(e.detail)}`,
  LinkCodeError: (e) => e.reason === 'checksum' || e.reason === 'bad-secret' ? 'that link code has a typo or is cut short (its check does not match)' : `not a valid link code (${e.reason})`,
  LinkFailedError: (e) => LINK_FAILURES[e.reason] ?? `linking failed (${e.reason})`
}

const LINK_FAILURES: Record<string, string> = {
  unreachable: 'the device that showed the code did not answer: it is not running or not reachable from here, or the code was used already or has expired (show a new one with /link)',
  'bad-code': 'the device that showed the code did not take it: used already or expired (show a new one with /link)',
  refused: 'the device that showed the code refused to link this one (a device revoked before, or the list is full)',
  'bad-answer': 'the device that showed the code answered with something invalid',
  'already-a-device': 'this home already runs as a device: join with a new --home directory'
}

/** A libp2p peer id in text (base58btc: Ed25519 `12D3KooW…`, RSA `Qm…`). */
const PEER_ID = /\b(?:12D3KooW|Qm)[1-9A-HJ-NP-Za-km-z]{44}\b/g

/**
 * One line for a person, safe for the terminal; an error nobody worded is
 * shown as unexpected. Peer ids in it read as the CLI names people (`nameOf`).
 */
export function describeError (err: any, nameOf: (peerId: string) => string = shortId): string {
  const wording = WORDING[err?.name]
  const line = wording != null ? wording(err) : `unexpected error: ${String(err?.message ?? err)}`
  return safe(line.split('\n')[0]).replace(PEER_ID, (id) => nameOf(id))
}

/** Whether the error is one the node or the CLI raise on purpose (no stack trace needed). */
export function isExpected (err: any): boolean {
  return WORDING[err?.name] != null
}

const CANNOT_START = new Set(['AlreadyRunningError', 'ListenError', 'HomeError', 'IdentityError', 'ConfigError', 'InvalidXmppAddressError', 'XmppListenError', 'XmppTlsError'])

/** The exit code for an error (see the table above). */
export function exitCodeOf (err: any): number {
  if (err?.name === 'UsageError') return EXIT.usage
  if (err?.name === 'NoRunningNodeError') return EXIT.noNode
  if (err?.name === 'DuplicateInstanceError') return EXIT.duplicate
  if (CANNOT_START.has(err?.name)) return EXIT.cannotStart
  return EXIT.failed
}

/** A slow command (locate, fetch) that ran out of time. */
export class SlowCommandTimeout extends Error {
  static override name = 'SlowCommandTimeout'
  constructor (readonly what: string, readonly ms: number) {
    super(`${what}: no answer within ${ms} ms`)
    this.name = 'SlowCommandTimeout'
  }
}

/**
 * What the control socket exposes: a thin mapping onto the node API, so a
 * command run against a running node does exactly what the prompt would do.
 */
import { isPresenceStatus, STATUSES } from '../../protocol/presence-record.js'
import { ControlError } from '../errors.js'
import { InvalidSettingError } from '../roster/errors.js'
import type { PresenceNodeApi } from '../api.js'
import type { ControlMethods } from './server.js'

/**
 * The node API methods another invocation of the CLI may call through
 * `call` (`{"method": "call", "params": ["who"]}`): everything a user does,
 * but not stopping the node or its event listeners. Arguments and results
 * are JSON (peer ids as strings, bigints as decimal strings).
 */
export const REMOTE_API = [
  'addresses', 'self', 'setPresence', 'reportActivity', 'setAwayAfter', 'who', 'presenceOf', 'watch', 'unwatch', 'fetchPresence',
  'resolvePeer', 'person', 'people', 'displayName', 'setAlias', 'setMuted', 'contacts', 'contactRequests', 'requestContact',
  'contactCode', 'rotateContactCode',   'accept', 'deny', 'cancel', 'removeContact', 'block', 'unblock', 'blocked', 'isBlocked', 'setVisibility', 'visibility',
  'setView', 'watchers', 'send', 'history', 'markRead', 'requests', 'typing', 'unread', 'undelivered', 'unsend', 'search',
  'conversations', 'conversation', 'readReceipts', 'setReadReceipts', 'locate', 'connect', 'connections', 'backup',
  'state', 'setState', 'categories', 'setCategory', 'clearCategory', 'publishCategory', 'setContainer', 'setCategoryRule',
  'seenBy', 'queryCategory',
  'createGroup', 'inviteToGroup', 'acceptGroup', 'declineGroup', 'leaveGroup', 'removeFromGroup', 'renameGroup', 'promoteInGroup',
  'groups', 'group', 'groupInvitations', 'sendToGroup', 'groupHistory', 'groupUnread', 'groupUnreadMessages', 'markGroupRead', 'groupOnline',
  'linkCode', 'devices', 'revokeDevice'
] as const satisfies ReadonlyArray<keyof PresenceNodeApi>

const REMOTE = new Set<string>(REMOTE_API)

function bytesOfAppCategory (arg: unknown): unknown {
  const c = arg as { kind?: unknown, data?: unknown }
  return c?.kind === 'app' && typeof c.data === 'string' ? { ...c, data: Uint8Array.from(Buffer.from(c.data, 'base64')) } : arg
}

/** An AbortSignal cannot cross the socket: options `{ timeoutMs }` become `{ signal }` here. */
function withSignal (arg: unknown): unknown {
  if (typeof arg !== 'object' || arg == null || Array.isArray(arg) || !('timeoutMs' in arg)) return arg
  const { timeoutMs, ...rest } = arg as { timeoutMs: unknown }
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ControlError('bad-params', 'timeoutMs must be a positive number')
  return { ...rest, signal: AbortSignal.timeout(Math.min(timeoutMs, 10 * 60_000)) }
}

export function controlMethods (node: PresenceNodeApi): ControlMethods {
  return {
    id: () => ({ peerId: node.peerId.toString(), addresses: node.addresses() }),
    call: async (name: unknown, ...args: unknown[]) => {
      if (typeof name !== 'string' || !REMOTE.has(name)) throw new ControlError('unknown-method', `unknown node API method ${String(name)}`)
      // bytes travel as base64 (toJson): an app category's data comes back to bytes here
      if (name === 'setCategory') args = args.map(bytesOfAppCategory)
      return await (node as any)[name](...args.map(withSignal))
    },
    status: async (status?: unknown, note?: unknown) => {
      if (status == null) return node.self()
      if (typeof status !== 'string' || !isPresenceStatus(status)) throw new InvalidSettingError('status', String(status), STATUSES)
      if (note != null && typeof note !== 'string') throw new ControlError('bad-params', 'note must be text')
      await node.setPresence({ status, note: typeof note === 'string' && note !== '' ? note : undefined })
      return node.self()
    },
    who: () => node.who(),
    contacts: () => ({ contacts: node.contacts(), ...node.contactRequests() }),
    block: async (peer: unknown) => {
      if (typeof peer !== 'string') throw new ControlError('bad-params', 'usage: block <alias|peer id>')
      const id = node.resolvePeer(peer)
      await node.block(id)
      return { blocked: id }
    },
    unblock: async (peer: unknown) => {
      if (typeof peer !== 'string') throw new ControlError('bad-params', 'usage: unblock <alias|peer id>')
      const id = node.resolvePeer(peer)
      await node.unblock(id)
      return { unblocked: id }
    },
    send: async (to: unknown, text: unknown) => {
      if (typeof to !== 'string' || typeof text !== 'string') throw new ControlError('bad-params', 'usage: send <alias|peer id> <text>')
      return { id: await node.send(to, text) }
    },
    pidf: (peer: unknown) => {
      if (typeof peer !== 'string') throw new ControlError('bad-params', 'usage: who --pidf <alias|peer id>')
      return node.pidf(peer)
    },
    watch: async (peer: unknown, alias?: unknown) => {
      if (typeof peer !== 'string') throw new ControlError('bad-params', 'usage: watch <peer id> [alias]')
      return await node.watch(peer, typeof alias === 'string' ? alias : undefined)
    }
  }
}

/**
 * What the control socket exposes: a thin mapping onto the node API, so a
 * command run against a running node does exactly what the prompt would do.
 */
import { isPresenceStatus, STATUSES } from '../../protocol/presence-record.js'
import { ControlError } from '../errors.js'
import { InvalidSettingError } from '../roster/errors.js'
import type { PresenceNodeApi } from '../api.js'
import type { ControlMethods } from './server.js'

export function controlMethods (node: PresenceNodeApi): ControlMethods {
  return {
    id: () => ({ peerId: node.peerId.toString(), addresses: node.addresses() }),
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

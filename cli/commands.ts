/**
 * The interactive commands. Each one parses its words and calls the node API;
 * none holds state of its own. Returns the lines to print.
 */
import { isPresenceStatus, STATUSES } from '../protocol/presence-record.js'
import { UserError } from '../node/errors.js'
import { describe, label, messageLine, whoTable } from './format.js'
import type { Paint } from './style.js'
import type { PresenceNode } from '../node/presence-node.js'

export interface CommandContext {
  node: PresenceNode
  paint: Paint
  /** Unread incoming messages per peer id, kept by the interactive session. */
  unread: Map<string, number>
}

/** A watched alias, else a shortened peer id: how the CLI names a peer. */
export function nameOf (node: PresenceNode, peerId: string): string {
  return label(node.presence.get(peerId) ?? { peerId })
}

export interface Command {
  usage: string
  help: string
  run: (ctx: CommandContext, args: string[], rest: string) => Promise<string[]>
}

export const QUIT = Symbol('quit')

export const commands: Record<string, Command> = {
  status: {
    usage: `/status <${STATUSES.join('|')}> [note]`,
    help: 'set your presence, with an optional note',
    run: async ({ node }, args, rest) => {
      const [status] = args
      if (status == null || !isPresenceStatus(status)) throw new UserError(`usage: /status <${STATUSES.join('|')}> [note]`)
      const note = rest.slice(status.length).trim()
      await node.setPresence({ status, note: note === '' ? undefined : note })
      return [`you are ${describe({ peerId: node.peerId.toString(), status, note: note === '' ? undefined : note })}`]
    }
  },
  watch: {
    usage: '/watch <peer id> [alias]',
    help: 'watch a presentity\'s presence',
    run: async ({ node }, args) => {
      const [peer, alias] = args
      if (peer == null) throw new UserError('usage: /watch <peer id> [alias]')
      const view = await node.watch(peer, alias)
      return [`watching ${label(view)} (${view.peerId})`]
    }
  },
  unwatch: {
    usage: '/unwatch <alias|peer id>',
    help: 'stop watching',
    run: async ({ node }, args) => {
      const view = args[0] == null ? undefined : node.presence.resolve(args[0])
      if (view == null) throw new UserError(`not watching ${args[0] ?? '(nobody named)'}`)
      await node.unwatch(view.peerId)
      return [`stopped watching ${label(view)}`]
    }
  },
  who: {
    usage: '/who',
    help: 'list watched presentities and their presence',
    run: async ({ node, paint, unread }) => [whoTable(node.who(), Date.now(), paint, p => unread.get(p) ?? 0)]
  },
  msg: {
    usage: '/msg <alias|peer id> <text>',
    help: 'send a message (kept and retried until delivered)',
    run: async ({ node, paint }, args, rest) => {
      const [to] = args
      const text = to == null ? '' : rest.slice(to.length).trim()
      if (to == null || text === '') throw new UserError('usage: /msg <alias|peer id> <text>')
      const peer = node.resolvePeer(to)
      const id = await node.send(peer, text)
      const [m] = (await node.history(peer, 1)).filter(x => x.id === id)
      return m == null ? [] : [messageLine(m, nameOf(node, peer), paint)]
    }
  },
  history: {
    usage: '/history <alias|peer id> [n]',
    help: 'the last n messages with someone (default 20); marks them read',
    run: async ({ node, paint, unread }, args) => {
      const [who, n] = args
      const limit = n == null ? 20 : Number(n)
      if (who == null || !Number.isInteger(limit) || limit < 1) throw new UserError('usage: /history <alias|peer id> [n]')
      const peer = node.resolvePeer(who)
      const messages = await node.history(peer, limit)
      await node.markRead(peer)
      unread.delete(peer)
      return messages.length === 0 ? [`no messages with ${nameOf(node, peer)} yet`] : messages.map(m => messageLine(m, nameOf(node, peer), paint))
    }
  },
  requests: {
    usage: '/requests',
    help: 'messages held from people who are not your contacts',
    run: async ({ node, paint }) => {
      const held = await node.requests()
      return held.length === 0 ? ['no held messages'] : held.map(m => messageLine(m, m.peer, paint))
    }
  },
  locate: {
    usage: '/locate <alias|peer id>',
    help: 'find a peer\'s addresses (DHT) and connect',
    run: async ({ node }, args) => {
      if (args[0] == null) throw new UserError('usage: /locate <alias|peer id>')
      const peer = node.resolvePeer(args[0])
      const found = await node.locate(peer)
      return [`${nameOf(node, peer)} found via ${found.via} in ${found.ms} ms:`, ...found.addresses.map(a => `  ${a}`)]
    }
  },
  fetch: {
    usage: '/fetch <alias|peer id>',
    help: 'read a peer\'s presence once, without watching (DHT)',
    run: async ({ node, paint }, args) => {
      if (args[0] == null) throw new UserError('usage: /fetch <alias|peer id>')
      const peer = node.resolvePeer(args[0])
      const r = await node.fetchPresence(peer)
      if (r.status === 'unknown') return [`${nameOf(node, peer)}: no presence found (never seen, no record in the DHT)`]
      return [`${nameOf(node, peer)} is ${describe({ ...r, status: r.status }, Date.now(), paint)} (from ${r.source})`]
    }
  },
  id: {
    usage: '/id',
    help: 'show your peer id and addresses',
    run: async ({ node }) => [`peer id: ${node.peerId.toString()}`, ...node.addresses().map(a => `  ${a}`)]
  },
  help: {
    usage: '/help',
    help: 'this list',
    run: async () => Object.values(commands).map(c => `  ${c.usage.padEnd(40)} ${c.help}`).concat(`  ${'/quit'.padEnd(40)} go offline and exit`)
  }
}

/** Parses and runs one input line; QUIT means the user asked to leave. */
export async function runLine (ctx: CommandContext, line: string): Promise<string[] | typeof QUIT> {
  const text = line.trim()
  if (text === '') return []
  if (!text.startsWith('/')) throw new UserError('commands start with /, try /help')
  const [name, ...args] = text.slice(1).split(/\s+/)
  if (name === 'quit' || name === 'exit') return QUIT
  const cmd = commands[name]
  if (cmd == null) throw new UserError(`unknown command /${name}, try /help`)
  const rest = text.slice(1 + name.length).trim()
  return await cmd.run(ctx, args, rest)
}

/** Tab completion: command names first, then aliases and peer ids of watched presentities. */
export function complete (node: PresenceNode, line: string): [string[], string] {
  if (!line.includes(' ')) {
    const names = [...Object.keys(commands), 'quit'].map(n => `/${n}`)
    const hits = names.filter(n => n.startsWith(line))
    return [hits.length > 0 ? hits : names, line]
  }
  const word = line.slice(line.lastIndexOf(' ') + 1)
  const targets = node.who().flatMap(v => v.alias != null ? [v.alias, v.peerId] : [v.peerId])
  return [targets.filter(t => t.startsWith(word)), word]
}

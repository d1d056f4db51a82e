/**
 * The interactive commands. Each one parses its words and calls the node API;
 * none holds state of its own. Returns the lines to print.
 */
import { isPresenceStatus, STATUSES, VISIBILITIES } from '../node/index.js'
import { UsageError } from './errors.js'
import { contactsTable, describe, label, messageLine, whoTable } from './format.js'
import { groupCommands } from './groups.js'
import type { Paint } from './style.js'
import type { PresenceNodeApi as PresenceNode, Visibility } from '../node/index.js'

export interface CommandContext {
  node: PresenceNode
  paint: Paint
  /** Unread incoming messages per peer id, kept by the interactive session. */
  unread: Map<string, number>
}

/** The roster's name, else a shortened peer id: how the CLI names a peer. */
export function nameOf (node: PresenceNode, peerId: string): string {
  return label({ peerId, alias: node.person(peerId)?.alias })
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
      if (status == null || !isPresenceStatus(status)) throw new UsageError(`usage: /status <${STATUSES.join('|')}> [note]`)
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
      if (peer == null) throw new UsageError('usage: /watch <peer id> [alias]')
      const view = await node.watch(peer, alias)
      return [`watching ${label(view)} (${view.peerId})`]
    }
  },
  unwatch: {
    usage: '/unwatch <alias|peer id>',
    help: 'stop watching',
    run: async ({ node }, args) => {
      if (args[0] == null) throw new UsageError('usage: /unwatch <alias|peer id>')
      const peer = node.resolvePeer(args[0])
      const name = nameOf(node, peer)
      if (await node.unwatch(peer)) return [`stopped watching ${name}`]
      if (node.person(peer)?.contact != null) return [`${name} is a contact: you see their presence while you are contacts`]
      throw new UsageError(`not watching ${args[0]}`)
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
      if (to == null || text === '') throw new UsageError('usage: /msg <alias|peer id> <text>')
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
      if (who == null || !Number.isInteger(limit) || limit < 1) throw new UsageError('usage: /history <alias|peer id> [n]')
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
      if (args[0] == null) throw new UsageError('usage: /locate <alias|peer id>')
      const peer = node.resolvePeer(args[0])
      const found = await node.locate(peer)
      return [`${nameOf(node, peer)} found via ${found.via} in ${found.ms} ms:`, ...found.addresses.map(a => `  ${a}`)]
    }
  },
  fetch: {
    usage: '/fetch <alias|peer id>',
    help: 'read a peer\'s presence once, without watching (DHT)',
    run: async ({ node, paint }, args) => {
      if (args[0] == null) throw new UsageError('usage: /fetch <alias|peer id>')
      const peer = node.resolvePeer(args[0])
      const r = await node.fetchPresence(peer)
      if (r.status === 'unknown') return [`${nameOf(node, peer)}: no presence found (never seen, no record in the DHT)`]
      return [`${nameOf(node, peer)} is ${describe({ ...r, status: r.status }, Date.now(), paint)} (from ${r.source})`]
    }
  },
  contacts: {
    usage: '/contacts',
    help: 'your contacts and pending requests',
    run: async ({ node, paint }) => contactsTable({ contacts: node.contacts(), ...node.contactRequests() }, p => nameOf(node, p), paint)
  },
  request: {
    usage: '/request <peer id> [greeting]',
    help: 'ask someone to become a contact (retried until it reaches them)',
    run: async ({ node }, args, rest) => {
      const [peer] = args
      if (peer == null) throw new UsageError('usage: /request <peer id> [greeting]')
      const greeting = rest.slice(peer.length).trim()
      const req = await node.requestContact(node.resolvePeer(peer), greeting === '' ? undefined : greeting)
      return [`contact request to ${nameOf(node, req.peerId)} queued; it is retried until it reaches them`]
    }
  },
  accept: {
    usage: '/accept [peer id] [alias]',
    help: 'accept a contact request (the only one pending if no peer is named)',
    run: async ({ node }, args) => {
      const peer = pendingFrom(node, args[0])
      const contact = await node.accept(peer, args[1])
      return [`${nameOf(node, contact.peerId)} is now a contact: you see each other's presence`]
    }
  },
  deny: {
    usage: '/deny [peer id]',
    help: 'decline a contact request',
    run: async ({ node }, args) => {
      const peer = pendingFrom(node, args[0])
      await node.deny(peer)
      return [`declined ${nameOf(node, peer)}`]
    }
  },
  cancel: {
    usage: '/cancel <peer id>',
    help: 'withdraw a contact request you sent',
    run: async ({ node }, args) => {
      if (args[0] == null) throw new UsageError('usage: /cancel <peer id>')
      const peer = node.resolvePeer(args[0])
      await node.cancel(peer)
      return [`withdrew the request to ${nameOf(node, peer)}`]
    }
  },
  block: {
    usage: '/block <alias|peer id>',
    help: 'block someone: to them you look offline, their messages are dropped',
    run: async ({ node }, args) => {
      if (args[0] == null) throw new UsageError('usage: /block <alias|peer id>')
      const peer = node.resolvePeer(args[0])
      const name = nameOf(node, peer)
      await node.block(peer)
      return [`blocked ${name}: they now see you offline`]
    }
  },
  unblock: {
    usage: '/unblock <alias|peer id>',
    help: 'undo a block',
    run: async ({ node }, args) => {
      if (args[0] == null) throw new UsageError('usage: /unblock <alias|peer id>')
      const peer = node.resolvePeer(args[0])
      await node.unblock(peer)
      return [`unblocked ${nameOf(node, peer)}`]
    }
  },
  blocked: {
    usage: '/blocked',
    help: 'the people you blocked',
    run: async ({ node }) => {
      const list = node.blocked()
      return list.length === 0 ? ['nobody is blocked'] : list.map(b => `  ${nameOf(node, b.peerId).padEnd(16)} since ${new Date(b.since).toLocaleString()}  ${b.peerId}`)
    }
  },
  visibility: {
    usage: '/visibility [public|contacts|invisible] [allowed peer…]',
    help: 'who can see your presence (invisible: only the peers you list)',
    run: async ({ node }, args) => {
      const [mode, ...allow] = args
      if (mode != null) {
        if (!(VISIBILITIES as readonly string[]).includes(mode)) throw new UsageError(`usage: /visibility [${VISIBILITIES.join('|')}] [allowed peer…]`)
        await node.setVisibility(mode as Visibility, allow.map(a => node.resolvePeer(a)))
      }
      const v = node.visibility()
      return [`visibility: ${v.mode}${v.mode === 'invisible' ? ` (visible to: ${v.allow.length === 0 ? 'nobody' : v.allow.map(p => nameOf(node, p)).join(', ')})` : ''}`]
    }
  },
  view: {
    usage: '/view <alias|peer id> full|status',
    help: 'what a contact sees: everything, or the status without note and activity',
    run: async ({ node }, args) => {
      const [who, level] = args
      if (who == null || (level !== 'full' && level !== 'status')) throw new UsageError('usage: /view <alias|peer id> full|status')
      const peer = node.resolvePeer(who)
      await node.setView(peer, level)
      return [`${nameOf(node, peer)} sees ${level === 'full' ? 'your status, note and activity' : 'only your status'}`]
    }
  },
  watchers: {
    usage: '/watchers',
    help: 'who asked to watch you, and who watches now',
    run: async ({ node }) => {
      const w = node.watchers()
      const now = w.watching.length === 0 ? ['nobody is watching right now'] : [`watching now: ${w.watching.map(p => nameOf(node, p)).join(', ')}`]
      return [...now, ...w.asked.map(a => `  ${a.direction === 'incoming' ? 'asked you' : 'you asked'}: ${nameOf(node, a.peerId).padEnd(16)} ${a.outcome}${a.greeting != null ? ` "${a.greeting}"` : ''}`)]
    }
  },
  ...groupCommands,
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

/** The peer of a pending incoming request: the one named, else the only one. */
function pendingFrom (node: PresenceNode, named: string | undefined): string {
  if (named != null) return node.resolvePeer(named)
  const { incoming } = node.contactRequests()
  if (incoming.length === 1) return incoming[0].peerId
  throw new UsageError(incoming.length === 0 ? 'no pending contact requests' : 'several requests are pending: name the peer')
}

/** Parses and runs one input line; QUIT means the user asked to leave. */
export async function runLine (ctx: CommandContext, line: string): Promise<string[] | typeof QUIT> {
  const text = line.trim()
  if (text === '') return []
  if (!text.startsWith('/')) throw new UsageError('commands start with /, try /help')
  const [name, ...args] = text.slice(1).split(/\s+/)
  if (name === 'quit' || name === 'exit') return QUIT
  const cmd = commands[name]
  if (cmd == null) throw new UsageError(`unknown command /${name}, try /help`)
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
    .concat(node.contactRequests().incoming.map(r => r.peerId))
  return [targets.filter(t => t.startsWith(word)), word]
}

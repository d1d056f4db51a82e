/**
 * The interactive commands. Each one parses its words and calls the node API;
 * none holds state of its own. Returns the lines to print.
 */
import { isPresenceStatus, STATUSES } from '../protocol/presence-record.js'
import { UserError } from '../node/errors.js'
import { describe, label, whoTable } from './format.js'
import type { Paint } from './style.js'
import type { PresenceNode } from '../node/presence-node.js'

export interface CommandContext {
  node: PresenceNode
  paint: Paint
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
    run: async ({ node, paint }) => [whoTable(node.who(), Date.now(), paint)]
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

/**
 * The command table and the prompt's line parser. Every command here is
 * also a subcommand (cli/main.ts), except the few that only make sense at
 * the prompt (open, close, help, quit).
 */
import { categoryCommands } from './cmd-categories.js'
import { chatCommands, sendText } from './cmd-chat.js'
import { contactCommands } from './cmd-contacts.js'
import { deviceCommands } from './cmd-devices.js'
import { groupCommands } from './cmd-groups.js'
import { networkCommands } from './cmd-network.js'
import { presenceCommands } from './cmd-presence.js'
import { BadArguments, lines, runCommand, usage } from './command.js'
import { UsageError } from './errors.js'
import { safe } from './safe-text.js'
import type { CommandSpec, Ctx, Output } from './command.js'
import type { Names } from './names.js'

export const QUIT = Symbol('quit')

const help: CommandSpec = {
  name: 'help',
  help: 'this list',
  promptOnly: true,
  run: async () => {
    const out: string[] = []
    for (const [title, specs] of GROUPS) {
      out.push(title)
      for (const c of specs) {
        const u = usage(c, true)
        out.push(u.length > HELP_COLUMN ? `  ${u}\n  ${''.padEnd(HELP_COLUMN)} ${c.help}` : `  ${u.padEnd(HELP_COLUMN)} ${c.help}`)
      }
    }
    out.push(`  ${'/quit'.padEnd(HELP_COLUMN)} go offline and exit (also Ctrl-D, Ctrl-C)`, '<name> is a name you gave, a short id like …xB6nU5KA, or a peer id. Every command but open, close, notify and help also runs as `presence-mesh <command>` in another terminal.')
    return lines({}, ...out)
  }
}

/** Usage lines longer than this go on a line of their own in /help. */
const HELP_COLUMN = 30

const notify: CommandSpec = {
  name: 'notify',
  args: '[on|off]',
  help: 'bell and desktop notifications for this session (/mute silences one person)',
  promptOnly: true,
  run: async (ctx, { args }) => {
    if (args[0] != null) {
      if (args[0] !== 'on' && args[0] !== 'off') throw new BadArguments()
      ctx.session?.setNotifications(args[0] === 'on')
    }
    const on = ctx.session?.notifications() ?? false
    return lines({ notifications: on }, on ? 'notifications are on: a bell (and a desktop notification where notify-send exists) for messages and requests' : 'notifications are off')
  }
}

const GROUPS: Array<[string, CommandSpec[]]> = [
  ['presence', presenceCommands],
  ['presence categories', categoryCommands],
  ['people', contactCommands],
  ['messages', chatCommands],
  ['groups', groupCommands],
  ['network', networkCommands],
  ['devices', deviceCommands],
  ['this session', [notify, help]]
]

export const COMMANDS: CommandSpec[] = GROUPS.flatMap(([, specs]) => specs)

export const commandByName = new Map(COMMANDS.map(c => [c.name, c]))

/** A parsed prompt line. */
export type Parsed =
  | { kind: 'empty' }
  | { kind: 'quit' }
  | { kind: 'say', text: string }
  | { kind: 'command', spec: CommandSpec, args: string[], rest: string }

/** What a line typed at the prompt is: a command, text for the open conversation, or nothing. */
export function parseLine (line: string, conversationOpen: boolean): Parsed {
  const text = line.trim()
  if (text === '') return { kind: 'empty' }
  if (text.startsWith('//')) {
    if (!conversationOpen) throw new UsageError('no conversation is open: /open <name> first')
    return { kind: 'say', text: line.trimStart().slice(1) }
  }
  if (!text.startsWith('/')) {
    if (conversationOpen) return { kind: 'say', text: line }
    throw new UsageError('commands start with / (try /help); /open <name> to talk to someone')
  }
  const [name, ...args] = text.slice(1).split(/\s+/)
  if (name === 'quit' || name === 'exit') return { kind: 'quit' }
  const spec = commandByName.get(name)
  if (spec == null) throw new UsageError(`unknown command /${safe(name)}, try /help`)
  return { kind: 'command', spec, args, rest: text.slice(1 + name.length) }
}

/** Runs one prompt line; QUIT means the user asked to leave. */
export async function runLine (ctx: Ctx, line: string): Promise<Output | typeof QUIT> {
  const current = ctx.session?.current()
  const parsed = parseLine(line, current != null)
  switch (parsed.kind) {
    case 'empty': return lines(null)
    case 'quit': return QUIT
    case 'say': {
      const { data, line: out } = await sendText(ctx, current!, parsed.text)
      return lines(data, out)
    }
    case 'command': return await runCommand(parsed.spec, ctx, { args: parsed.args, rest: parsed.rest }, true)
  }
}

/** Tab completion: command names first, then names of people. */
export function complete (names: Names, line: string): [string[], string] {
  if (!line.includes(' ') && line.startsWith('/')) {
    const all = [...COMMANDS.map(c => `/${c.name}`), '/quit']
    const hits = all.filter(n => n.startsWith(line))
    return [hits.length > 0 ? hits : all, line]
  }
  const word = line.slice(line.lastIndexOf(' ') + 1)
  return [names.completions().filter(t => t.startsWith(word)), word]
}

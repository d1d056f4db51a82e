/**
 * One table of commands, each written once: at the prompt it is `/name
 * args`, on the command line `presence-mesh name args [--json]` against the
 * running node. A command parses its words, calls the node API and returns
 * its result twice: as data (printed with --json) and as lines for a person.
 */
import { UsageError } from './errors.js'
import type { Api } from './api.js'
import type { Names } from './names.js'
import type { Paint } from './style.js'

/** What the interactive session lets commands do (absent outside the prompt). */
export interface SessionControl {
  /** The conversation plain lines go to, if any. */
  current: () => string | undefined
  open: (peer: string) => void
  close: () => void
  notifications: () => boolean
  setNotifications: (on: boolean) => void
}

export interface Ctx {
  node: Api
  names: Names
  paint: Paint
  now: number
  /** This node's own peer id. */
  self: string
  session?: SessionControl
}

export interface Input {
  /** The words after the command name. */
  args: string[]
  /** The text after the command name, as typed (for free text: notes, messages). */
  rest: string
}

export interface Output {
  /** What --json prints. */
  data: unknown
  lines: string[]
}

export interface CommandSpec {
  name: string
  /** The arguments as help shows them: `<name> <text...>`, `[n]`. */
  args?: string
  help: string
  /** Only at the prompt (it changes the session, or means nothing elsewhere). */
  promptOnly?: boolean
  /** A command that can take long: shown with a progress line, never blocking the prompt. */
  slow?: (input: Input) => string
  run: (ctx: Ctx, input: Input) => Promise<Output>
}

/** Thrown by a command whose words do not fit its arguments; the caller adds the usage line. */
export class BadArguments extends Error {
  constructor (readonly detail?: string) {
    super(detail ?? 'bad arguments')
  }
}

export const lines = (data: unknown, ...out: string[]): Output => ({ data, lines: out })

/** The usage line of a command, as typed where it runs. */
export function usage (spec: CommandSpec, prompt: boolean): string {
  const head = prompt ? `/${spec.name}` : `presence-mesh ${spec.name}`
  return spec.args != null ? `${head} ${spec.args}` : head
}

/** Runs a command; a BadArguments becomes the usage error of the form it was called in. */
export async function runCommand (spec: CommandSpec, ctx: Ctx, input: Input, prompt: boolean): Promise<Output> {
  try {
    return await spec.run(ctx, input)
  } catch (err) {
    if (err instanceof BadArguments) throw new UsageError(`${err.detail != null ? `${err.detail}; ` : ''}usage: ${usage(spec, prompt)}`)
    throw err
  }
}

/** The text after the first `n` words of `rest` (a message after its recipient, a note after the status). */
export function textAfter (rest: string, n: number): string {
  let s = rest.trimStart()
  for (let i = 0; i < n; i++) s = s.replace(/^\S+\s*/, '')
  return s.trim()
}

/** A peer the user named, resolved (aliases, peer ids, short ids). */
export async function peerArg (ctx: Ctx, word: string | undefined): Promise<string> {
  if (word == null || word === '') throw new BadArguments()
  return await ctx.names.resolve(ctx.node, word)
}

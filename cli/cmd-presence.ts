/** Commands about presence: one's own, and that of the people one watches. */
import { isPresenceStatus, MAX_AWAY_AFTER_MS, STATUSES, VISIBILITIES } from '../node/client.js'
import { BadArguments, lines, peerArg, textAfter } from './command.js'
import { SlowCommandTimeout } from './errors.js'
import { describe, duration, pad, shortId, stamp } from './format.js'
import { safe } from './safe-text.js'
import type { CommandSpec, Ctx } from './command.js'
import type { PresenceView, SelfPresence, Visibility } from '../node/index.js'

/** How long /fetch and /locate look before they say so, unless told otherwise. */
export const SLOW_TIMEOUT_MS = 20_000

/** The optional `[seconds]` of a slow lookup. */
export function lookupTime (word: string | undefined): number {
  if (word == null) return SLOW_TIMEOUT_MS
  const s = Number(word)
  if (!Number.isFinite(s) || s < 1 || s > 300) throw new BadArguments(`${word} is not a number of seconds between 1 and 300`)
  return Math.round(s * 1000)
}

export function selfLine (self: Pick<SelfPresence, 'status' | 'note' | 'activity' | 'auto' | 'manual'>, ctx: Pick<Ctx, 'paint'>): string {
  const shown = describe({ status: self.status, note: self.note, activity: self.activity }, Date.now(), ctx.paint, true)
  return self.auto ? `you are ${shown} (automatically: idle; back to ${self.manual.status} on your next key)` : `you are ${shown}`
}

/** `10m`, `90s`, `1h`, `15` (minutes), `off`. */
export function parseDuration (word: string): number | null {
  if (word === 'off' || word === 'never') return null
  const m = /^(\d+(?:\.\d+)?)(s|m|min|h)?$/.exec(word)
  if (m == null) throw new BadArguments(`${word} is not a duration (like 10m, 90s, 1h) or off`)
  const unit = m[2] === 's' ? 1000 : m[2] === 'h' ? 3600_000 : 60_000
  return Math.round(Number(m[1]) * unit)
}

/** A slow lookup: a deadline of its own, and a timeout that says what was looked for. */
export async function withDeadline<T> (what: string, ms: number, fn: (options: { signal?: AbortSignal }) => Promise<T>): Promise<T> {
  try {
    // in this process a signal; through the control socket the node makes one from timeoutMs
    return await fn({ signal: AbortSignal.timeout(ms), timeoutMs: ms } as { signal?: AbortSignal })
  } catch (err: any) {
    if (err?.name === 'TimeoutError' || err?.name === 'AbortError') throw new SlowCommandTimeout(what, ms)
    throw err
  }
}

function whoLines (views: PresenceView[], ctx: Ctx, unread: Record<string, number>, blocked: number, devices: boolean): string[] {
  if (views.length === 0) {
    const hint = 'nobody watched yet: /request <peer id> to ask someone to be a contact'
    return [blocked > 0 ? `nobody else watched; ${blocked} blocked (/blocked)` : hint]
  }
  return views.flatMap(v => {
    const n = unread[v.peerId] ?? 0
    const badge = n > 0 ? ' ' + ctx.paint('cyan', `(${n} unread)`) : ''
    const line = `  ${pad(ctx.paint('bold', ctx.names.of(v.peerId)), 16)} ${describe(v, ctx.now, ctx.paint)}${badge}  ${ctx.paint('dim', shortId(v.peerId))}`
    return devices ? [line, ...deviceLines(v, ctx)] : [line]
  })
}

/** `/who devices`: under a person of several devices, one line each; `*` marks the one their presence is shown from. */
export function deviceLines (v: PresenceView, ctx: Pick<Ctx, 'paint' | 'now'>): string[] {
  return (v.devices ?? []).map(d => {
    const state = d.condition === 'live' ? describe({ status: d.availability }, ctx.now, ctx.paint) : `${d.condition}${d.lastSeen != null ? ` (last seen ${stamp(d.lastSeen, ctx.now)})` : ''}`
    return `    ${d.winner ? '*' : ' '} ${pad(shortId(d.device), 14)} ${state}${d.condition === 'live' && d.source === 'manual' ? ' (set by hand)' : ''}`
  })
}

export const presenceCommands: CommandSpec[] = [
  {
    name: 'status',
    args: `[${STATUSES.join('|')}] [note...]`,
    help: 'show or set your presence, with an optional note (it stays after a restart)',
    run: async (ctx, { args, rest }) => {
      const [status] = args
      if (status != null) {
        if (!isPresenceStatus(status)) throw new BadArguments(`${status} is not a status (${STATUSES.join(', ')})`)
        const note = textAfter(rest, 1)
        await ctx.node.setPresence({ status, note: note === '' ? undefined : note })
      }
      const self = await ctx.node.self()
      return lines(self, selfLine(self, ctx))
    }
  },
  {
    name: 'autoaway',
    args: '[duration|off]',
    help: 'show or set how long you may be idle before you show as away (e.g. 10m, off)',
    run: async (ctx, { args }) => {
      if (args[0] != null) {
        const ms = parseDuration(args[0])
        if (ms != null && (ms < 1000 || ms > MAX_AWAY_AFTER_MS)) throw new BadArguments(`choose between 1 s and ${duration(MAX_AWAY_AFTER_MS)}`)
        await ctx.node.setAwayAfter(ms)
      }
      const { awayAfterMs } = await ctx.node.self()
      return lines({ awayAfterMs }, awayAfterMs == null ? 'automatic away is off' : `you show as away after ${duration(awayAfterMs)} without a key pressed`)
    }
  },
  {
    name: 'who',
    args: '[devices]',
    help: 'the presence of everyone you watch (contacts are watched), with unread counts; devices: each device of a person of several',
    run: async (ctx, { args }) => {
      if (args[0] != null && args[0] !== 'devices') throw new BadArguments(`${safe(args[0])}: /who, or /who devices`)
      const views = await ctx.node.who()
      const unread = await ctx.node.unread()
      const blocked = (await ctx.node.blocked()).length
      return lines(views.map(v => ({ ...v, name: ctx.names.of(v.peerId), unread: unread[v.peerId] ?? 0 })), ...whoLines(views, ctx, unread, blocked, args[0] === 'devices'))
    }
  },
  {
    name: 'watch',
    args: '<peer> [name]',
    help: 'watch someone\'s presence without being contacts (they must be public)',
    run: async (ctx, { args }) => {
      const peer = await peerArg(ctx, args[0])
      const view = await ctx.node.watch(peer, args[1])
      const contact = (await ctx.node.person(peer))?.contact != null
      const name = args[1] != null ? safe(args[1]) : ctx.names.of(peer)
      const out = [`watching ${name} (${shortId(peer)})`]
      if (!contact) out.push(`${name} is not a contact: you see their presence only if they are public; /request ${name} asks them`)
      return lines(view, ...out)
    }
  },
  {
    name: 'unwatch',
    args: '<name>',
    help: 'stop watching someone who is not a contact',
    run: async (ctx, { args }) => {
      const peer = await peerArg(ctx, args[0])
      const name = ctx.names.of(peer)
      if (await ctx.node.unwatch(peer)) return lines({ unwatched: peer }, `stopped watching ${name}`)
      if ((await ctx.node.person(peer))?.contact != null) return lines({ unwatched: null }, `${name} is a contact: you see their presence while you are contacts (/remove ends that)`)
      throw new BadArguments(`you are not watching ${name}`)
    }
  },
  {
    name: 'fetch',
    args: '<name> [seconds]',
    help: 'read someone\'s presence once, without watching (DHT; gives up after 20 s or the seconds given)',
    slow: ({ args }) => `reading the presence of ${args[0] ?? '…'}`,
    run: async (ctx, { args }) => {
      const peer = await peerArg(ctx, args[0])
      const name = ctx.names.of(peer)
      const r = await withDeadline(`reading the presence of ${name}`, lookupTime(args[1]), async (o) => await ctx.node.fetchPresence(peer, o))
      if (r.status === 'unknown') return lines(r, `${name}: no presence found (never seen, and no record in the DHT)`)
      return lines(r, `${name} is ${describe({ ...r, status: r.status }, ctx.now, ctx.paint)} (from ${r.source === 'watch' ? 'watching' : 'the DHT'})`)
    }
  },
  {
    name: 'visibility',
    args: `[${VISIBILITIES.join('|')}] [allowed...]`,
    help: 'who can see your presence (invisible: only the contacts you list)',
    run: async (ctx, { args }) => {
      const [mode, ...allow] = args
      if (mode != null) {
        if (!(VISIBILITIES as readonly string[]).includes(mode)) throw new BadArguments()
        const peers: string[] = []
        for (const a of allow) peers.push(await peerArg(ctx, a))
        await ctx.node.setVisibility(mode as Visibility, peers)
      }
      const v = await ctx.node.visibility()
      const who = v.allow.length === 0 ? 'nobody' : v.allow.map(p => ctx.names.of(p)).join(', ')
      return lines(v, `visibility: ${v.mode}${v.mode === 'invisible' ? ` (visible to: ${who})` : ''}`)
    }
  },
  {
    name: 'view',
    args: '<name> full|status',
    help: 'what a contact sees: everything, or your status without note and activity',
    run: async (ctx, { args }) => {
      const [who, level] = args
      if (level !== 'full' && level !== 'status') throw new BadArguments()
      const peer = await peerArg(ctx, who)
      await ctx.node.setView(peer, level)
      return lines({ peer, view: level }, `${ctx.names.of(peer)} sees ${level === 'full' ? 'your status, note and activity' : 'only your status'}`)
    }
  }
]

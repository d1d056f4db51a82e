/**
 * Commands of enhanced presence: set and show categories, choose the
 * containers each goes to, move contacts between containers, per-contact
 * rules, what a contact sees, and asking a contact for one category. What
 * others published is shown through safe(), like everything else.
 */
import { ACTIVITIES, BUILTIN_CATEGORIES, CONTACT_CONTAINERS, CONTAINERS, FREE_BUSY, MOBILITIES } from '../node/client.js'
import { BadArguments, lines, peerArg } from './command.js'
import { withDeadline, lookupTime } from './cmd-presence.js'
import { UsageError } from './errors.js'
import { pad, stamp } from './format.js'
import { safe } from './safe-text.js'
import type { CommandSpec } from './command.js'
import type { ActivityToken, Category, Container, ContactContainer } from '../node/index.js'

const printable = safe

/** `key=value` words (value may be quoted: name="Alice Anders"). */
function fields (text: string, allowed: readonly string[], usage: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of text.matchAll(/([a-z-]+)=(?:"([^"]*)"|(\S*))/g)) {
    if (!allowed.includes(m[1])) throw new UsageError(usage)
    out[m[1]] = m[2] ?? m[3]
  }
  if (Object.keys(out).length === 0 && text.trim() !== '') throw new UsageError(usage)
  return out
}

/** A time: HH:MM (today, or tomorrow once past), +30m / +2h from now, or an ISO 8601 date and time. */
export function parseTime (s: string, now: number = Date.now()): number {
  const rel = /^\+(\d+)([mh])$/.exec(s)
  if (rel != null) return now + Number(rel[1]) * (rel[2] === 'm' ? 60_000 : 3_600_000)
  const hm = /^(\d{1,2}):(\d{2})$/.exec(s)
  if (hm != null && Number(hm[1]) < 24 && Number(hm[2]) < 60) {
    const d = new Date(now)
    d.setHours(Number(hm[1]), Number(hm[2]), 0, 0)
    return d.getTime() <= now ? d.getTime() + 86_400_000 : d.getTime()
  }
  const t = Date.parse(s)
  if (/^\d{4}-\d{2}-\d{2}/.test(s) && Number.isFinite(t)) return t
  throw new UsageError(`not a time: ${s} (HH:MM, +30m, +2h or 2027-01-15T14:00)`)
}

/** The one time format of the CLI. */
const when = (t: number): string => stamp(t)

/** One line for a category's value. */
export function describeCategory (c: Category): string {
  switch (c.kind) {
    case 'state': return `${c.availability}${c.source == null ? '' : c.source === 'manual' ? ' (set by hand)' : c.idleSince != null ? ` (automatic: idle since ${when(c.idleSince)})` : ' (automatic)'}`
    case 'note': return printable(c.text)
    case 'activity': return `${c.activity}${c.text != null && c.activity !== 'other' ? `: ${printable(c.text)}` : c.text != null ? ` ${printable(c.text)}` : ''}${c.until != null ? ` until ${when(c.until)}` : ''}`
    case 'card': return [c.displayName, c.title, c.organization, c.email, c.phone, c.url].filter(x => x != null).map(x => printable(x as string)).join(', ')
    case 'capabilities': return `${c.description != null ? `${printable(c.description)} ` : ''}${c.mobility != null ? `(${c.mobility}) ` : ''}${c.features.length === 0 ? 'no features' : c.features.join(', ')}`
    case 'calendar': return `${c.freeBusy}${c.until != null ? ` until ${when(c.until)}` : ''}${c.nextFree != null ? `, next free ${when(c.nextFree)}` : ''}`
    case 'app': {
      // through the control socket the bytes arrive as base64
      const data: Uint8Array = typeof c.data === 'string' ? Buffer.from(c.data, 'base64') : c.data
      const text = new TextDecoder('utf-8', { fatal: false }).decode(data)
      return `${data.byteLength} bytes: ${JSON.stringify(printable(text))}`
    }
  }
}

const SET_USAGE = [
  'usage: /set note <text>',
  '       /set activity <' + ACTIVITIES.slice(1, 6).join('|') + '|…> [text] [until=<time>]   (other <text>: your own word)',
  '       /set card name=<name> [title=…] [org=…] [email=…] [phone=…] [url=…]',
  '       /set capabilities [description=…] [mobility=fixed|mobile] [features=chat,groups]',
  '       /set calendar <' + FREE_BUSY.join('|') + '> [until=<time>] [next-free=<time>]',
  '       /set app:<reverse.dns.name> <text>'
].join('\n')

/** The category `/set <key> <rest>` describes. */
export function parseCategory (key: string, rest: string, current?: Category, now: number = Date.now()): Category {
  const time = (s: string | undefined): number | undefined => s == null ? undefined : parseTime(s, now)
  switch (key) {
    case 'note':
      if (rest === '') throw new UsageError(SET_USAGE)
      return { kind: 'note', text: rest }
    case 'activity': {
      const untilMatch = /(?:^|\s)until=(\S+)$/.exec(rest)
      const body = untilMatch == null ? rest : rest.slice(0, untilMatch.index).trim()
      const [token, ...text] = body.split(/\s+/)
      if (!(ACTIVITIES as readonly string[]).includes(token)) throw new UsageError(SET_USAGE)
      return { kind: 'activity', activity: token as ActivityToken, text: text.length > 0 ? text.join(' ') : undefined, until: time(untilMatch?.[1]) }
    }
    case 'card': {
      const f = fields(rest, ['name', 'title', 'org', 'email', 'phone', 'url'], SET_USAGE)
      const name = f.name ?? (current?.kind === 'card' ? current.displayName : undefined)
      if (name == null) throw new UsageError(SET_USAGE)
      const base = current?.kind === 'card' ? current : undefined
      return { kind: 'card', displayName: name, title: f.title ?? base?.title, organization: f.org ?? base?.organization, email: f.email ?? base?.email, phone: f.phone ?? base?.phone, url: f.url ?? base?.url }
    }
    case 'capabilities': {
      const f = fields(rest, ['description', 'mobility', 'features'], SET_USAGE)
      if (f.mobility != null && !(MOBILITIES as readonly string[]).includes(f.mobility)) throw new UsageError(SET_USAGE)
      const base = current?.kind === 'capabilities' ? current : undefined
      return {
        kind: 'capabilities',
        description: f.description ?? base?.description,
        mobility: (f.mobility ?? base?.mobility) as 'fixed' | 'mobile' | undefined,
        features: f.features != null ? f.features.split(',').filter(x => x !== '') : base?.features ?? []
      }
    }
    case 'calendar': {
      const [state, ...more] = rest.split(/\s+/)
      if (!(FREE_BUSY as readonly string[]).includes(state)) throw new UsageError(SET_USAGE)
      const f = fields(more.join(' '), ['until', 'next-free'], SET_USAGE)
      return { kind: 'calendar', freeBusy: state as 'free', until: time(f.until), nextFree: time(f['next-free']) }
    }
    default:
      if (key.startsWith('app:')) return { kind: 'app', namespace: key.slice(4), data: new TextEncoder().encode(rest) }
      throw new UsageError(SET_USAGE)
  }
}

function containersArg (arg: string | undefined): Container[] | undefined {
  if (arg == null) throw new BadArguments()
  if (arg === 'default') return undefined
  if (arg === 'nobody') return []
  const list = arg.split(',')
  if (!list.every(c => (CONTAINERS as readonly string[]).includes(c))) throw new UsageError(`containers are ${CONTAINERS.join(', ')} (or nobody, default)`)
  return list as Container[]
}

const CONTAINERS_USAGE = `<${CONTAINERS.join('|')}>[,…]|nobody|default`

export const categoryCommands: CommandSpec[] = [
  {
    name: 'categories',
    help: 'your presence categories: what each says and who it goes to',
    run: async (ctx) => {
      const state = await ctx.node.state()
      const own = await ctx.node.categories()
      const out = [`  ${'state'.padEnd(24)} ${describeCategory(state)}  → everyone who sees you`]
      for (const c of own) {
        const to = c.containers.length === 0 ? 'nobody (but contacts you allow)' : c.containers.join(', ')
        out.push(`  ${pad(safe(c.key), 24)} ${c.value == null ? '(not set)' : describeCategory(c.value)}  → ${to}${c.chosen ? '' : ' (default)'}`)
      }
      return lines({ state, categories: own }, ...out)
    }
  },
  {
    name: 'set',
    args: '<category> <value...>',
    help: `set a category (${BUILTIN_CATEGORIES.filter(k => k !== 'state').join(', ')}, app:<name>); /set alone shows the forms`,
    run: async (ctx, { args, rest }) => {
      const [key] = args
      if (key == null) throw new UsageError(SET_USAGE)
      const current = (await ctx.node.categories()).find(c => c.key === key)?.value
      const category = parseCategory(key, rest.trim().slice(key.length).trim(), current)
      await ctx.node.setCategory(category)
      return lines(category, `${safe(key)}: ${describeCategory(category)}`)
    }
  },
  {
    name: 'clear',
    args: '<category>',
    help: 'clear a category you set',
    run: async (ctx, { args }) => {
      if (args[0] == null) throw new BadArguments()
      const cleared = await ctx.node.clearCategory(args[0])
      return lines({ cleared }, cleared ? `cleared ${safe(args[0])}` : `${safe(args[0])} was not set`)
    }
  },
  {
    name: 'publish',
    args: `<category> ${CONTAINERS_USAGE}`,
    help: 'who a category goes to: public, contacts, close (comma-separated), nobody, or default',
    run: async (ctx, { args }) => {
      const [key, arg] = args
      if (key == null) throw new BadArguments()
      await ctx.node.publishCategory(key, containersArg(arg))
      const now = (await ctx.node.categories()).find(c => c.key === key)
      const to = now == null || now.containers.length === 0 ? 'nobody' : now.containers.join(', ')
      return lines({ category: key, containers: now?.containers ?? [] }, `${safe(key)} goes to ${to}`)
    }
  },
  {
    name: 'container',
    args: `<name> <${CONTACT_CONTAINERS.join('|')}>`,
    help: 'move a contact into your closer circle or back; it applies at once',
    run: async (ctx, { args }) => {
      const [who, container] = args
      if (!(CONTACT_CONTAINERS as readonly string[]).includes(container)) throw new BadArguments()
      const peer = await peerArg(ctx, who)
      await ctx.node.setContainer(peer, container as ContactContainer)
      return lines({ peerId: peer, container }, `${ctx.names.of(peer)} is in ${container === 'close' ? 'your closer circle' : 'your contacts'}`)
    }
  },
  {
    name: 'rule',
    args: '<name> <category> allow|deny|default',
    help: 'show (allow) or hide (deny) one category to one contact whatever its container says',
    run: async (ctx, { args }) => {
      const [who, key, rule] = args
      if (key == null || !['allow', 'deny', 'default'].includes(rule)) throw new BadArguments()
      const peer = await peerArg(ctx, who)
      await ctx.node.setCategoryRule(peer, key, rule as 'allow' | 'deny' | 'default')
      return lines({ peerId: peer, category: key, rule }, `${ctx.names.of(peer)}: ${safe(key)} ${rule === 'default' ? 'as its containers say' : rule === 'allow' ? 'shown' : 'hidden'}`)
    }
  },
  {
    name: 'sees',
    args: '<name>',
    help: 'what a given contact (or stranger) sees of you, and why',
    run: async (ctx, { args }) => {
      const peer = await peerArg(ctx, args[0])
      const seen = await ctx.node.seenBy(peer)
      const name = ctx.names.of(peer)
      if (!seen.sees) return lines(seen, `${name} sees nothing of you (you look offline to them)`)
      const why: Record<string, string> = { state: 'everyone who sees you', container: 'container', allowed: 'allowed for them', denied: 'denied for them', 'not-published': 'not in their containers' }
      return lines(seen,
        `${name} is in ${seen.containers.length === 0 ? 'no container (status only)' : seen.containers.join(', ')}:`,
        ...seen.categories.map(c => `  ${c.visible ? '✓' : '✗'} ${pad(safe(c.key), 24)} ${c.visible && c.value != null ? describeCategory(c.value) : ''}  (${c.why === 'container' && 'via' in c ? `via ${c.via ?? ''}` : why[c.why] ?? c.why})`))
    }
  },
  {
    name: 'show',
    args: '<name>',
    help: 'every category you see of someone you watch',
    run: async (ctx, { args }) => {
      const peer = await peerArg(ctx, args[0])
      const view = await ctx.node.presenceOf(peer)
      const name = ctx.names.of(peer)
      const categories = Object.entries(view?.categories ?? {})
      if (categories.length === 0) return lines(view ?? null, `${name}: ${view?.status ?? 'not watched'}, nothing more to see`)
      return lines(view, `${name}:`, ...categories.map(([key, c]) => `  ${pad(safe(key), 24)} ${describeCategory(c)}`))
    }
  },
  {
    name: 'query',
    args: '<name> <category> [seconds]',
    help: 'ask someone for one category once, without watching them (gives up after 20 s or the seconds given)',
    slow: ({ args }) => `asking ${args[0] ?? '…'} for ${args[1] ?? '…'}`,
    run: async (ctx, { args }) => {
      const [who, key] = args
      if (key == null) throw new BadArguments()
      const peer = await peerArg(ctx, who)
      const name = ctx.names.of(peer)
      const answer = await withDeadline(`asking ${name} for ${safe(key)}`, lookupTime(args[2]), async (o) => await ctx.node.queryCategory(peer, key, o))
      return lines(answer, `${name} ${safe(key)}: ${answer.category == null ? 'nothing you can see' : describeCategory(answer.category)}`)
    }
  }
]

/**
 * Interactive commands of enhanced presence: set and show categories, choose
 * the containers each goes to, move contacts between containers, per-contact
 * rules, what a contact sees, and asking a contact for one category. Each
 * parses its words and calls the node API (commands.ts merges the table).
 */
import { ACTIVITIES, BUILTIN_CATEGORIES, CONTACT_CONTAINERS, CONTAINERS, FREE_BUSY, MOBILITIES } from '../node/index.js'
import { UsageError } from './errors.js'
import { clock, label } from './format.js'
import type { Command } from './commands.js'
import type { ActivityToken, Category, Container, ContactContainer, PresenceNodeApi as PresenceNode } from '../node/index.js'

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/gu
/** Text from the network shown on a terminal: control characters as `?`, so no escape sequence gets through. */
const printable = (s: string): string => s.replace(CONTROL, '?')

const nameOf = (node: PresenceNode, peerId: string): string => label({ peerId, alias: node.person(peerId)?.alias })

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

const when = (t: number): string => {
  const d = new Date(t)
  return d.toDateString() === new Date().toDateString() ? clock(t).slice(0, 5) : d.toLocaleString()
}

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
      const text = new TextDecoder('utf-8', { fatal: false }).decode(c.data)
      return `${c.data.byteLength} bytes: ${JSON.stringify(printable(text))}`
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
  if (arg == null) throw new UsageError(`usage: /publish <category> <${CONTAINERS.join('|')}>[,…] | nobody | default`)
  if (arg === 'default') return undefined
  if (arg === 'nobody') return []
  const list = arg.split(',')
  if (!list.every(c => (CONTAINERS as readonly string[]).includes(c))) throw new UsageError(`containers are ${CONTAINERS.join(', ')} (or nobody, default)`)
  return list as Container[]
}

export const categoryCommands: Record<string, Command> = {
  categories: {
    usage: '/categories',
    help: 'your presence categories: what each says and who it goes to',
    run: async ({ node }) => {
      const self = node.state()
      const lines = [`  ${'state'.padEnd(24)} ${describeCategory(self)}  → everyone who sees you`]
      for (const c of node.categories()) {
        const to = c.containers.length === 0 ? 'nobody (but contacts you allow)' : c.containers.join(', ')
        lines.push(`  ${c.key.padEnd(24)} ${c.value == null ? '(not set)' : describeCategory(c.value)}  → ${to}${c.chosen ? '' : ' (default)'}`)
      }
      return lines
    }
  },
  set: {
    usage: '/set <category> <value…>',
    help: `set a category (${BUILTIN_CATEGORIES.filter(k => k !== 'state').join(', ')}, app:<name>); /set with no value for the forms`,
    run: async ({ node }, args, rest) => {
      const [key] = args
      if (key == null) throw new UsageError(SET_USAGE)
      const current = node.categories().find(c => c.key === key)?.value
      const category = parseCategory(key, rest.slice(key.length).trim(), current)
      await node.setCategory(category)
      return [`${key}: ${describeCategory(category)}`]
    }
  },
  clear: {
    usage: '/clear <category>',
    help: 'clear a category you set',
    run: async ({ node }, args) => {
      if (args[0] == null) throw new UsageError('usage: /clear <category>')
      return [await node.clearCategory(args[0]) ? `cleared ${args[0]}` : `${args[0]} was not set`]
    }
  },
  publish: {
    usage: '/publish <category> <containers>',
    help: 'who a category goes to: public, contacts, close (comma-separated), nobody, or default',
    run: async ({ node }, args) => {
      const [key, arg] = args
      if (key == null) throw new UsageError(`usage: /publish <category> <${CONTAINERS.join('|')}>[,…] | nobody | default`)
      await node.publishCategory(key, containersArg(arg))
      const now = node.categories().find(c => c.key === key)
      return [`${key} goes to ${now == null || now.containers.length === 0 ? 'nobody' : now.containers.join(', ')}`]
    }
  },
  container: {
    usage: `/container <alias|peer id> <${CONTACT_CONTAINERS.join('|')}>`,
    help: 'move a contact into your closer circle or back; it applies at once',
    run: async ({ node }, args) => {
      const [who, container] = args
      if (who == null || !(CONTACT_CONTAINERS as readonly string[]).includes(container)) throw new UsageError(`usage: /container <alias|peer id> <${CONTACT_CONTAINERS.join('|')}>`)
      const peer = node.resolvePeer(who)
      await node.setContainer(peer, container as ContactContainer)
      return [`${nameOf(node, peer)} is in ${container === 'close' ? 'your closer circle' : 'your contacts'}`]
    }
  },
  rule: {
    usage: '/rule <alias|peer id> <category> allow|deny|default',
    help: 'show (allow) or hide (deny) one category to one contact whatever its container says',
    run: async ({ node }, args) => {
      const [who, key, rule] = args
      if (who == null || key == null || !['allow', 'deny', 'default'].includes(rule)) throw new UsageError('usage: /rule <alias|peer id> <category> allow|deny|default')
      const peer = node.resolvePeer(who)
      await node.setCategoryRule(peer, key, rule as 'allow' | 'deny' | 'default')
      return [`${nameOf(node, peer)}: ${key} ${rule === 'default' ? 'as its containers say' : rule === 'allow' ? 'shown' : 'hidden'}`]
    }
  },
  sees: {
    usage: '/sees <alias|peer id>',
    help: 'what a given contact (or stranger) sees of you, and why',
    run: async ({ node }, args) => {
      if (args[0] == null) throw new UsageError('usage: /sees <alias|peer id>')
      const peer = node.resolvePeer(args[0])
      const seen = node.seenBy(peer)
      if (!seen.sees) return [`${nameOf(node, peer)} sees nothing of you (you look offline to them)`]
      const why: Record<string, string> = { state: 'everyone who sees you', container: 'container', allowed: 'allowed for them', denied: 'denied for them', 'not-published': 'not in their containers' }
      return [
        `${nameOf(node, peer)} is in ${seen.containers.length === 0 ? 'no container (status only)' : seen.containers.join(', ')}:`,
        ...seen.categories.map(c => `  ${c.visible ? '✓' : '✗'} ${c.key.padEnd(24)} ${c.visible && c.value != null ? describeCategory(c.value) : ''}  (${c.why === 'container' && 'via' in c ? `via ${c.via ?? ''}` : why[c.why] ?? c.why})`)
      ]
    }
  },
  show: {
    usage: '/show <alias|peer id>',
    help: 'every category you see of someone you watch',
    run: async ({ node }, args) => {
      if (args[0] == null) throw new UsageError('usage: /show <alias|peer id>')
      const peer = node.resolvePeer(args[0])
      const view = node.presenceOf(peer)
      const categories = Object.entries(view?.categories ?? {})
      if (categories.length === 0) return [`${nameOf(node, peer)}: ${view?.status ?? 'not watched'}, nothing more to see`]
      return [`${nameOf(node, peer)}:`, ...categories.map(([key, c]) => `  ${key.padEnd(24)} ${describeCategory(c)}`)]
    }
  },
  query: {
    usage: '/query <alias|peer id> <category>',
    help: 'ask someone for one category once, without watching them',
    run: async ({ node }, args) => {
      const [who, key] = args
      if (who == null || key == null) throw new UsageError('usage: /query <alias|peer id> <category>')
      const peer = node.resolvePeer(who)
      const answer = await node.queryCategory(peer, key)
      return [`${nameOf(node, peer)} ${key}: ${answer.category == null ? 'nothing you can see' : describeCategory(answer.category)}`]
    }
  }
}

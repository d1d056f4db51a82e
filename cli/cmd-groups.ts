/**
 * Group conversations: /group create|invite|accept|decline|leave|remove|
 * rename|admin|members|history, /groups, /g <group> <text>; and how group
 * events read at the prompt. Groups are named by name, id or id prefix (the
 * node resolves them); people as everywhere else (cli/names.ts).
 */
import { MAX_GROUP_TEXT_BYTES } from '../node/client.js'
import { BadArguments, lines, peerArg, textAfter } from './command.js'
import { UsageError } from './errors.js'
import { at, count, pad, stateLine } from './format.js'
import { safe } from './safe-text.js'
import type { Api } from './api.js'
import type { CommandSpec, Ctx, Output } from './command.js'
import type { Names } from './names.js'
import type { Paint } from './style.js'
import type { GroupChange, GroupInfo, GroupMessage, PresenceNodeApi } from '../node/index.js'

/** How many messages /group history shows unless told. */
const HISTORY_DEFAULT = 20
/** How many unread texts older than those /group history shows it shows too. */
const UNREAD_SHOWN = 100

/** The group's order, the same on every member: Lamport time, then author. */
const inGroupOrder = (a: GroupMessage, b: GroupMessage): number => a.lamport - b.lamport || (a.author < b.author ? -1 : a.author > b.author ? 1 : 0)

interface Naming { names: Names, self: string }

const who = ({ names, self }: Naming, peer: string): string => peer === self ? 'you' : names.of(peer)

/** `#name`, bold; the name is whatever a member chose, so it is escaped. */
const tag = (g: { name: string }, paint: Paint): string => paint('bold', `#${safe(g.name)}`)

const short = (id: string): string => id.slice(0, 8)

const STATE_MARK: Record<string, string> = { queued: '…', sent: '✓', delivered: '✓✓' }

/** One history line: `[14:05] #trip bob: text`, or `[14:05] #trip → text ✓` for this user's own. */
export function groupMessageLine (n: Naming, m: GroupMessage, group: { name: string }, paint: Paint, now: number = Date.now()): string {
  const written = m.direction === 'in' && m.receivedAt != null ? Math.min(m.sentAt, m.receivedAt) : m.sentAt
  return m.direction === 'in'
    ? `${at(written, paint, now)} ${tag(group, paint)} ${paint('bold', who(n, m.author))}: ${safe(m.text)}`
    : `${at(written, paint, now)} ${tag(group, paint)} → ${safe(m.text)} ${paint('dim', STATE_MARK[m.state ?? 'queued'])}`
}

export function groupChangeLine (n: Naming, c: GroupChange): string {
  const p = c.peer == null ? '' : who(n, c.peer)
  const you = p === 'you'
  const by = c.by == null ? '' : ` by ${who(n, c.by)}`
  // another device of a person in the group: this user's own ("your phone"), or a contact's
  const device = c.peer != null && c.peer !== n.self && n.names.otherDevice(c.peer)
  const own = device && p.startsWith('you (')
  const subject = own ? `your ${p.slice(5, -1)}` : p
  const samePerson = c.by != null && (who(n, c.by) === p || (own && who(n, c.by).startsWith('you')))
  switch (c.kind) {
    case 'joined': return device && !own ? `${p} joined on another device` : `${subject} joined`
    case 'invited':
      if (samePerson) return own ? `${subject} was invited (your devices share your groups)` : `${p} invited another device of theirs`
      return `${subject} ${you ? 'were' : 'was'} invited${by}`
    case 'declined': return `${subject} declined`
    case 'left': return device && !own ? `${p} left on another device` : `${subject} left`
    case 'removed': return `${subject} ${you ? 'were' : 'was'} removed${by}`
    case 'renamed': return `renamed to "${safe(c.name ?? '')}"`
    case 'promoted': return `${subject} ${you ? 'are' : 'is'} now an admin`
  }
}

async function membersOutput (ctx: Ctx, g: GroupInfo): Promise<Output> {
  const online = await ctx.node.groupOnline(g.id)
  const status = new Map(online.map(p => [p.peerId, p.status]))
  // a person in the group on several devices: one row per device, told apart by its short id
  const names = g.members.map(m => who(ctx, m.peerId))
  const people = new Set(g.members.map(m => ctx.names.personOf(m.peerId, ctx.self)))
  const several = new Set(names.filter((n, i) => names.indexOf(n) !== i))
  const out = g.members.map((m, i) => `  ${pad(ctx.paint('bold', several.has(names[i]) ? ctx.names.full(m.peerId) : names[i]), 20)} ${m.role === 'admin' ? 'admin ' : 'member'}  ${status.get(m.peerId) ?? 'unknown'}`)
  for (const i of g.invited) out.push(`  ${pad(who(ctx, i.peerId), 16)} invited by ${who(ctx, i.by)}`)
  const devices = people.size < g.members.length ? ` (${g.members.length} devices)` : ''
  const head = `${tag(g, ctx.paint)} (${short(g.id)}), ${people.size} member(s)${devices}${g.standing === 'member' ? '' : `, you ${g.standing}`}:`
  return lines({ group: g, online }, head, ...out)
}

function checkGroupText (text: string): void {
  if (text.trim() === '') throw new BadArguments('a message needs some text')
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > MAX_GROUP_TEXT_BYTES) throw new UsageError(`a group message holds at most ${count(MAX_GROUP_TEXT_BYTES)} bytes of UTF-8; this one has ${count(bytes)}`)
}

type Sub = (ctx: Ctx, args: string[], rest: string) => Promise<Output>

/** The group an invitation is answered for: the one named, else the only invitation waiting. */
async function invitationTo (ctx: Ctx, named: string | undefined): Promise<string> {
  if (named != null) return named
  const invitations = await ctx.node.groupInvitations()
  if (invitations.length === 1) return invitations[0].group
  throw new UsageError(invitations.length === 0 ? 'no group invitation is waiting for you' : 'several group invitations are waiting: name the group (/groups lists them)')
}

/** A subcommand an admin runs on one member (remove, admin): the group as it is afterwards. */
function onePerson (act: (node: Api, group: string, peer: string) => Promise<void>, say: (person: string, group: string) => string): { args: string, run: Sub } {
  return {
    args: '<group> <member>',
    run: async (ctx, [group, person]) => {
      if (group == null || person == null) throw new BadArguments()
      const peer = await peerArg(ctx, person)
      await act(ctx.node, group, peer)
      const g = await ctx.node.group(group)
      return lines(g, say(who(ctx, peer), tag(g, ctx.paint)))
    }
  }
}

/** Each subcommand: its arguments as usage shows them, and what it does. */
const SUBCOMMANDS: Record<string, { args: string, run: Sub }> = {
  create: {
    args: '<name> [member...]',
    run: async (ctx, [name, ...people]) => {
      if (name == null) throw new BadArguments()
      const members = await Promise.all(people.map(async p => await peerArg(ctx, p)))
      const g = await ctx.node.createGroup(name, members)
      const invited = g.invited.length > 0 ? `; invited ${g.invited.map(i => who(ctx, i.peerId)).join(', ')}` : ''
      return lines(g, `created ${tag(g, ctx.paint)} (${short(g.id)})${invited}`)
    }
  },
  invite: {
    args: '<group> <member...>',
    run: async (ctx, [group, ...people]) => {
      if (group == null || people.length === 0) throw new BadArguments()
      const members = await Promise.all(people.map(async p => await peerArg(ctx, p)))
      for (const p of members) await ctx.node.inviteToGroup(group, p)
      const g = await ctx.node.group(group)
      return lines(g, `invited ${members.map(p => who(ctx, p)).join(', ')} to ${tag(g, ctx.paint)}`)
    }
  },
  accept: {
    args: '[group]',
    run: async (ctx, [named]) => {
      const group = await invitationTo(ctx, named)
      const out = await membersOutput(ctx, await ctx.node.acceptGroup(group))
      return { data: out.data, lines: out.lines.map((l, i) => i === 0 ? `joined ${l}` : l) }
    }
  },
  decline: {
    args: '[group]',
    run: async (ctx, [named]) => {
      const group = await invitationTo(ctx, named)
      await ctx.node.declineGroup(group)
      return lines({ declined: group }, `declined the invitation to #${safe(group)}`)
    }
  },
  leave: {
    args: '<group>',
    run: async (ctx, [group]) => {
      if (group == null) throw new BadArguments()
      const g = await ctx.node.group(group)
      await ctx.node.leaveGroup(g.id)
      return lines(await ctx.node.group(g.id), `you left ${tag(g, ctx.paint)} (its history stays: /group history ${short(g.id)})`)
    }
  },
  remove: onePerson(async (node, group, peer) => { await node.removeFromGroup(group, peer) }, (p, g) => `removed ${p} from ${g}`),
  rename: {
    args: '<group> <new name...>',
    run: async (ctx, [group], rest) => {
      const name = textAfter(rest, 1)
      if (group == null || name === '') throw new BadArguments()
      const id = (await ctx.node.group(group)).id
      await ctx.node.renameGroup(id, name)
      const g = await ctx.node.group(id)
      return lines(g, `renamed to ${tag(g, ctx.paint)}`)
    }
  },
  admin: onePerson(async (node, group, peer) => { await node.promoteInGroup(group, peer) }, (p, g) => `${p} is now an admin of ${g}`),
  members: {
    args: '<group>',
    run: async (ctx, [group]) => {
      if (group == null) throw new BadArguments()
      return await membersOutput(ctx, await ctx.node.group(group))
    }
  },
  history: {
    args: '<group> [n]',
    run: async (ctx, [group, n]) => {
      const limit = n == null ? HISTORY_DEFAULT : Number(n)
      if (group == null) throw new BadArguments()
      if (!Number.isInteger(limit) || limit < 1) throw new BadArguments(`${safe(n)} is not a positive whole number`)
      const g = await ctx.node.group(group)
      // the newest n, and any unread text older than them (caught up late, its place is further back)
      const [newest, unread] = await Promise.all([ctx.node.groupHistory(g.id, limit), ctx.node.groupUnreadMessages(g.id, UNREAD_SHOWN)])
      const shown = new Set(newest.map(m => m.id))
      const messages = [...unread.filter(m => !shown.has(m.id)), ...newest].sort(inGroupOrder)
      // what was shown is read; an older unread text, or one that came meanwhile, stays unread
      await ctx.node.markGroupRead(g.id, messages.filter(m => m.direction === 'in').map(m => m.id))
      return lines(messages, ...(messages.length === 0 ? [`no messages in ${tag(g, ctx.paint)} yet`] : messages.map(m => groupMessageLine(ctx, m, g, ctx.paint, ctx.now))))
    }
  }
}

const group: CommandSpec = {
  name: 'group',
  args: '[subcommand] [args...]',
  help: `group conversations: ${Object.keys(SUBCOMMANDS).join(', ')} (/group alone shows what each takes)`,
  run: async (ctx, { args, rest }) => {
    const [sub, ...more] = args
    if (sub == null) return lines(Object.keys(SUBCOMMANDS), ...Object.entries(SUBCOMMANDS).map(([name, s]) => `  /group ${name} ${s.args}`))
    const spec = Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined
    if (spec == null) throw new BadArguments(`no subcommand ${safe(sub)}`)
    try {
      return await spec.run(ctx, more, textAfter(rest, 1))
    } catch (err) {
      if (err instanceof BadArguments) throw new UsageError(`${err.detail != null ? `${err.detail}; ` : ''}usage: /group ${sub} ${spec.args}`)
      throw err
    }
  }
}

const groups: CommandSpec = {
  name: 'groups',
  help: 'your groups (with unread counts) and the invitations waiting for you',
  run: async (ctx) => {
    const [all, invitations, unread] = await Promise.all([ctx.node.groups(), ctx.node.groupInvitations(), ctx.node.groupUnread()])
    const badge = (g: GroupInfo): string => unread[g.id] > 0 ? '  ' + ctx.paint('cyan', `(${unread[g.id]} unread)`) : ''
    const out = all.map(g => `  ${pad(ctx.paint('bold', `#${safe(g.name)}`), 20)} ${new Set(g.members.map(m => ctx.names.personOf(m.peerId, ctx.self))).size} member(s)${g.role === 'admin' ? ', admin' : ''}${g.standing === 'member' ? '' : `, you ${g.standing}`}  ${ctx.paint('dim', short(g.id))}${badge(g)}`)
    for (const i of invitations) out.push(`  ${ctx.paint('cyan', `#${safe(i.name)}`)}: ${who(ctx, i.inviter)} invites you (/group accept ${short(i.group)})`)
    return lines({ groups: all, invitations, unread }, ...(out.length === 0 ? ['no groups yet: /group create <name> [member...]'] : out))
  }
}

const g: CommandSpec = {
  name: 'g',
  args: '<group> <text...>',
  help: `send a message to a group (kept by every member; at most ${count(MAX_GROUP_TEXT_BYTES)} bytes)`,
  run: async (ctx, { args, rest }) => {
    const text = textAfter(rest, 1)
    if (args[0] == null) throw new BadArguments()
    checkGroupText(text)
    const m = await ctx.node.sendToGroup(args[0], text)
    return lines(m, groupMessageLine(ctx, m, await ctx.node.group(m.group), ctx.paint, ctx.now))
  }
}

export const groupCommands: CommandSpec[] = [group, groups, g]

/**
 * What the prompt does with group events: print them, and notify of messages. `fresh` says whether a message
 * is not on the screen yet (the start-up backlog may show it too).
 */
export function showGroupEvents (node: PresenceNodeApi, naming: () => Naming, paint: Paint, print: (lines: string[]) => void, notify: (m: GroupMessage, groupName: string) => void, fresh: (m: GroupMessage) => boolean = () => true, printState: (lines: string[]) => void = print): void {
  const api = node as unknown as Api
  node.addEventListener('group:message', (e) => {
    const m = e.detail
    void Promise.resolve(api.group(m.group)).then(g => {
      if (!fresh(m)) return
      print([groupMessageLine(naming(), m, g, paint)])
      notify(m, g.name)
    }).catch(() => {})
  })
  node.addEventListener('group:invitation', (e) => {
    const i = e.detail
    const n = naming()
    const short8 = short(i.group)
    print([`${at(Date.now(), paint)} ${paint('cyan', `${who(n, i.inviter)} invites you to #${safe(i.name)}`)} (${i.members.map(p => who(n, p)).join(', ')}) — /group accept ${short8} or /group decline ${short8}`])
  })
  // an own message the echo showed as queued (…): say when it goes out and when a member has it
  node.addEventListener('group:state', (e) => {
    const m = e.detail
    void Promise.resolve(api.group(m.group)).then(g => { printState([stateLine(m, `#${safe(g.name)}`, paint)]) }).catch(() => {})
  })
  node.addEventListener('group:change', (e) => {
    const { name, changes } = e.detail
    const n = naming()
    print(changes.map(c => `${at(Date.now(), paint)} ${tag({ name }, paint)}: ${groupChangeLine(n, c)}`))
  })
}

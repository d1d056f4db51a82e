/**
 * Group commands and how group events read, all through the node API:
 * /group create|invite|accept|decline|leave|remove|rename|admin|members|history,
 * /groups, /g <group> <text>.
 */
import { UsageError } from './errors.js'
import { clock, label } from './format.js'
import type { Command, CommandContext } from './commands.js'
import type { Paint } from './style.js'
import type { GroupChange, GroupInfo, GroupMessage, PresenceNodeApi } from '../node/index.js'

const USAGE = {
  create: '/group create <name> [member…]',
  invite: '/group invite <group> <member…>',
  accept: '/group accept <group>',
  decline: '/group decline <group>',
  leave: '/group leave <group>',
  remove: '/group remove <group> <member>',
  rename: '/group rename <group> <new name>',
  admin: '/group admin <group> <member>',
  members: '/group members <group>',
  history: '/group history <group> [n]'
} as const

const name = (node: PresenceNodeApi, peer: string): string =>
  peer === node.peerId.toString() ? 'you' : label({ peerId: peer, alias: node.person(peer)?.alias })

const tag = (g: { name: string }, paint: Paint): string => paint('bold', `#${g.name}`)

const STATE: Record<string, string> = { queued: '…', sent: '✓', delivered: '✓✓' }

/** One history line: `[time] #group bob: text`, or `[time] #group → text ✓` for this user's own. */
export function groupMessageLine (node: PresenceNodeApi, m: GroupMessage, group: { name: string }, paint: Paint): string {
  const at = paint('dim', `[${clock(m.direction === 'in' ? m.receivedAt ?? m.sentAt : m.sentAt)}]`)
  return m.direction === 'in'
    ? `${at} ${tag(group, paint)} ${paint('bold', name(node, m.author))}: ${m.text}`
    : `${at} ${tag(group, paint)} → ${m.text} ${paint('dim', STATE[m.state ?? 'queued'])}`
}

function changeLine (node: PresenceNodeApi, c: GroupChange): string {
  const who = c.peer == null ? '' : name(node, c.peer)
  const by = c.by == null ? '' : ` by ${name(node, c.by)}`
  switch (c.kind) {
    case 'joined': return `${who} joined`
    case 'invited': return `${who} ${who === 'you' ? 'were' : 'was'} invited${by}`
    case 'declined': return `${who} declined`
    case 'left': return `${who} left`
    case 'removed': return `${who} ${who === 'you' ? 'were' : 'was'} removed${by}`
    case 'renamed': return `renamed to "${c.name ?? ''}"`
    case 'promoted': return `${who} ${who === 'you' ? 'are' : 'is'} now an admin`
  }
}

function members (node: PresenceNodeApi, g: GroupInfo, paint: Paint): string[] {
  const online = new Map(node.groupOnline(g.id).map(p => [p.peerId, p.status]))
  const lines = g.members.map(m => `  ${paint('bold', name(node, m.peerId).padEnd(16))} ${m.role === 'admin' ? 'admin ' : 'member'}  ${online.get(m.peerId) ?? 'unknown'}`)
  for (const i of g.invited) lines.push(`  ${name(node, i.peerId).padEnd(16)} invited by ${name(node, i.by)}`)
  return [`${tag(g, paint)} (${g.id.slice(0, 8)}), ${g.members.length} member(s)${g.standing === 'member' ? '' : `, you ${g.standing}`}:`, ...lines]
}

type Sub = (ctx: CommandContext, args: string[], rest: string) => Promise<string[]>

const SUBCOMMANDS: Record<keyof typeof USAGE, Sub> = {
  create: async ({ node, paint }, [groupName, ...people]) => {
    if (groupName == null) throw new UsageError(`usage: ${USAGE.create}`)
    const g = await node.createGroup(groupName, people)
    return [`created ${tag(g, paint)} (${g.id.slice(0, 8)})${people.length > 0 ? `; invited ${g.invited.map(i => name(node, i.peerId)).join(', ')}` : ''}`]
  },
  invite: async ({ node, paint }, [group, ...people]) => {
    if (group == null || people.length === 0) throw new UsageError(`usage: ${USAGE.invite}`)
    for (const p of people) await node.inviteToGroup(group, p)
    return [`invited ${people.map(p => name(node, node.resolvePeer(p))).join(', ')} to ${tag(node.group(group), paint)}`]
  },
  accept: async ({ node, paint }, [group]) => {
    if (group == null) throw new UsageError(`usage: ${USAGE.accept}`)
    return members(node, await node.acceptGroup(group), paint).map((l, i) => i === 0 ? `joined ${l}` : l)
  },
  decline: async ({ node }, [group]) => {
    if (group == null) throw new UsageError(`usage: ${USAGE.decline}`)
    await node.declineGroup(group)
    return ['declined']
  },
  leave: async ({ node, paint }, [group]) => {
    if (group == null) throw new UsageError(`usage: ${USAGE.leave}`)
    const g = node.group(group)
    await node.leaveGroup(g.id)
    return [`you left ${tag(g, paint)}`]
  },
  remove: async ({ node, paint }, [group, peer]) => {
    if (group == null || peer == null) throw new UsageError(`usage: ${USAGE.remove}`)
    await node.removeFromGroup(group, peer)
    return [`removed ${name(node, node.resolvePeer(peer))} from ${tag(node.group(group), paint)}`]
  },
  rename: async ({ node, paint }, [group], rest) => {
    const newName = group == null ? '' : rest.slice(rest.indexOf(group) + group.length).trim()
    if (group == null || newName === '') throw new UsageError(`usage: ${USAGE.rename}`)
    await node.renameGroup(group, newName)
    return [`renamed to ${tag(node.group(group), paint)}`]
  },
  admin: async ({ node, paint }, [group, peer]) => {
    if (group == null || peer == null) throw new UsageError(`usage: ${USAGE.admin}`)
    await node.promoteInGroup(group, peer)
    return [`${name(node, node.resolvePeer(peer))} is now an admin of ${tag(node.group(group), paint)}`]
  },
  members: async ({ node, paint }, [group]) => {
    if (group == null) throw new UsageError(`usage: ${USAGE.members}`)
    return members(node, node.group(group), paint)
  },
  history: async ({ node, paint }, [group, n]) => {
    const limit = n == null ? 20 : Number(n)
    if (group == null || !Number.isInteger(limit) || limit < 1) throw new UsageError(`usage: ${USAGE.history}`)
    const g = node.group(group)
    const messages = await node.groupHistory(g.id, limit)
    return messages.length === 0 ? [`no messages in ${tag(g, paint)} yet`] : messages.map(m => groupMessageLine(node, m, g, paint))
  }
}

export const groupCommands: Record<string, Command> = {
  group: {
    usage: '/group <create|invite|accept|decline|leave|remove|rename|admin|members|history> …',
    help: 'group conversations (/group alone lists the subcommands)',
    run: async (ctx, args, rest) => {
      const [sub, ...more] = args
      const run = SUBCOMMANDS[sub as keyof typeof USAGE]
      if (run == null) return Object.values(USAGE).map(u => `  ${u}`)
      return await run(ctx, more, rest.slice(sub.length).trim())
    }
  },
  groups: {
    usage: '/groups',
    help: 'your groups and the invitations waiting for you',
    run: async ({ node, paint }) => {
      const lines = node.groups().map(g => `  ${tag(g, paint).padEnd(20)} ${g.members.length} member(s)${g.role === 'admin' ? ', admin' : ''}${g.standing === 'member' ? '' : `, you ${g.standing}`}  ${paint('dim', g.id.slice(0, 8))}`)
      for (const i of node.groupInvitations()) lines.push(`  ${paint('cyan', `#${i.name}`)}: ${name(node, i.inviter)} invites you (/group accept ${i.group.slice(0, 8)})`)
      return lines.length === 0 ? ['no groups yet: /group create <name> [member…]'] : lines
    }
  },
  g: {
    usage: '/g <group> <text>',
    help: 'send a message to a group',
    run: async ({ node, paint }, [group], rest) => {
      const text = group == null ? '' : rest.slice(group.length).trim()
      if (group == null || text === '') throw new UsageError('usage: /g <group> <text>')
      const m = await node.sendToGroup(group, text)
      return [groupMessageLine(node, m, node.group(m.group), paint)]
    }
  }
}

/** Prints group messages, invitations and membership changes as they happen. */
export function showGroupEvents (node: PresenceNodeApi, print: (lines: string[]) => void, paint: Paint): void {
  const at = (): string => paint('dim', `[${clock()}]`)
  node.addEventListener('group:message', (e) => {
    print([groupMessageLine(node, e.detail, node.group(e.detail.group), paint)])
  })
  node.addEventListener('group:invitation', (e) => {
    const i = e.detail
    print([`${at()} ${paint('cyan', `${name(node, i.inviter)} invites you to #${i.name}`)} (${i.members.map(p => name(node, p)).join(', ')}) — /group accept ${i.name} or /group decline ${i.name}`])
  })
  node.addEventListener('group:change', (e) => {
    const { name: groupName, changes } = e.detail
    print(changes.map(c => `${at()} ${tag({ name: groupName }, paint)}: ${changeLine(node, c)}`))
  })
}

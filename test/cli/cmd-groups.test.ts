/**
 * The group commands' own logic with a stub node: arguments, what never
 * reaches the node, and every group line and error safe for a terminal
 * whatever a member named the group or wrote.
 */
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { groupChangeLine, groupCommands, groupMessageLine } from '../../cli/cmd-groups.js'
import { runCommand } from '../../cli/command.js'
import { describeError } from '../../cli/errors.js'
import { Names } from '../../cli/names.js'
import { painter } from '../../cli/style.js'
import { MAX_GROUP_TEXT_BYTES, SeniorAdminError } from '../../node/index.js'
import type { Api } from '../../cli/api.js'
import type { Ctx } from '../../cli/command.js'
import type { GroupInfo, GroupMessage } from '../../node/index.js'

const SELF = '12D3KooWSELFSELFSELFSELFSELFSELFSELFSELFSELFSELFSEL'
const BOB = '12D3KooWBobBobBobBobBobBobBobBobBobBobBobBobBobBobB'

const trip: GroupInfo = { id: '0123456789abcdef0123456789abcdef', name: 'trip', topic: 't', standing: 'member', role: 'admin', members: [{ peerId: SELF, role: 'admin' }, { peerId: BOB, role: 'member' }], invited: [] }

/** A node that knows one group and records what reached it. */
async function stub (extra: Record<string, unknown> = {}): Promise<{ ctx: Ctx, calls: string[] }> {
  const calls: string[] = []
  const node = {
    people: () => [{ id: BOB, alias: 'bob' }],
    who: () => [],
    contactRequests: () => ({ incoming: [], outgoing: [] }),
    requests: () => [],
    resolvePeer: (w: string) => w,
    group: () => trip,
    groups: () => [trip],
    groupInvitations: () => [],
    groupUnread: async () => ({ [trip.id]: 3 }),
    groupHistory: async () => [
      { id: `${BOB}:4`, group: trip.id, author: BOB, seq: 4, lamport: 5, text: 'see you', sentAt: 1, direction: 'in' },
      { id: `${SELF}:2`, group: trip.id, author: SELF, seq: 2, lamport: 6, text: 'ok', sentAt: 2, direction: 'out', state: 'sent' }
    ] satisfies GroupMessage[],
    groupUnreadMessages: async () => [
      { id: `${BOB}:1`, group: trip.id, author: BOB, seq: 1, lamport: 2, text: 'caught up late', sentAt: 1, direction: 'in' },
      { id: `${BOB}:4`, group: trip.id, author: BOB, seq: 4, lamport: 5, text: 'see you', sentAt: 1, direction: 'in' }
    ] satisfies GroupMessage[],
    markGroupRead: async (group: string, ids: string[]) => { calls.push(`read ${group} ${ids.join(',')}`); return 1 },
    groupOnline: () => [{ peerId: SELF, role: 'admin', status: 'online' }, { peerId: BOB, role: 'member', status: 'away' }],
    sendToGroup: async (group: string, text: string) => {
      calls.push(`send ${group} ${text}`)
      return { id: `${SELF}:1`, group: trip.id, author: SELF, seq: 1, lamport: 1, text, sentAt: Date.now(), direction: 'out', state: 'queued' } satisfies GroupMessage
    },
    renameGroup: async (group: string, name: string) => { calls.push(`rename ${group} ${name}`) },
    createGroup: async (name: string, members: string[]) => {
      calls.push(`create ${name} ${members.join(',')}`)
      return { ...trip, name, invited: members.map(p => ({ peerId: p, by: SELF })) }
    },
    ...extra
  } as unknown as Api
  const ctx: Ctx = { node, names: await Names.load(node), paint: painter(false), now: Date.now(), self: SELF }
  return { ctx, calls }
}

const spec = (name: string): typeof groupCommands[number] => groupCommands.find(c => c.name === name)!

const run = async (ctx: Ctx, name: string, words: string): Promise<string[]> =>
  (await runCommand(spec(name), ctx, { args: words.split(' ').filter(w => w !== ''), rest: ` ${words}` }, true)).lines

describe('group commands', () => {
  it('take their arguments as typed: names of people resolved, free text kept whole', async () => {
    const { ctx, calls } = await stub()
    expect(await run(ctx, 'group', 'create trip bob')).toEqual([`created #trip (01234567); invited bob`])
    expect(await run(ctx, 'group', 'rename trip  the  big trip ')).toEqual(['renamed to #trip'])
    expect(await run(ctx, 'g', 'trip  see you  at 8')).toEqual([expect.stringMatching(/#trip → see you {2}at 8 …$/)])
    expect(calls).toEqual([`create trip ${BOB}`, `rename ${trip.id} the  big trip`, 'send trip see you  at 8'])
    expect(await run(ctx, 'group', 'members trip')).toEqual(['#trip (01234567), 2 member(s):', expect.stringMatching(/^ {2}you +admin +online$/), expect.stringMatching(/^ {2}bob +member +away$/)])
  })

  it('a person on several devices: each device a row, told apart by its short id; the people counted once', async () => {
    const [PHONE, BOB2] = ['12D3KooWPhonePhonePhonePhonePhonePhonePhonePhonePh', '12D3KooWBob2Bob2Bob2Bob2Bob2Bob2Bob2Bob2Bob2Bob2Bo']
    const duo: GroupInfo = { ...trip, members: [{ peerId: SELF, role: 'admin' }, { peerId: PHONE, role: 'member' }, { peerId: BOB, role: 'member' }, { peerId: BOB2, role: 'member' }] }
    const { ctx } = await stub({
      people: () => [{ id: BOB, alias: 'bob', devices: [BOB, BOB2] }],
      devices: async () => ({ person: SELF, holdsPersonKey: true, revoked: false, devices: [{ peerId: SELF, name: 'laptop', self: true }, { peerId: PHONE, name: 'phone', self: false }] }),
      group: () => duo,
      groupOnline: () => [{ peerId: SELF, role: 'admin', status: 'online' }, { peerId: BOB2, role: 'member', status: 'away' }]
    })
    expect(await run(ctx, 'group', 'members trip')).toEqual([
      '#trip (01234567), 2 member(s) (4 devices):',
      expect.stringMatching(/^ {2}you +admin +online$/),
      expect.stringMatching(/^ {2}you \(phone\) +member +unknown$/),
      expect.stringMatching(/^ {2}bob \(…bBobBobB\) +member +unknown$/),
      expect.stringMatching(/^ {2}bob \(…b2Bob2Bo\) +member +away$/)
    ])
    // membership changes read as people
    const line = (c: Parameters<typeof groupChangeLine>[1]): string => groupChangeLine(ctx, c)
    expect(line({ kind: 'invited', peer: PHONE, by: SELF })).toBe('your phone was invited (your devices share your groups)')
    expect(line({ kind: 'joined', peer: PHONE })).toBe('your phone joined')
    expect(line({ kind: 'invited', peer: BOB2, by: BOB })).toBe('bob invited another device of theirs')
    expect(line({ kind: 'joined', peer: BOB2 })).toBe('bob joined on another device')
    expect(line({ kind: 'joined', peer: BOB })).toBe('bob joined')
    expect(line({ kind: 'invited', peer: BOB, by: SELF })).toBe('bob was invited by you')
    expect(line({ kind: 'left', peer: BOB2 })).toBe('bob left on another device')
    // what bob writes from his second device is bob's
    expect(groupMessageLine(ctx, { id: `${BOB2}:1`, group: trip.id, author: BOB2, seq: 1, lamport: 1, text: 'hi', sentAt: 1, direction: 'in' }, duo, ctx.paint)).toMatch(/#trip bob: hi$/)
  })

  it('show unread counts in /groups, and /group history marks the group read', async () => {
    const { ctx, calls } = await stub()
    expect(await run(ctx, 'groups', '')).toEqual([expect.stringMatching(/^ {2}#trip +2 member\(s\), admin {2}01234567 {2}\(3 unread\)$/)])
    // the newest, and an unread text older than them (caught up late), in the group's order
    expect(await run(ctx, 'group', 'history trip')).toEqual([expect.stringMatching(/#trip bob: caught up late$/), expect.stringMatching(/#trip bob: see you$/), expect.stringMatching(/#trip → ok ✓$/)])
    // the texts shown are read, no others
    expect(calls).toEqual([`read ${trip.id} ${BOB}:1,${BOB}:4`])
  })

  it('accept or decline the only invitation waiting when no group is named; several or none need a name', async () => {
    const invitation = (group: string, name: string): unknown => ({ group, name, inviter: BOB, members: [BOB] })
    const one = await stub({
      groupInvitations: () => [invitation(trip.id, 'trip')],
      acceptGroup: async (g: string) => { one.calls.push(`accept ${g}`); return trip },
      declineGroup: async (g: string) => { one.calls.push(`decline ${g}`) }
    })
    expect((await run(one.ctx, 'group', 'accept'))[0]).toMatch(/^joined #trip/)
    await run(one.ctx, 'group', 'decline')
    await run(one.ctx, 'group', 'accept other')
    expect(one.calls).toEqual([`accept ${trip.id}`, `decline ${trip.id}`, 'accept other'])
    const none = await stub()
    await expect(run(none.ctx, 'group', 'accept')).rejects.toThrow('no group invitation is waiting for you')
    const two = await stub({ groupInvitations: () => [invitation(trip.id, 'trip'), invitation('ff'.repeat(16), 'work')] })
    await expect(run(two.ctx, 'group', 'decline')).rejects.toThrow('several group invitations are waiting: name the group (/groups lists them)')
    expect([...none.calls, ...two.calls]).toEqual([])
  })

  it('refuse bad words with the usage of the subcommand, before anything reaches the node', async () => {
    const { ctx, calls } = await stub()
    expect(await run(ctx, 'group', '')).toContain('  /group create <name> [member...]')
    await expect(run(ctx, 'group', 'explode trip')).rejects.toThrow(/no subcommand explode; usage: \/group/)
    await expect(run(ctx, 'group', 'constructor')).rejects.toThrow(/no subcommand constructor/)
    await expect(run(ctx, 'group', 'rename trip')).rejects.toThrow('usage: /group rename <group> <new name...>')
    await expect(run(ctx, 'group', 'history trip 0')).rejects.toThrow('0 is not a positive whole number; usage: /group history <group> [n]')
    await expect(run(ctx, 'g', 'trip')).rejects.toThrow('a message needs some text')
    await expect(run(ctx, 'g', `trip ${'é'.repeat(MAX_GROUP_TEXT_BYTES / 2 + 1)}`)).rejects.toThrow('a group message holds at most 4,000 bytes of UTF-8; this one has 4,002')
    expect(calls).toEqual([])
  })

  it('word a refused removal of a senior admin, naming the admin as the CLI names people', () => {
    const peer = '12D3KooWAbCdEfGhiJKLMNoPQRSTUVWXYZabcdefghijkmnopqrs'
    expect(describeError(new SeniorAdminError('ab12', peer), (id) => id === peer ? 'alice' : id)).toBe('alice became an admin before you: only a longer-standing admin may remove them')
  })

  it('print nothing a terminal acts on, whatever members named the group or wrote (fast-check)', () => {
    const hostile = fc.array(fc.constantFrom('\u001b[2J', '\u001b]0;owned\u0007', '\u009b31m', '\r', '\n', '\u202e', '\u2066', '\u0000', '\u007f', '\u2028', 'x', 'é'), { maxLength: 12 }).map(a => a.join(''))
    const text = fc.oneof(hostile, fc.string({ maxLength: 40 }))
    const naming = { names: undefined as unknown as Names, self: SELF }
    fc.assert(fc.property(text, text, (name, body) => {
      const m: GroupMessage = { id: 'x', group: trip.id, author: SELF, seq: 1, lamport: 1, text: body, sentAt: 1, direction: 'out', state: 'sent' }
      const printed = [
        groupMessageLine(naming, m, { name }, painter(false)),
        groupChangeLine(naming, { kind: 'renamed', name, by: SELF }),
        describeError({ name: 'InvalidGroupNameError', input: name, reason: body }),
        describeError({ name: 'UnknownGroupError', input: name })
      ]
      // eslint-disable-next-line no-control-regex
      for (const line of printed) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/)
    }), { numRuns: 2_000 })
  })
})

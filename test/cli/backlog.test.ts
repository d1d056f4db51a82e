/**
 * What the interactive client shows at start: every unread chat message and
 * group text once (a member that was offline caught up while its node
 * started, before the prompt listened), under one heading.
 */
import { describe, expect, it } from 'vitest'
import { showBacklog } from '../../cli/interactive.js'
import { Names } from '../../cli/names.js'
import type { Api } from '../../cli/api.js'
import type { ChatMessage, GroupInfo, GroupMessage, PresenceNode } from '../../node/index.js'

const BOB = '12D3KooWBobBobBobBobBobBobBobBobBobBobBobBobBobBobB'
const trip: GroupInfo = { id: '0123456789abcdef0123456789abcdef', name: 'trip', topic: 't', standing: 'member', role: 'member', members: [], invited: [] }
const groupText = (seq: number): GroupMessage => ({ id: `${BOB}:${seq}`, group: trip.id, author: BOB, seq, lamport: seq, text: `missed ${seq}`, sentAt: seq, direction: 'in' })

function stubNode (chatUnread: Record<string, number>, groupUnread: Record<string, number>): { node: PresenceNode, limits: number[] } {
  const limits: number[] = []
  const chat: ChatMessage = { id: 'c1', peer: BOB, direction: 'in', text: 'hello', sentAt: 1, state: 'delivered' } as unknown as ChatMessage
  const node = {
    people: () => [{ id: BOB, alias: 'bob' }],
    who: () => [],
    unread: async () => chatUnread,
    history: async () => [chat],
    groupUnread: async () => groupUnread,
    group: () => trip,
    groupUnreadMessages: async (_g: string, limit: number) => { limits.push(limit); return [1, 2, 3].slice(-limit).map(groupText) },
    requests: async () => [],
    contactRequests: () => ({ incoming: [], outgoing: [] })
  }
  return { node: node as unknown as PresenceNode, limits }
}

describe('the start-up backlog', () => {
  it('shows unread group texts after unread chat messages, under one heading', async () => {
    const { node, limits } = stubNode({ [BOB]: 1 }, { [trip.id]: 3 })
    const printed: string[] = []
    const shown: string[] = []
    await showBacklog(node, await Names.load(node as unknown as Api), m => shown.push(`chat ${m.text}`), (m, g) => shown.push(`#${g.name} ${m.text}`), l => printed.push(...l))
    expect(printed).toEqual(['unread (/history <name>, /open <name> or /group history <group> marks them read):'])
    expect(shown).toEqual(['chat hello', '#trip missed 1', '#trip missed 2', '#trip missed 3'])
    expect(limits).toEqual([3])
  })

  it('says nothing when nothing is unread', async () => {
    const { node } = stubNode({}, {})
    const printed: string[] = []
    await showBacklog(node, await Names.load(node as unknown as Api), () => {}, () => {}, l => printed.push(...l))
    expect(printed).toEqual([])
  })
})

/**
 * The category commands: their parsing, pure, and the command lines against
 * two real nodes (Alice and her contact Bob), through the same runLine the
 * prompt uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeCategory, parseCategory, parseTime } from '../../cli/cmd-categories.js'
import { QUIT, runLine } from '../../cli/commands.js'
import { describeError } from '../../cli/errors.js'
import { Names } from '../../cli/names.js'
import { painter } from '../../cli/style.js'
import type { Api } from '../../cli/api.js'
import { cleanupHomes, makeContacts, startNode, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'

afterAll(cleanupHomes)

const NOON = new Date(2027, 0, 15, 12, 0, 0).getTime()

describe('parsing', () => {
  it('times: HH:MM today or tomorrow, relative, ISO; anything else is a usage error', () => {
    expect(parseTime('15:30', NOON)).toBe(new Date(2027, 0, 15, 15, 30).getTime())
    expect(parseTime('09:00', NOON)).toBe(new Date(2027, 0, 16, 9, 0).getTime())
    expect(parseTime('+30m', NOON)).toBe(NOON + 1_800_000)
    expect(parseTime('+2h', NOON)).toBe(NOON + 7_200_000)
    expect(parseTime('2027-02-01T10:00:00Z', NOON)).toBe(Date.UTC(2027, 1, 1, 10))
    for (const bad of ['25:00', 'soon', '+3d', '12']) expect(() => parseTime(bad, NOON)).toThrow(/not a time/)
  })

  it('categories from their command words', () => {
    expect(parseCategory('note', 'gone fishing')).toEqual({ kind: 'note', text: 'gone fishing' })
    expect(parseCategory('activity', 'meeting weekly sync until=+1h', undefined, NOON)).toEqual({ kind: 'activity', activity: 'meeting', text: 'weekly sync', until: NOON + 3_600_000 })
    expect(parseCategory('activity', 'other gardening')).toEqual({ kind: 'activity', activity: 'other', text: 'gardening', until: undefined })
    expect(parseCategory('card', 'name="Alice Anders" org=ACME')).toMatchObject({ kind: 'card', displayName: 'Alice Anders', organization: 'ACME' })
    // a card field changed alone keeps the others
    expect(parseCategory('card', 'title=Lead', { kind: 'card', displayName: 'Alice', email: 'a@example.org' })).toMatchObject({ displayName: 'Alice', title: 'Lead', email: 'a@example.org' })
    expect(parseCategory('capabilities', 'mobility=mobile features=chat,groups')).toEqual({ kind: 'capabilities', description: undefined, mobility: 'mobile', features: ['chat', 'groups'] })
    expect(parseCategory('calendar', 'busy until=+1h next-free=+2h', undefined, NOON)).toEqual({ kind: 'calendar', freeBusy: 'busy', until: NOON + 3_600_000, nextFree: NOON + 7_200_000 })
    expect(parseCategory('app:org.example.game', 'level 3')).toEqual({ kind: 'app', namespace: 'org.example.game', data: new TextEncoder().encode('level 3') })
    for (const [key, rest] of [['note', ''], ['activity', 'dancing'], ['card', 'title=x'], ['card', 'colour=red'], ['calendar', 'maybe'], ['mood', 'happy']]) {
      expect(() => parseCategory(key, rest), `${key} ${rest}`).toThrow(/usage: \/set/)
    }
  })

  it('shows values on one line, with no control character of the network getting through', () => {
    expect(describeCategory({ kind: 'note', text: 'hi\u001b[2Jthere' })).toBe('hi\\x1b[2Jthere')
    expect(describeCategory({ kind: 'state', availability: 'busy', source: 'manual' })).toBe('busy (set by hand)')
    expect(describeCategory({ kind: 'capabilities', mobility: 'fixed', features: ['chat'] })).toBe('(fixed) chat')
    expect(describeCategory({ kind: 'app', namespace: 'a.b', data: Uint8Array.from([0x68, 0x69]) })).toBe('2 bytes: "hi"')
  })
})

describe('the commands against two nodes', () => {
  let alice: PresenceNode, bob: PresenceNode
  const run = async (node: PresenceNode, line: string): Promise<string> => {
    const api = node as unknown as Api
    try {
      const out = await runLine({ node: api, names: await Names.load(api), paint: painter(false), now: Date.now(), self: node.peerId.toString() }, line)
      return out === QUIT ? 'quit' : out.lines.join('\n')
    } catch (err) {
      return `error: ${describeError(err)}`
    }
  }

  beforeAll(async () => {
    alice = await startNode({ presence: { ttlMs: 300_000 } })
    bob = await startNode({ bootstrap: [alice.addresses()[0]], presence: { ttlMs: 300_000 } })
    await makeContacts(bob, alice)
    await alice.roster.setAlias(bob.peerId, 'bob')
    await bob.roster.setAlias(alice.peerId, 'alice')
  })

  afterAll(async () => {
    await Promise.all([alice, bob].map(async n => n?.libp2p.status === 'started' ? n.stop() : undefined))
  })

  it('set, publish, move, rule, sees, show, query, clear', async () => {
    expect(await run(alice, '/set calendar busy until=+1h')).toMatch(/^calendar: busy until/)
    expect(await run(alice, '/set card name="Alice Anders" title=Engineer')).toBe('card: Alice Anders, Engineer')
    expect(await run(alice, '/categories')).toMatch(/calendar +busy until .* → close \(default\)/)
    expect(await run(alice, '/sees bob')).toMatch(/bob is in public, contacts:[\s\S]*✗ calendar[\s\S]*not in their containers/)
    expect(await run(bob, '/query alice calendar')).toBe('alice calendar: nothing you can see')
    expect(await run(alice, '/container bob close')).toBe('bob is in your closer circle')
    await waitFor(() => bob.presenceOf(alice.peerId)?.categories?.calendar != null, 'Bob to see the calendar')
    expect(await run(bob, '/show alice')).toMatch(/calendar +busy until/)
    expect(await run(bob, '/query alice card')).toBe('alice card: Alice Anders, Engineer')
    expect(await run(alice, '/rule bob calendar deny')).toBe('bob: calendar hidden')
    expect(await run(alice, '/sees bob')).toMatch(/✗ calendar .*\(denied for them\)/)
    expect(await run(alice, '/publish card public,close')).toBe('card goes to public, close')
    expect(await run(alice, '/publish card nobody')).toBe('card goes to nobody')
    expect(await run(alice, '/clear card')).toBe('cleared card')
    expect(await run(alice, '/clear card')).toBe('card was not set')
  })

  it('bad input gets one line that says what is wrong', async () => {
    expect(await run(alice, `/set note ${'x'.repeat(281)}`)).toBe('error: note: text is too long (at most 280)')
    expect(await run(alice, '/set app:Game x')).toBe('error: app: namespace has a character or form it cannot have')
    expect(await run(alice, '/publish card everyone')).toBe('error: containers are public, contacts, close (or nobody, default)')
    expect(await run(alice, '/rule bob state deny')).toMatch(/^error: category must be one of note/)
    expect(await run(alice, '/container bob friends')).toMatch(/^error: usage: \/container/)
    expect(await run(bob, '/query alice mood')).toBe('error: mood: key is not a known value')
  })
})

/** How the CLI names people and times, and how errors read: pure functions, a stub node. */
import { describe, expect, it } from 'vitest'
import { parseLine } from '../../cli/commands.js'
import { parseDuration, selfLine } from '../../cli/cmd-presence.js'
import { describeError, exitCodeOf } from '../../cli/errors.js'
import { describe as describePresence, messageLine, pad, shortId, stamp } from '../../cli/format.js'
import { painter } from '../../cli/style.js'
import { Names } from '../../cli/names.js'
import { DuplicateInstanceError } from '../../node/instance/errors.js'
import type { Api } from '../../cli/api.js'
import type { ChatMessage } from '../../node/index.js'

const BOB = '12D3KooWHP2Ve7tpkRQMJACbU4xmq9aDwL6gphLRHLJ3xB6nU5KA'
const ANN = '12D3KooWNW98jY6oC8EEaFFbYCc24HPRaNAJaEY7eiAvspiAgFak'
const EVE = '12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5'
const TWIN = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d6spiAgFak'

/** The parts of the node API Names reads. */
function stub (): Api {
  return {
    people: () => [{ id: BOB, alias: 'bob', devices: [BOB], watched: false }],
    who: () => [{ peerId: ANN, status: 'online', displayName: 'Ann \u202eevil' }, { peerId: EVE, status: 'offline', displayName: 'bob' }],
    contactRequests: () => ({ incoming: [{ peerId: TWIN, requestId: '00', sentAt: 0, at: 0 }], outgoing: [] }),
    requests: async () => [],
    resolvePeer: (w: string) => { throw Object.assign(new Error(w), { name: 'UnknownPersonError', input: w }) }
  } as unknown as Api
}

describe('names', () => {
  it('an alias; else a card name marked ~ (and made safe); else the short id', async () => {
    const names = await Names.load(stub())
    expect(names.of(BOB)).toBe('bob')
    expect(names.of(ANN)).toBe('~Ann \\u202eevil')
    expect(names.of(TWIN)).toBe('…spiAgFak')
    expect(names.full(BOB)).toBe('bob (…xB6nU5KA)')
    expect(shortId(BOB)).toBe('…xB6nU5KA')
  })

  it('a typed name: alias first (a card cannot take it), ~card, any unique ending; several match: say so', async () => {
    const node = stub()
    const names = await Names.load(node)
    expect(await names.resolve(node, 'bob')).toBe(BOB)
    expect(await names.resolve(node, '~bob')).toBe(EVE)
    expect(await names.resolve(node, '…xB6nU5KA')).toBe(BOB)
    expect(await names.resolve(node, 'xB6nU5KA')).toBe(BOB)
    await expect(names.resolve(node, 'AgFak')).rejects.toMatchObject({ name: 'UnknownPersonError' })
    await expect(names.resolve(node, '…spiAgFak')).rejects.toMatchObject({ name: 'UsageError', message: expect.stringContaining('matches several people') })
  })
})

describe('columns', () => {
  it('pad by the cells a terminal shows: colour takes none, CJK and emoji two each', () => {
    expect(pad('bob', 6)).toBe('bob   ')
    expect(pad('東京', 6)).toBe('東京  ')
    expect(pad('#🎉team', 10)).toBe('#🎉team   ')
    expect(pad('e\u0301', 3)).toBe('e\u0301  ')
    const bold = painter(true)('bold', '東京')
    expect(pad(bold, 6)).toBe(bold + '  ')
    expect(pad('longer than', 4)).toBe('longer than')
  })
})

describe('times', () => {
  it('HH:MM today, with the date any other day', () => {
    const now = new Date(2026, 10, 29, 14, 5).getTime()
    expect(stamp(now - 60_000, now)).toBe('14:04')
    expect(stamp(new Date(2026, 10, 28, 23, 59).getTime(), now)).toBe('2026-11-28 23:59')
    expect(stamp(new Date(2025, 0, 2, 3, 4).getTime(), now)).toBe('2025-01-02 03:04')
  })

  it('a message shows when it was written, on both sides; a late one says when it arrived', () => {
    const now = new Date(2026, 10, 29, 14, 5).getTime()
    const m: ChatMessage = { id: '0', peer: BOB, direction: 'in', text: 'hi', sentAt: now - 3_600_000, receivedAt: now, state: 'delivered', seq: 1 }
    expect(messageLine(m, 'bob', undefined, now)).toBe('[13:05] bob: hi (arrived 14:05)')
    expect(messageLine({ ...m, receivedAt: m.sentAt + 1_000 }, 'bob', undefined, now)).toBe('[13:05] bob: hi')
    // a sender's clock ahead of ours never dates a message after it arrived
    expect(messageLine({ ...m, sentAt: now + 3_600_000 }, 'bob', undefined, now)).toBe('[14:05] bob: hi')
    expect(messageLine({ ...m, direction: 'out', state: 'read' }, 'bob', undefined, now)).toBe('[13:05] → bob: hi ✓✓ read')
    // written on another device of yours: which one, instead of a state this device does not know
    expect(messageLine({ ...m, direction: 'out', state: 'sent' }, 'bob', undefined, now, 'phone')).toBe('[13:05] → bob: hi from your phone')
  })

  it('durations: 10m, 90s, 1h, a bare number is minutes, off', () => {
    expect(parseDuration('10m')).toBe(600_000)
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('1.5h')).toBe(5_400_000)
    expect(parseDuration('15')).toBe(900_000)
    expect(parseDuration('off')).toBeNull()
    expect(() => parseDuration('soon')).toThrow()
  })
})

describe('errors and the prompt', () => {
  it('one line, peer ids named as elsewhere, and the exit code that goes with it', () => {
    expect(describeError({ name: 'NotAContactError', peer: BOB }, (p) => p === BOB ? 'bob' : p)).toBe('bob is not a contact')
    expect(describeError({ name: 'PeerUnreachableError', peer: ANN })).toBe('…spiAgFak is unreachable')
    expect(describeError(new Error('two\nlines'))).toBe('unexpected error: two')
    expect(describeError({ name: 'PresenceFieldError', field: 'status', problem: 'unknown-value', allowed: ['online', 'away'] })).toBe('status must be one of online, away')
    expect(describeError({ name: 'PresenceFieldError', field: 'note', problem: 'too-long', limit: 280 })).toBe('a note holds at most 280 characters')
    expect(exitCodeOf({ name: 'UsageError' })).toBe(2)
    expect(exitCodeOf({ name: 'NoRunningNodeError' })).toBe(3)
    expect(exitCodeOf({ name: 'ListenError' })).toBe(4)
    expect(exitCodeOf({ name: 'NotAContactError' })).toBe(1)
    // the later of two nodes with one key: its own exit code and one line that says what to do
    const dup = new DuplicateInstanceError(Date.UTC(2020, 0, 2, 3, 4), '/ip4/10.0.0.2/tcp/4001', ANN)
    expect(exitCodeOf(dup)).toBe(5)
    expect(describeError(dup)).toBe(`another node is running with this identity (started ${stamp(dup.otherStartedAt)}, at /ip4/10.0.0.2/tcp/4001): stopped. Stop the other one first, or give this device its own identity (presence-mesh --home <new dir> init; contacts then add it as a new contact)`)
  })

  it('a plain line is a message only in a conversation; // sends a line starting with /', () => {
    expect(parseLine('hello', true)).toEqual({ kind: 'say', text: 'hello' })
    expect(parseLine('//etc/passwd is a path', true)).toEqual({ kind: 'say', text: '/etc/passwd is a path' })
    expect(() => parseLine('hello', false)).toThrow('commands start with /')
    expect(parseLine('  ', true)).toEqual({ kind: 'empty' })
    expect(parseLine('/exit', true)).toEqual({ kind: 'quit' })
    expect(parseLine('/msg bob  two  spaces', false)).toMatchObject({ kind: 'command', args: ['bob', 'two', 'spaces'], rest: ' bob  two  spaces' })
  })
})

describe('presence in words', () => {
  it('someone offline was last seen (or never); this node offline is just offline', () => {
    expect(describePresence({ status: 'offline' })).toBe('offline (never seen)')
    const plain = (_: string, t: string): string => t
    expect(selfLine({ status: 'offline', auto: false, manual: { status: 'offline' } }, { paint: plain as any })).toBe('you are offline')
  })
})

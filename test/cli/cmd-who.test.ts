/**
 * `/who devices` with a stub node: under a person of several devices, one line
 * per device (docs/protocol.md §14.4), the one their presence is shown from
 * marked; a person of one device has no device lines.
 */
import { describe, expect, it } from 'vitest'
import { runCommand } from '../../cli/command.js'
import { presenceCommands } from '../../cli/cmd-presence.js'
import { Names } from '../../cli/names.js'
import { painter } from '../../cli/style.js'
import type { Api } from '../../cli/api.js'
import type { Ctx } from '../../cli/command.js'
import type { PresenceView } from '../../node/index.js'

const SELF = '12D3KooWSELFSELFSELFSELFSELFSELFSELFSELFSELFSELFSEL'
const ALICE = '12D3KooWAliceAliceAliceAliceAliceAliceAliceAliceAli'
const PHONE = '12D3KooWPhonePhonePhonePhonePhonePhonePhonePhonePho'
const BOB = '12D3KooWBobBobBobBobBobBobBobBobBobBobBobBobBobBobB'
const NOW = 1_750_000_000_000

const views: PresenceView[] = [
  {
    peerId: ALICE,
    status: 'dnd',
    note: 'driving',
    lastSeen: NOW,
    devices: [
      { device: ALICE, condition: 'live', availability: 'online', source: 'automatic', lastSeen: NOW - 5_000, winner: false },
      { device: PHONE, condition: 'live', availability: 'dnd', source: 'manual', manualSince: NOW - 60_000, lastSeen: NOW, winner: true }
    ]
  },
  { peerId: BOB, status: 'away', lastSeen: NOW }
]

async function stub (): Promise<Ctx> {
  const node = {
    people: () => [{ id: ALICE, alias: 'alice' }, { id: BOB, alias: 'bob' }],
    who: () => views,
    unread: () => ({}),
    blocked: () => [],
    contactRequests: () => ({ incoming: [], outgoing: [] }),
    requests: () => []
  } as unknown as Api
  return { node, names: await Names.load(node), paint: painter(false), now: NOW, self: SELF }
}

const who = presenceCommands.find(c => c.name === 'who')!
const run = async (ctx: Ctx, words: string): Promise<string[]> =>
  (await runCommand(who, ctx, { args: words.split(' ').filter(w => w !== ''), rest: ` ${words}` }, true)).lines

describe('/who devices', () => {
  it('lists each device of a person of several under them, only when asked', async () => {
    const ctx = await stub()
    const plain = await run(ctx, '')
    expect(plain).toHaveLength(2)
    const detailed = await run(ctx, 'devices')
    expect(detailed).toEqual([
      plain[0],
      expect.stringMatching(/^ {6}…\S+ +online$/),
      expect.stringMatching(/^ {4}\* …\S+ +dnd \(set by hand\)$/),
      plain[1]
    ])
  })

  it('refuses another word', async () => {
    await expect(run(await stub(), 'everything')).rejects.toThrow('everything: /who, or /who devices')
  })
})

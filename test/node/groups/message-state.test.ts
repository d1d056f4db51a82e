/**
 * An own group message that was queued when sent (nobody heard its publish)
 * is announced later: "sent" once a publish reaches someone, "delivered" once
 * a member's catch-up request shows it holds it. Messages that went out at
 * once are not announced again (the echo already said so).
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { logger } from '@libp2p/logger'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, expect, it } from 'vitest'
import { waitFor } from '../../helpers.js'
import { GroupEngine } from '../../../node/groups/group-engine.js'
import { GroupStore } from '../../../node/groups/group-store.js'
import { OwnEntryJournal } from '../../../node/groups/own-journal.js'
import { hex } from '../../../protocol/group-op.js'
import { A, B, groupOfAAndB } from './fixtures.js'
import type { EngineComponents } from '../../../node/groups/group-engine.js'
import type { GroupSyncRequest } from '../../../protocol/pb/group.js'

const GROUP = new Uint8Array(16).fill(7)
let dir = ''
afterEach(async () => { if (dir !== '') await fs.rm(dir, { recursive: true, force: true }) })
const text = (t: string) => [() => ({ kind: 'text' as const, text: t })]

it('a queued own message is announced as delivered when a member\'s request shows it holds it; one that went out at once is not', async () => {
  const store = new GroupStore(new MemoryDatastore())
  let heard = false
  let gate: Promise<void> | undefined
  const components = {
    peerId: A.peer,
    privateKey: A.key,
    pubsub: {
      topicValidators: new Map(),
      subscribe: () => {},
      unsubscribe: () => {},
      publish: async () => {
        await gate
        return { recipients: heard ? [B.peer] : [] }
      }
    },
    roster: { keysFor: (p: string) => A.keyring.keysFor(p), isBlocked: () => false },
    connectionManager: { getConnections: () => [], openStream: async () => { throw new Error('no network') } }
  } as unknown as EngineComponents
  const states: Array<[number[], string]> = []
  const engine = new GroupEngine(components, store, { messages: () => {}, changes: () => {}, states: (_g, ms, state) => { states.push([ms.map(m => m.seq), state]) } }, logger('test:groups'), 600)
  const all = groupOfAAndB(GROUP)
  await store.store.change((tx) => {
    store.meta.put(tx, hex(GROUP), { id: hex(GROUP), root: all[0].id, lamport: 0, delivered: 0, joinedAt: 0 })
    for (const o of all) store.ops.within(hex(GROUP)).put(tx, o.id, o.envelope)
    return () => {}
  })
  // with the own-entry journal, as a node runs: a text goes out before its commit ends
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-group-state-'))
  await engine.load(await OwnEntryJournal.open(path.join(dir, 'group-journal')))
  const g = engine.groups.get(hex(GROUP))!

  // the first text brings A's sender key (its entries go out after their commit): let it settle
  heard = true
  const first = (await engine.write(g, text('first'))).messages[0]
  await waitFor(() => g.published.has(first.seq), 'the first text out')
  heard = false

  // nobody hears it: queued (the service marks what it returned as queued)
  const queued = (await engine.write(g, text('while nobody listens'))).messages[0]
  expect(g.published.has(queued.seq)).toBe(false)
  g.awaitingOut.set(queued.seq, queued)
  // the next one is heard at once: sent, and never announced
  heard = true
  const direct = (await engine.write(g, text('heard at once'))).messages[0]
  expect(g.published.has(direct.seq)).toBe(true)
  expect(states).toEqual([])

  // B asks for what it lacks, holding A's feed up to the first message only
  const req: GroupSyncRequest = { group: GROUP, heads: [], feeds: [{ author: A.peer.toMultihash().bytes, next: BigInt(queued.seq + 1) }] }
  await (engine as unknown as { answer: (peer: string, req: GroupSyncRequest) => Promise<unknown> }).answer(B.peer.toString(), req)
  expect(states).toEqual([[[queued.seq], 'delivered']])
  expect(g.awaitingOut.size).toBe(0)
  // asked again: nothing more to announce
  await (engine as unknown as { answer: (peer: string, req: GroupSyncRequest) => Promise<unknown> }).answer(B.peer.toString(), { ...req, feeds: [{ author: A.peer.toMultihash().bytes, next: BigInt(direct.seq + 1) }] })
  expect(states).toHaveLength(1)

  // a publish still under way when send returned (a new key's entries go out after their commit): "sent" once it is heard
  let release!: () => void
  gate = new Promise(resolve => { release = resolve })
  const slow = (await engine.write(g, text('published after the commit'))).messages[0]
  expect(g.published.has(slow.seq)).toBe(false)
  g.awaitingOut.set(slow.seq, slow)
  release()
  await waitFor(() => states.length === 2, 'the sent announcement')
  expect(states[1]).toEqual([[slow.seq], 'sent'])
})

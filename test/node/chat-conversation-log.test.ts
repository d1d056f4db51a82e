/**
 * The store behind a person's conversations (docs/protocol.md §14.12), on
 * in-memory datastores, one log per device: messages a device brings in go
 * to its origin log; devices that exchange records (from each other's
 * cursors, possibly through a third device) end with the same conversation
 * in any order of exchanges, each message once; a second exchange moves
 * nothing; read marks only move forward; a restart keeps cursors, marks and
 * the sent_at order of the device's own messages.
 */
import '../../node/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { chatIdToHex, newChatId } from '../../protocol/chat-frame.js'
import { ConversationLog } from '../../node/chat/conversation-log.js'
import { GroupCommit } from '../../node/store/group-commit.js'
import { comparePositions } from '../../protocol/device-history.js'
import type { HistoryMessage, HistoryRecord } from '../../protocol/device-history.js'
import type { Transaction } from '../../node/store/group-commit.js'

const peers = await Promise.all([1, 2, 3, 4].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
const [d1, d2, d3, contact] = peers

class Device {
  readonly ds = new MemoryDatastore()
  readonly commits = new GroupCommit(this.ds)
  log: ConversationLog

  constructor (readonly self: string) {
    this.log = new ConversationLog(this.ds, self)
  }

  async tx<T> (fn: (tx: Transaction) => T | Promise<T>): Promise<T> {
    return await this.commits.change(async (tx) => { const r = await fn(tx); return () => r }, { alone: true })
  }

  /** A message this device sent, or received from the contact. */
  async bring (m: HistoryMessage): Promise<boolean> {
    const known = await this.log.has(m)
    return await this.tx(tx => this.log.stageOwn(tx, m, known))
  }

  /** One direction of an exchange: what `from` holds above our cursors. */
  async pull (from: Device): Promise<HistoryMessage[]> {
    const records: HistoryRecord[] = []
    for await (const r of from.log.recordsAfter(this.log.cursorsHeld(), 1000)) records.push(r)
    return (await this.tx(async tx => await this.log.stageTaken(tx, records))).fresh
  }

  async restart (): Promise<void> {
    this.log = new ConversationLog(this.ds, this.self)
    await this.log.open()
  }
}

const msg = (author: string, text: string, sentAt: number, outgoing = author !== contact): HistoryMessage =>
  ({ contact, id: chatIdToHex(newChatId()), outgoing, author, sentAt, text })

async function devices (): Promise<Device[]> {
  const ds = [new Device(d1), new Device(d2), new Device(d3)]
  for (const d of ds) await d.log.open()
  return ds
}

const shown = async (d: Device): Promise<string[]> => (await d.log.conversation(contact)).map(m => `${m.sentAt} ${m.text}`)

describe('a person\'s conversation log', () => {
  it('ends the same on every device, each message once, whatever order the exchanges run in', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat({ max: 2 }), fc.boolean(), fc.integer({ min: 1, max: 50 })), { minLength: 1, maxLength: 12 }),
      fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 2 })), { minLength: 6, maxLength: 12 }),
      async (messages, pulls) => {
        const ds = await devices()
        // a contact's text often reaches several devices of the person: the same message, brought in twice
        for (const [i, fromContact, t] of messages) {
          const m = fromContact ? msg(contact, `c${t}`, t) : msg(ds[i].self, `s${t}`, t)
          await ds[i].bring(m)
          if (fromContact) await ds[(i + 1) % 3].bring(m)
        }
        for (const [a, b] of pulls) if (a !== b) await ds[a].pull(ds[b])
        // then a ring, twice, so everyone has everything whatever came before
        for (let k = 0; k < 2; k++) for (const [a, b] of [[0, 1], [1, 2], [2, 0]]) await ds[a].pull(ds[b])
        const views = await Promise.all(ds.map(shown))
        expect(views[1]).toEqual(views[0])
        expect(views[2]).toEqual(views[0])
        expect(views[0]).toHaveLength(messages.length)
        // nothing moves any more
        for (const [a, b] of [[0, 1], [1, 2], [2, 0]]) expect(await ds[a].pull(ds[b])).toEqual([])
      }), { numRuns: 25 })
  })

  it('a device that was away catches up once, through another device too', async () => {
    const [x, y, z] = await devices()
    await x.bring(msg(d1, 'one', 10))
    await x.bring(msg(contact, 'two', 20))
    // z was away: y holds x's records and passes them on
    expect((await y.pull(x)).map(m => m.text)).toEqual(['one', 'two'])
    expect((await z.pull(y)).map(m => m.text)).toEqual(['one', 'two'])
    expect(await z.pull(x)).toEqual([])
    expect(await z.pull(y)).toEqual([])
    expect(z.log.cursorsHeld()).toEqual(x.log.cursorsHeld())
    // it survives a restart
    await z.restart()
    expect(await z.pull(x)).toEqual([])
    expect(await shown(z)).toEqual(['10 one', '20 two'])
  })

  it('keeps a read mark that only moves forward, and counts unread from it', async () => {
    const [x] = await devices()
    const a = msg(contact, 'a', 10)
    const b = msg(contact, 'b', 20)
    await x.bring(a)
    await x.bring(b)
    expect((await x.log.unread()).get(contact)).toBe(2)
    expect(await x.tx(tx => x.log.stageMark(tx, { contact, sentAt: a.sentAt, author: a.author, id: a.id }))).toBe(true)
    expect((await x.log.unread()).get(contact)).toBe(1)
    expect(await x.tx(tx => x.log.stageMark(tx, { contact, sentAt: 5, author: a.author, id: a.id }))).toBe(false)
    await x.restart()
    expect(x.log.readMark(contact)?.sentAt).toBe(10)
  })

  it('reads the newest n, and the unread ones, from the newest back as a full read would', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ theirs: fc.boolean(), at: fc.integer({ min: 1, max: 50 }) }), { maxLength: 12 }),
      fc.option(fc.nat({ max: 11 })), fc.nat({ max: 14 }),
      async (texts, markAt, n) => {
        const [x] = await devices()
        for (const t of texts) await x.bring(msg(t.theirs ? contact : d1, 't', t.at))
        const all = await x.log.conversation(contact)
        if (markAt != null && all.length > 0) {
          const m = all[markAt % all.length]
          await x.tx(tx => x.log.stageMark(tx, { contact, sentAt: m.sentAt, author: m.author, id: m.id }))
        }
        const mark = x.log.readMark(contact)
        const theirs = all.filter(m => !m.outgoing)
        const unread = theirs.filter(m => mark == null || comparePositions(m, mark) > 0)
        const got = await x.log.unreadIn(contact)
        expect(got.unread).toBe(unread.length)
        expect(got.newest?.id).toBe(theirs.at(-1)?.id)
        expect(await x.log.conversation(contact, n)).toEqual(n === 0 ? [] : all.slice(-n))
      }), { numRuns: 60 })
  })

  it('counts unread per contact across conversations, leaving out the read ones', async () => {
    const [x] = await devices()
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const texts = [msg(contact, 'a', 10), msg(contact, 'b', 30), { ...msg(contact, 'c', 20), contact: other, author: other }, { ...msg(contact, 'd', 40), contact: other, author: other }]
    for (const m of texts) await x.bring(m)
    await x.bring(msg(d1, 'mine', 50))
    expect(Object.fromEntries(await x.log.unread())).toEqual({ [contact]: 2, [other]: 2 })
    const d = texts[3]
    await x.tx(tx => x.log.stageMark(tx, { contact: other, sentAt: d.sentAt, author: d.author, id: d.id }))
    expect(Object.fromEntries(await x.log.unread())).toEqual({ [contact]: 2 })
  })

  it('a device restored from a backup (its log gone, the same id) numbers above what its other devices hold of it', async () => {
    const [x, y] = await devices()
    for (const t of ['one', 'two', 'three']) await x.bring(msg(d1, t, 10))
    expect((await y.pull(x)).map(m => m.text)).toEqual(['one', 'two', 'three'])
    // x restored, a second later: an empty log under the same peer id
    const later = Date.now() + 1000
    vi.spyOn(Date, 'now').mockReturnValue(later)
    const restored = new Device(d1)
    await restored.log.open()
    await restored.bring(msg(d1, 'after the restore', 20))
    expect((await y.pull(restored)).map(m => m.text)).toEqual(['after the restore'])
  })

  it('names at most 128 origins in a hello, the most recently numbered first', async () => {
    const [x] = await devices()
    const origins = await Promise.all(Array.from({ length: 130 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    const records = origins.map((origin, i) => ({ ...msg(origin, `from ${i}`, 10 + i, false), origin, seq: 1000 + i }))
    await x.tx(async tx => await x.log.stageTaken(tx, records))
    const cursors = x.log.cursorsHeld()
    expect(cursors).toHaveLength(128)
    expect(cursors[0]).toEqual({ device: origins[129], seq: 1129 })
    expect(cursors.map(c => c.device)).not.toContain(origins[0])
  })

  it('stamps its own messages after its previous one, across a restart', async () => {
    const [x] = await devices()
    const future = Date.now() + 60_000
    await x.bring(msg(d1, 'from a clock ahead', future))
    await x.restart()
    expect(x.log.sentAtNow()).toBe(future + 1)
  })
})

/**
 * Review (s8-rev1): the same reads on LevelDB, where RecordSet.entries takes
 * the iterator's own range (gt/lt, reverse) instead of the sorted query the
 * in-memory tests above go through.
 */
describe('a person\'s conversation log on LevelDB (review s8-rev1)', () => {
  it('newest n, unread per contact, and an origin log from a cursor read as a full read would', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { LevelDatastore } = await import('datastore-level')
    const dir = await mkdtemp(join(tmpdir(), 'pm-rev1-convlog-'))
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    let run = 0
    try {
      await fc.assert(fc.asyncProperty(
        fc.array(fc.record({ who: fc.constantFrom(contact, other), theirs: fc.boolean(), at: fc.integer({ min: 1, max: 8 }) }), { maxLength: 14 }),
        fc.option(fc.nat({ max: 13 })), fc.integer({ min: 1, max: 15 }), fc.nat({ max: 15 }),
        async (texts, markAt, n, cursorAt) => {
          const ds = new LevelDatastore(join(dir, String(run++)))
          await ds.open()
          try {
            const commits = new GroupCommit(ds)
            const log = new ConversationLog(ds, d1)
            await log.open()
            const tx = async <T>(fn: (tx: Transaction) => T): Promise<T> => await commits.change((t) => { const r = fn(t); return () => r }, { alone: true })
            const brought: HistoryMessage[] = []
            for (const t of texts) {
              const m = { ...msg(t.theirs ? t.who : d1, 't', t.at), contact: t.who, outgoing: !t.theirs }
              if (await tx(t => log.stageOwn(t, m, false))) brought.push(m)
            }
            for (const c of [contact, other]) {
              const all = brought.filter(m => m.contact === c).sort(comparePositions)
              expect((await log.conversation(c)).map(m => m.id)).toEqual(all.map(m => m.id))
              expect((await log.conversation(c, n)).map(m => m.id)).toEqual(all.slice(-n).map(m => m.id))
              if (c === contact && markAt != null && all.length > 0) {
                const m = all[markAt % all.length]
                await tx(t => log.stageMark(t, { contact: c, sentAt: m.sentAt, author: m.author, id: m.id }))
              }
              const mark = log.readMark(c)
              const theirs = all.filter(m => !m.outgoing)
              const got = await log.unreadIn(c)
              expect(got.unread).toBe(theirs.filter(m => mark == null || comparePositions(m, mark) > 0).length)
              expect(got.newest?.id).toBe(theirs.at(-1)?.id)
            }
            const counts = new Map<string, number>()
            for (const c of [contact, other]) { const u = (await log.unreadIn(c)).unread; if (u > 0) counts.set(c, u) }
            expect(Object.fromEntries(await log.unread())).toEqual(Object.fromEntries(counts))
            // another device holding our origin log up to some entry gets exactly the rest, in order
            const seqs: number[] = []
            for await (const r of log.recordsAfter([], 1000)) seqs.push(r.seq)
            expect(seqs).toHaveLength(brought.length)
            const from = cursorAt === 0 || seqs.length === 0 ? 0 : seqs[(cursorAt - 1) % seqs.length]
            const rest: number[] = []
            for await (const r of log.recordsAfter([{ device: d1, seq: from }], 1000)) rest.push(r.seq)
            expect(rest).toEqual(seqs.filter(s => s > from))
          } finally {
            await ds.close()
          }
        }), { numRuns: 20 })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

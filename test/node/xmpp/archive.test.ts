/**
 * The archive (XEP-0313 + RSM) reads only the part of each conversation a
 * page needs; what it answers must be what a read of everything would:
 * the same messages in the same order, the same complete flag and count, for
 * any mix of with, start, end, after, before and max (a property test against
 * the whole-history answer, over real conversation logs in memory).
 */
import '../../../node/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { xml } from '@xmpp/xml'
import { MemoryDatastore } from 'datastore-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { chatIdToHex, newChatId } from '../../../protocol/chat-frame.js'
import { ConversationLog } from '../../../node/chat/conversation-log.js'
import { GroupCommit } from '../../../node/store/group-commit.js'
import { Archive, archiveId } from '../../../node/xmpp/archive.js'
import { JidMapper } from '../../../node/xmpp/jid.js'
import type { ChatMessage } from '../../../node/chat/index.js'
import type { ConversationRange } from '../../../node/chat/conversation-log.js'
import type { HistoryMessage } from '../../../protocol/device-history.js'
import type { Element } from '@xmpp/xml'

const MAM = 'urn:xmpp:mam:2'
const RSM = 'http://jabber.org/protocol/rsm'
const [self, alice, bob] = await Promise.all([1, 2, 3].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
const jids = new JidMapper('localhost', 'me')

const shown = (m: HistoryMessage): ChatMessage => ({ id: m.id, peer: m.contact, direction: m.outgoing ? 'out' : 'in', text: m.text, sentAt: m.sentAt, state: 'delivered', seq: 0, author: m.author })

/** An archive over a real conversation log; the oracle answers from every message at once. */
async function setup (texts: Array<{ contact: string, theirs: boolean, at: number }>): Promise<{ archive: Archive, all: ChatMessage[] }> {
  const ds = new MemoryDatastore()
  const log = new ConversationLog(ds, self)
  await log.open()
  const commits = new GroupCommit(ds)
  for (const t of texts) {
    const m: HistoryMessage = { contact: t.contact, id: chatIdToHex(newChatId()), outgoing: !t.theirs, author: t.theirs ? t.contact : self, sentAt: t.at, text: 'x' }
    await commits.change(async (tx) => { log.stageOwn(tx, m, false); return () => {} }, { alone: true })
  }
  const all = (await Promise.all([alice, bob].map(async c => await log.conversation(c)))).flat().map(shown)
  const node = {
    contacts: () => [{ peerId: alice }, { peerId: bob }],
    isBlocked: () => false,
    person: () => undefined,
    conversationPage: async (p: string, r: ConversationRange) => (await log.range(p, r)).map(shown),
    conversationSize: async (p: string, r: ConversationRange = {}) => await log.count(p, r)
  }
  const ctx = { node, jids, sessions: {}, log: Object.assign(() => {}, { error: () => {}, trace: () => {} }) }
  return { archive: new Archive(ctx as any, { sentAs: () => undefined }), all }
}

interface Ask { with?: string, start?: number, end?: number, after?: string, before?: string, max: number }

/** What the archive answered before it read by range: filter and sort everything, then page. */
function oracle (all: ChatMessage[], q: Ask): { ids: string[], complete: boolean, count: number } {
  const within = all.filter(m => (q.with == null || m.peer === q.with) && (q.start == null || m.sentAt >= q.start) && (q.end == null || m.sentAt <= q.end))
    .map(archiveId).sort()
  let page: string[]
  let complete: boolean
  if (q.before != null) {
    const upTo = q.before === '' ? within.length : within.filter(k => k < q.before!).length
    page = within.slice(Math.max(0, upTo - q.max), upTo)
    complete = upTo - page.length === 0
  } else {
    const from = q.after == null ? 0 : within.findIndex(k => k > q.after!)
    const first = from < 0 ? within.length : from
    page = within.slice(first, first + q.max)
    complete = first + page.length >= within.length
  }
  return { ids: page, complete, count: within.length }
}

async function ask (archive: Archive, q: Ask): Promise<{ ids: string[], complete: boolean, count: number }> {
  const sent: Element[] = []
  const state = { session: { fullJid: 'me@localhost/x', send: (el: Element) => { sent.push(el) } } }
  const field = (name: string, value: string | undefined): Element | null => value == null ? null : xml('field', { var: name }, xml('value', {}, value))
  const iso = (t: number | undefined): string | undefined => t == null ? undefined : new Date(t).toISOString()
  const query = xml('query', { xmlns: MAM, queryid: 'q' },
    xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, field('FORM_TYPE', MAM), field('with', q.with == null ? undefined : jids.bareOf(q.with)), field('start', iso(q.start)), field('end', iso(q.end))),
    xml('set', { xmlns: RSM }, xml('max', {}, String(q.max)), q.after == null ? null : xml('after', {}, q.after), q.before == null ? null : xml('before', {}, q.before)))
  const iq = xml('iq', { type: 'set', id: 'i', from: 'me@localhost/x', to: 'me@localhost' }, query)
  const res = await archive.query(state as any, iq, query)
  const fin = res.getChild('fin', MAM)
  if (fin == null) throw new Error(`no fin: ${res.toString()}`)
  return { ids: sent.map(el => String(el.getChild('result', MAM)?.attrs.id)), complete: fin.attrs.complete === 'true', count: Number(fin.getChild('set', RSM)?.getChildText('count')) }
}

describe('the archive reads by range', () => {
  it('answers every query as a read of the whole history would', async () => {
    const T0 = 1_790_000_000_000
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ contact: fc.constantFrom(alice, bob), theirs: fc.boolean(), at: fc.integer({ min: 0, max: 20 }) }), { maxLength: 14 }),
      fc.record({
        with: fc.option(fc.constantFrom(alice, bob), { nil: undefined }),
        start: fc.option(fc.integer({ min: -1, max: 21 }), { nil: undefined }),
        end: fc.option(fc.integer({ min: -1, max: 21 }), { nil: undefined }),
        cursor: fc.option(fc.tuple(fc.constantFrom('after', 'before', 'before-end'), fc.nat({ max: 20 })), { nil: undefined }),
        max: fc.nat({ max: 6 })
      }),
      async (texts, q) => {
        const { archive, all } = await setup(texts.map(t => ({ ...t, at: T0 + t.at * 1000 })))
        const keys = all.map(archiveId).sort()
        const cursorKey = (i: number): string => keys.length === 0 ? `${T0}` : keys[i % keys.length]
        const query: Ask = {
          with: q.with,
          start: q.start == null ? undefined : T0 + q.start * 1000,
          end: q.end == null ? undefined : T0 + q.end * 1000,
          max: q.max,
          ...(q.cursor?.[0] === 'after' ? { after: cursorKey(q.cursor[1]) } : {}),
          ...(q.cursor?.[0] === 'before' ? { before: cursorKey(q.cursor[1]) } : {}),
          ...(q.cursor?.[0] === 'before-end' ? { before: '' } : {})
        }
        expect(await ask(archive, query)).toEqual(oracle(all, query))
      }), { numRuns: 150 })
  })
})

/** The consent state machine alone: no network, no datastore, no clock but the one given. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as consent from '../../../node/contacts/consent.js'
import { MAX_HISTORY, MAX_PENDING_DIRECT, MAX_PENDING_INCOMING, MAX_PENDING_PER_CODE, MAX_SEEN } from '../../../node/contacts/constants.js'
import { MAX_CONTACT_AGE_MS } from '../../../protocol/contact-request.js'
import type { ConsentContext, ConsentEffect, ConsentState, ReceivedMessage } from '../../../node/contacts/consent.js'

const A = 'peerA'
const B = 'peerB'
const C = 'peerC'
const T0 = 1_700_000_000_000

const LIMITS = { perCode: MAX_PENDING_PER_CODE, direct: MAX_PENDING_DIRECT, total: MAX_PENDING_INCOMING }
const DIRECT = { kind: 'direct' } as const

function ctx (over: Partial<ConsentContext> = {}): ConsentContext {
  return { now: T0, isContact: () => false, isBlocked: () => false, limits: LIMITS, ...over }
}

const rid = (n: number): string => n.toString(16).padStart(32, '0')
const kinds = (effects: ConsentEffect[]): string[] => effects.map(e => e.type === 'send' ? `send:${e.kind}:${e.to}` : e.type === 'event' ? `event:${e.name}` : e.type)

describe('asking', () => {
  it('a request is pending until answered, and goes out once', () => {
    const s0 = consent.emptyConsent()
    const { state, effects, request } = consent.request(s0, { peer: B, requestId: rid(1), greeting: 'hi', alias: 'bob' }, ctx())
    expect(request).toMatchObject({ peerId: B, requestId: rid(1), greeting: 'hi', alias: 'bob', delivered: false })
    expect(state.outgoing.get(B)).toBe(request)
    expect(kinds(effects)).toEqual([`send:request:${B}`])
    expect([...state.history.values()]).toMatchObject([{ peerId: B, direction: 'outgoing', outcome: 'pending' }])
    // the old state is untouched
    expect(s0.outgoing.size).toBe(0)
    // asking again changes nothing and sends nothing
    const again = consent.request(state, { peer: B, requestId: rid(2) }, ctx())
    expect(again.state).toBe(state)
    expect(again.effects).toEqual([])
    expect(again.request.requestId).toBe(rid(1))
  })

  it('refuses a blocked peer and an existing contact', () => {
    expect(() => consent.request(consent.emptyConsent(), { peer: B, requestId: rid(1) }, ctx({ isBlocked: () => true }))).toThrow(expect.objectContaining({ name: 'BlockedPeerError', peer: B }))
    expect(() => consent.request(consent.emptyConsent(), { peer: B, requestId: rid(1) }, ctx({ isContact: () => true }))).toThrow(expect.objectContaining({ name: 'AlreadyAContactError' }))
  })

  it('asking someone who asked us is accepting them', () => {
    const asked = consent.receive(consent.emptyConsent(), { kind: 'request', from: B, requestId: rid(7), sentAt: T0, path: DIRECT }, ctx()).state
    const { state, effects } = consent.request(asked, { peer: B, requestId: rid(8), alias: 'bob' }, ctx())
    expect(state.incoming.size).toBe(0)
    expect(effects).toContainEqual({ type: 'add-contact', peer: B, alias: 'bob' })
    expect(effects).toContainEqual({ type: 'send', to: B, kind: 'accept', requestId: rid(7) })
  })

  it('cancel: an undelivered request is simply not sent, a delivered one is withdrawn on the wire', () => {
    const { state } = consent.request(consent.emptyConsent(), { peer: B, requestId: rid(1) }, ctx())
    expect(consent.cancel(state, { peerOrRequest: B }, ctx()).effects).toEqual([{ type: 'unqueue', to: B, requestId: rid(1) }])
    const delivered = consent.delivered(state, { to: B, kind: 'request', requestId: rid(1) })
    expect(delivered.state.outgoing.get(B)?.delivered).toBe(true)
    expect(delivered.effects).toEqual([{ type: 'unqueue', to: B, requestId: rid(1), kind: 'request' }])
    const cancelled = consent.cancel(delivered.state, { peerOrRequest: rid(1) }, ctx())
    expect(kinds(cancelled.effects)).toEqual([`send:cancel:${B}`])
    expect(cancelled.state.outgoing.size).toBe(0)
    expect(() => consent.cancel(cancelled.state, { peerOrRequest: B }, ctx())).toThrow(expect.objectContaining({ name: 'NoPendingRequestError', direction: 'outgoing' }))
  })
})

describe('receiving', () => {
  const req = (from: string, n: number, over: Partial<ReceivedMessage> = {}): ReceivedMessage => ({ kind: 'request', from, requestId: rid(n), sentAt: T0, path: DIRECT, ...over })

  it('a request becomes pending with an event; accept makes a contact and answers', () => {
    const got = consent.receive(consent.emptyConsent(), req(B, 1, { greeting: 'hello' }), ctx())
    expect(got.state.incoming.get(B)).toMatchObject({ peerId: B, greeting: 'hello' })
    expect(got.effects).toEqual([{ type: 'event', name: 'contact:request', peerId: B, requestId: rid(1), greeting: 'hello' }])
    expect(got.state.seen.has(consent.seenKey('request', rid(1)))).toBe(true)
    const accepted = consent.accept(got.state, { peerOrRequest: rid(1), alias: 'bee' }, ctx())
    expect(accepted.effects).toEqual([{ type: 'add-contact', peer: B, alias: 'bee' }, { type: 'send', to: B, kind: 'accept', requestId: rid(1) }])
    expect([...accepted.state.history.values()].at(-1)).toMatchObject({ direction: 'incoming', outcome: 'accepted' })
    const denied = consent.deny(got.state, { peerOrRequest: B }, ctx())
    expect(kinds(denied.effects)).toEqual([`send:deny:${B}`])
    expect(() => consent.accept(denied.state, { peerOrRequest: B }, ctx())).toThrow(expect.objectContaining({ name: 'NoPendingRequestError' }))
  })

  it('a contact asking again (it lost its copy) is confirmed, not asked', () => {
    const { state, effects } = consent.receive(consent.emptyConsent(), req(B, 1), ctx({ isContact: () => true }))
    expect(state.incoming.size).toBe(0)
    expect(effects).toEqual([{ type: 'send', to: B, kind: 'accept', requestId: rid(1) }])
  })

  it('crossed requests are consent on both sides', () => {
    const mine = consent.request(consent.emptyConsent(), { peer: B, requestId: rid(1), alias: 'bob' }, ctx()).state
    const { state, effects } = consent.receive(mine, req(B, 2), ctx())
    expect(state.outgoing.size + state.incoming.size).toBe(0)
    expect(effects).toEqual([
      { type: 'unqueue', to: B, requestId: rid(1) },
      { type: 'add-contact', peer: B, alias: 'bob' },
      { type: 'send', to: B, kind: 'accept', requestId: rid(2) },
      { type: 'event', name: 'contact:accepted', peerId: B, requestId: rid(1) }
    ])
  })

  it('answers count only for a request of ours that is still pending', () => {
    const mine = consent.request(consent.emptyConsent(), { peer: B, requestId: rid(1), alias: 'bob' }, ctx()).state
    // unasked consent, and an answer to another request, change nothing
    for (const m of [{ kind: 'accept', from: C, requestId: rid(1), sentAt: T0, path: DIRECT }, { kind: 'accept', from: B, requestId: rid(9), sentAt: T0, path: DIRECT }] as ReceivedMessage[]) {
      const r = consent.receive(mine, m, ctx())
      expect(r.effects).toEqual([])
      expect(r.state.outgoing).toEqual(mine.outgoing)
    }
    const yes = consent.receive(mine, { kind: 'accept', from: B, requestId: rid(1), sentAt: T0, path: DIRECT }, ctx())
    expect(kinds(yes.effects)).toEqual(['unqueue', 'add-contact', 'event:contact:accepted'])
    const no = consent.receive(mine, { kind: 'deny', from: B, requestId: rid(1), sentAt: T0, path: DIRECT }, ctx())
    expect(kinds(no.effects)).toEqual(['unqueue', 'event:contact:declined'])
    expect(no.state.outgoing.size).toBe(0)
  })

  it('a withdrawal removes only the request it names', () => {
    const pending = consent.receive(consent.emptyConsent(), req(B, 1), ctx()).state
    expect(consent.receive(pending, { kind: 'cancel', from: B, requestId: rid(2), sentAt: T0, path: DIRECT }, ctx()).state.incoming.size).toBe(1)
    const gone = consent.receive(pending, { kind: 'cancel', from: B, requestId: rid(1), sentAt: T0, path: DIRECT }, ctx())
    expect(gone.state.incoming.size).toBe(0)
    expect(kinds(gone.effects)).toEqual(['event:contact:cancelled'])
  })

  it('a full quota answers "try again later", stores nothing, marks nothing, pushes nobody out', () => {
    let s = consent.emptyConsent()
    for (let i = 0; i < MAX_PENDING_DIRECT; i++) {
      const r = consent.receive(s, req(`peer${i}`, i), ctx())
      expect(r.retryLater).toBe(false)
      s = r.state
    }
    const full = consent.receive(s, req('late', 999), ctx())
    expect(full).toEqual({ state: s, effects: [], retryLater: true })
    // the same requester asking again keeps its one slot
    expect(consent.receive(s, req('peer0', 1000), ctx()).retryLater).toBe(false)
    // another path has its own quota
    const viaCode = consent.receive(s, req('late', 999, { path: { kind: 'code', code: 'intake1' } }), ctx())
    expect(viaCode.retryLater).toBe(false)
    expect(viaCode.state.incoming.get('late')?.via).toBe('intake1')
    expect(viaCode.state.incoming.size).toBe(MAX_PENDING_DIRECT + 1)
  })

  it(`bounds processed marks (${MAX_SEEN}) and watcher info (${MAX_HISTORY}), oldest out first`, () => {
    let s = consent.emptyConsent()
    for (let i = 0; i < MAX_SEEN + 10; i++) s = consent.receive(s, { kind: 'cancel', from: `p${i}`, requestId: rid(i), sentAt: T0, path: DIRECT }, ctx()).state
    expect(s.seen.size).toBe(MAX_SEEN)
    expect(s.seen.has(consent.seenKey('cancel', rid(0)))).toBe(false)
    expect(s.seen.has(consent.seenKey('cancel', rid(MAX_SEEN + 9)))).toBe(true)
    for (let i = 0; i < MAX_HISTORY + 10; i++) s = consent.request(s, { peer: `q${i}`, requestId: rid(i) }, ctx()).state
    expect(s.history.size).toBe(MAX_HISTORY)
  })
})

describe('answers the recipient gave, and the paths requests came by', () => {
  const CODE = { kind: 'code', code: 'intake1' } as const

  it('busy marks our request and keeps it queued; delivered clears it; refused ends it', () => {
    const { state } = consent.request(consent.emptyConsent(), { peer: B, requestId: rid(1), code: 'pmc1:x:y' }, ctx())
    expect(state.outgoing.get(B)?.code).toBe('pmc1:x:y')
    const busy = consent.busy(state, { to: B, requestId: rid(1) })
    expect(busy.state.outgoing.get(B)?.busy).toBe(true)
    expect(busy.effects).toEqual([])
    expect(consent.delivered(busy.state, { to: B, kind: 'request', requestId: rid(1) }).state.outgoing.get(B)).toMatchObject({ delivered: true, busy: undefined })
    const refused = consent.refused(busy.state, { to: B, kind: 'request', requestId: rid(1) }, ctx())
    expect(refused.state.outgoing.size).toBe(0)
    expect(refused.effects).toEqual([{ type: 'unqueue', to: B, requestId: rid(1), kind: 'request' }])
    expect([...refused.state.history.values()].map(h => h.outcome)).toEqual(['refused'])
  })

  it('asking again with another code (ours was rotated) replaces our request: a new id, through the new code; the same code changes nothing', () => {
    const first = consent.request(consent.emptyConsent(), { peer: B, requestId: rid(1), greeting: 'hi', alias: 'bob', code: 'pmc1:x:old' }, ctx())
    const busy = consent.busy(first.state, { to: B, requestId: rid(1) }).state
    expect(consent.request(busy, { peer: B, requestId: rid(2), code: 'pmc1:x:old' }, ctx()).effects).toEqual([])
    const again = consent.request(busy, { peer: B, requestId: rid(2), code: 'pmc1:x:new' }, ctx())
    expect(again.request).toMatchObject({ requestId: rid(2), code: 'pmc1:x:new', greeting: 'hi', alias: 'bob', delivered: false })
    expect(again.request.busy).toBeUndefined()
    expect(again.effects).toEqual([
      { type: 'unqueue', to: B, requestId: rid(1) },
      { type: 'send', to: B, kind: 'request', requestId: rid(2), greeting: 'hi', code: 'pmc1:x:new' }
    ])
    expect([...again.state.history.values()].map(h => [h.requestId, h.outcome])).toEqual([[rid(1), 'cancelled'], [rid(2), 'pending']])
    // at the recipient, the new request takes the requester's slot, in the new code's quota
    let there = consent.receive(consent.emptyConsent(), { kind: 'request', from: A, requestId: rid(1), sentAt: T0, path: { kind: 'code', code: 'old' } }, ctx()).state
    there = consent.receive(there, { kind: 'request', from: A, requestId: rid(2), sentAt: T0, path: { kind: 'code', code: 'new' } }, ctx()).state
    expect([...there.incoming.values()]).toMatchObject([{ requestId: rid(2), via: 'new' }])
  })

  it('a blocked signer through a code gets the receipt anyone gets, and nothing else happens', () => {
    const r = consent.receive(consent.emptyConsent(), { kind: 'request', from: B, requestId: rid(1), sentAt: T0, path: CODE }, ctx({ isBlocked: p => p === B }))
    expect(r.retryLater).toBe(false)
    expect(r.effects).toEqual([])
    expect(r.state.incoming.size).toBe(0)
    expect(r.state.seen.has(consent.seenKey('request', rid(1)))).toBe(true)
  })

  it('dropVia drops only what came through that code, as dropped, telling nobody', () => {
    let s = consent.receive(consent.emptyConsent(), { kind: 'request', from: B, requestId: rid(1), sentAt: T0, path: CODE }, ctx()).state
    s = consent.receive(s, { kind: 'request', from: C, requestId: rid(2), sentAt: T0, path: DIRECT }, ctx()).state
    const d = consent.dropVia(s, 'intake1', ctx())
    expect([...d.state.incoming.keys()]).toEqual([C])
    expect(d.effects).toEqual([])
    expect([...d.state.history.values()].filter(h => h.outcome === 'dropped').map(h => h.peerId)).toEqual([B])
  })
})

describe('blocking and time', () => {
  it('a block ends pending requests both ways as dropped and unqueues everything to them', () => {
    let s = consent.request(consent.emptyConsent(), { peer: B, requestId: rid(1) }, ctx()).state
    s = consent.receive(s, { kind: 'request', from: C, requestId: rid(3), sentAt: T0, path: DIRECT }, ctx()).state
    const b = consent.blocked(s, B, ctx())
    expect(b.state.outgoing.size).toBe(0)
    expect(b.effects).toEqual([{ type: 'unqueue', to: B }])
    expect([...b.state.history.values()].filter(h => h.outcome === 'dropped').map(h => h.peerId)).toEqual([B])
    expect(consent.blocked(s, C, ctx()).state.incoming.size).toBe(0)
  })

  it('prune forgets old marks and expires requests nobody answered', () => {
    let s = consent.request(consent.emptyConsent(), { peer: B, requestId: rid(1) }, ctx()).state
    s = consent.receive(s, { kind: 'request', from: C, requestId: rid(2), sentAt: T0, path: DIRECT }, ctx()).state
    expect(consent.prune(s, { now: T0 + 1000 }).state).toBe(s)
    const later = consent.prune(s, { now: T0 + MAX_CONTACT_AGE_MS + 1 })
    expect(later.state.outgoing.size + later.state.incoming.size + later.state.seen.size).toBe(0)
    expect([...later.state.history.values()].map(h => h.outcome)).toEqual(['expired', 'expired'])
    expect(later.effects).toEqual([{ type: 'unqueue', to: B, requestId: rid(1) }])
  })
})

/**
 * Two machines and a network that delivers every message (the outbox retries
 * until it does) in any order, possibly twice (a lost receipt), with the
 * receiver's duplicate check in front as in the service. Whatever the order,
 * once everything is delivered both sides agree whether they are contacts.
 */
describe('two nodes converge', () => {
  interface Side { id: string, state: ConsentState, contacts: Set<string> }
  interface Msg { to: string, m: ReceivedMessage }

  function apply (side: Side, step: { state: ConsentState, effects: ConsentEffect[] }, wire: Msg[]): void {
    side.state = step.state
    for (const e of step.effects) {
      if (e.type === 'add-contact') side.contacts.add(e.peer)
      if (e.type === 'remove-contact') side.contacts.delete(e.peer)
      if (e.type === 'send') wire.push({ to: e.to, m: { kind: e.kind, from: side.id, requestId: e.requestId, sentAt: T0, path: DIRECT } })
    }
  }

  it('for every order of delivery', () => {
    fc.assert(fc.property(
      fc.constantFrom('a-asks', 'both-ask', 'a-asks-b-accepts', 'a-asks-b-denies', 'both-ask-b-accepts', 'a-asks-b-accepts-a-removes'),
      fc.array(fc.nat(), { maxLength: 40 }),
      fc.array(fc.boolean(), { maxLength: 40 }),
      (script, picks, dups) => {
        const sides: Record<string, Side> = {
          [A]: { id: A, state: consent.emptyConsent(), contacts: new Set() },
          [B]: { id: B, state: consent.emptyConsent(), contacts: new Set() }
        }
        const c = (s: Side): ConsentContext => ctx({ isContact: p => s.contacts.has(p) })
        const wire: Msg[] = []
        apply(sides[A], consent.request(sides[A].state, { peer: B, requestId: rid(1) }, c(sides[A])), wire)
        if (script.startsWith('both')) apply(sides[B], consent.request(sides[B].state, { peer: A, requestId: rid(2) }, c(sides[B])), wire)
        let answered = !script.includes('b-')
        let removed = !script.endsWith('removes')
        for (let i = 0; wire.length > 0 && i < 200; i++) {
          const k = (picks[i] ?? 0) % wire.length
          const msg = wire[k]
          // a lost receipt: the message is delivered and stays queued once more
          if (dups[i] !== true) wire.splice(k, 1)
          const to = sides[msg.to]
          if (!to.state.seen.has(consent.seenKey(msg.m.kind, msg.m.requestId))) apply(to, consent.receive(to.state, msg.m, c(to)), wire)
          if (!answered && sides[B].state.incoming.has(A)) {
            answered = true
            apply(sides[B], script.endsWith('denies') ? consent.deny(sides[B].state, { peerOrRequest: A }, c(sides[B])) : consent.accept(sides[B].state, { peerOrRequest: A }, c(sides[B])), wire)
          }
          // A ends the contact once it has it, whatever B has seen by then
          if (!removed && sides[A].contacts.has(B)) {
            removed = true
            apply(sides[A], consent.remove(sides[A].state, { peer: B, requestId: rid(3) }, c(sides[A])), wire)
          }
        }
        // drain what is left in order
        while (wire.length > 0) {
          const msg = wire.shift()!
          const to = sides[msg.to]
          if (!to.state.seen.has(consent.seenKey(msg.m.kind, msg.m.requestId))) apply(to, consent.receive(to.state, msg.m, c(to)), wire)
        }
        expect(sides[A].contacts.has(B)).toBe(sides[B].contacts.has(A))
        expect(sides[A].contacts.has(B)).toBe(!['a-asks', 'a-asks-b-denies', 'a-asks-b-accepts-a-removes'].includes(script))
        expect(sides[A].state.outgoing.size + sides[B].state.incoming.size).toBe(script === 'a-asks' ? 2 : 0)
      }
    ), { numRuns: 300 })
  })
})

describe('removing a contact (an unsubscribe)', () => {
  it('drops the contact here, unqueues what was left for them, and tells them', () => {
    const { state, effects } = consent.remove(consent.emptyConsent(), { peer: B, requestId: rid(9) }, ctx())
    expect(effects).toEqual([
      { type: 'unqueue', to: B },
      { type: 'remove-contact', peer: B },
      { type: 'send', to: B, kind: 'remove', requestId: rid(9) }
    ])
    expect([...state.history.values()]).toMatchObject([{ peerId: B, direction: 'outgoing', outcome: 'removed' }])
  })

  it('received from a contact, ends the contact with an event; from anyone else, changes nothing but the mark', () => {
    const m: ReceivedMessage = { kind: 'remove', from: B, requestId: rid(3), sentAt: T0, path: DIRECT }
    const fromContact = consent.receive(consent.emptyConsent(), m, ctx({ isContact: (p) => p === B }))
    expect(kinds(fromContact.effects)).toEqual(['remove-contact', 'event:contact:removed'])
    expect([...fromContact.state.history.values()]).toMatchObject([{ peerId: B, direction: 'incoming', outcome: 'removed' }])
    const fromStranger = consent.receive(consent.emptyConsent(), { ...m, from: C }, ctx())
    expect(fromStranger.effects).toEqual([])
    expect(fromStranger.state.seen.has(consent.seenKey('remove', rid(3)))).toBe(true)
  })

  it('from someone we asked (they accepted, then removed us before we heard): our request ends as declined', () => {
    const asked = consent.request(consent.emptyConsent(), { peer: B, requestId: rid(1) }, ctx()).state
    const { state, effects } = consent.receive(asked, { kind: 'remove', from: B, requestId: rid(2), sentAt: T0, path: DIRECT }, ctx())
    expect(state.outgoing.size).toBe(0)
    expect(kinds(effects)).toEqual(['unqueue', 'event:contact:declined'])
  })
})

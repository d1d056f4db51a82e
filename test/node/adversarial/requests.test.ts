/**
 * Finding 3: a contact-request flood. The attacker (public libp2p packages
 * only) writes contact envelopes by hand, each signed by a fresh key, 105 of
 * them as fast as it can. Over its own connection, only the one signed by
 * the connection's peer counts. Through a code's intake, the code's quota
 * fills and every further request is told to try again later; a person who
 * asked before keeps their place, a person who asks during the flood sees
 * "busy" (never "delivered"), and after a rotation people with the new code
 * get in (asking again with it replaces the request stuck on the old one)
 * while the flood's requests can be dropped.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_MESSAGES_PER_PEER, MAX_PENDING_PER_CODE } from '../../../node/contacts/constants.js'
import { intakeKeyFromCode, sealContact, sendContact, startAttacker } from '../../fixtures/attacker.js'
import { cleanupHomes, PUBLIC, startNode, waitFor } from '../../helpers.js'
import type { ContactAnswer } from '../../fixtures/attacker.js'
import type { PresenceNode } from '../../../node/presence-node.js'
import type { Multiaddr } from '@multiformats/multiaddr'

const FLOOD = 105
const FAST = { retryBaseMs: 200, retryCapMs: 1_000 }

const tally = (answers: ContactAnswer[]): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const a of answers) {
    const k = a === 'reset' ? 'reset' : a.accepted ? 'stored' : a.retryLater ? 'retry-later' : 'refused'
    out[k] = (out[k] ?? 0) + 1
  }
  return out
}

describe('a contact-request flood from fresh identities', () => {
  let relay: PresenceNode
  const nodes: PresenceNode[] = []
  const start = async (opts: Parameters<typeof startNode>[0] = {}): Promise<PresenceNode> => {
    const n = await startNode({ bootstrap: [relay.addresses()[0]], contacts: FAST, ...opts })
    nodes.push(n)
    return n
  }

  beforeAll(async () => { relay = await startNode({ relay: true }) })
  afterAll(async () => {
    await Promise.all([...nodes, relay].map(async n => await n?.stop()))
    await cleanupHomes()
  })

  it('over one connection, only the request signed by the connection\'s peer counts', async () => {
    const a = await start({ roster: PUBLIC })
    const x = await startAttacker()
    try {
      const target = multiaddr(a.addresses()[0])
      const answers: ContactAnswer[] = [await sendContact(x, target, await sealContact(x.privateKey, { kind: 'request', to: a.peerId, greeting: 'it is me' }))]
      for (let i = 1; i < FLOOD; i++) {
        answers.push(await sendContact(x, target, await sealContact(await generateKeyPair('Ed25519'), { kind: 'request', to: a.peerId })))
      }
      // one stored; forged signers refused; beyond MAX_MESSAGES_PER_PEER in a window, "try again later"
      const t = tally(answers)
      expect(t.stored).toBe(1)
      expect(t.refused + (t['retry-later'] ?? 0)).toBe(FLOOD - 1)
      expect(t.refused).toBeGreaterThanOrEqual(MAX_MESSAGES_PER_PEER - 1)
      expect(a.contactRequests().incoming.map(r => r.peerId)).toEqual([x.peerId.toString()])
      expect(a.contactsService.refusals()).toMatchObject({ 'wrong-sender': t.refused, rate: t['retry-later'] ?? 0 })
    } finally {
      await x.stop()
    }
  })

  it('through a leaked code: the quota fills, nobody is pushed out, nobody is told "delivered" in vain, a rotation lets people in', async () => {
    const a = await start()
    const early = await start()
    const late = await start()
    const code = a.contactCode()
    await early.requestContact(code, 'asked first')
    await waitFor(() => a.contactRequests().incoming.some(r => r.peerId === early.peerId.toString()), 'the early request at A', 60_000)

    const { owner, key } = await intakeKeyFromCode(code)
    const intake = await startAttacker({ privateKey: key })
    const answers: ContactAnswer[] = []
    const started = Date.now()
    try {
      const target: Multiaddr = multiaddr(a.addresses().find(x => !x.includes('p2p-circuit'))!)
      for (let i = 0; i < FLOOD; i++) {
        answers.push(await sendContact(intake, target, await sealContact(await generateKeyPair('Ed25519'), { kind: 'request', to: owner, greeting: `spam ${i}` })))
      }
    } finally {
      await intake.stop()
    }
    console.log(`${FLOOD} requests through the intake in ${Date.now() - started} ms: ${JSON.stringify(tally(answers))}`)
    // the early request took one slot of the code's quota; nothing was dropped in silence
    expect(tally(answers)).toEqual({ stored: MAX_PENDING_PER_CODE - 1, 'retry-later': FLOOD - MAX_PENDING_PER_CODE + 1 })
    const pending = a.contactRequests().incoming
    expect(pending).toHaveLength(MAX_PENDING_PER_CODE)
    expect(pending.some(r => r.peerId === early.peerId.toString())).toBe(true)

    // a person asking now is told to wait: busy, not delivered
    await late.requestContact(code, 'asked during the flood')
    await waitFor(() => late.contactRequests().outgoing[0]?.busy === true, 'the late request to be answered busy', 60_000)
    expect(late.contactRequests().outgoing[0].delivered).toBe(false)
    expect(a.contactRequests().incoming.some(r => r.peerId === late.peerId.toString())).toBe(false)

    // the user rotates the code and drops what came with the old one; the late person asks with the new code
    const fresh = await a.rotateContactCode({ dropPending: true })
    expect(a.contactRequests().incoming).toEqual([])
    // asking again with the new code is all it takes (the request through the old code is replaced)
    await late.requestContact(fresh, 'with the new code')
    await waitFor(() => a.contactRequests().incoming.some(r => r.peerId === late.peerId.toString() && r.greeting === 'with the new code'), 'the late request with the new code', 60_000)
    await waitFor(() => late.contactRequests().outgoing[0]?.delivered === true, 'the late person to see it delivered')
    expect(late.contactRequests().outgoing).toHaveLength(1)
    expect(peerIdFromPrivateKey(key).toString()).not.toBe(a.libp2p.services.reach.codeId())
  })
})

/**
 * Contact codes end to end, on a mesh set up as docs/operations.md says: one
 * relay/bootstrap node (relay: true, default visibility, no mDNS) and two
 * private people who bootstrap from it and never met. The one with the
 * other's code gets a request through; by peer id alone, nothing goes
 * through; a rotated code stops working at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupHomes, startNode, waitFor } from '../helpers.js'
import type { PresenceNode } from '../../node/presence-node.js'

const FAST = { retryBaseMs: 200, retryCapMs: 1_000 }

describe('contact codes on a mesh set up as the operations guide says', () => {
  let relay: PresenceNode, ann: PresenceNode, bob: PresenceNode, eve: PresenceNode

  beforeAll(async () => {
    relay = await startNode({ relay: true })
    const boot = [relay.addresses()[0]]
    ann = await startNode({ bootstrap: boot, contacts: FAST })
    bob = await startNode({ bootstrap: boot, contacts: FAST })
    eve = await startNode({ bootstrap: boot, contacts: FAST })
  })

  afterAll(async () => {
    await Promise.all([relay, ann, bob, eve].map(async n => await n?.stop()))
    await cleanupHomes()
  })

  it('the relay serves the DHT in its default visibility', async () => {
    expect(relay.visibility().mode).toBe('contacts')
    await waitFor(() => relay.libp2p.services.dht.getMode() === 'server', 'the relay to serve the DHT')
    expect(ann.libp2p.services.dht.getMode()).toBe('client')
  })

  it('a request with the code arrives; accepted, both see each other', async () => {
    const code = ann.contactCode()
    expect(code).toMatch(new RegExp(`^pmc1:${ann.peerId.toString()}:[a-z2-7]{29}$`))
    const sent = await bob.requestContact(code, 'hi Ann, Bob here', 'ann')
    expect(sent.peerId).toBe(ann.peerId.toString())
    await waitFor(() => ann.contactRequests().incoming.some(r => r.peerId === bob.peerId.toString()), 'Bob\'s request at Ann', 60_000)
    expect(ann.contactRequests().incoming[0]).toMatchObject({ greeting: 'hi Ann, Bob here', via: ann.libp2p.services.reach.codeId() })
    await waitFor(() => bob.contactRequests().outgoing.find(r => r.peerId === ann.peerId.toString())?.delivered === true, 'Bob to see it delivered')
    await ann.accept(bob.peerId, 'bob')
    await waitFor(() => bob.contacts().some(c => c.peerId === ann.peerId.toString()), 'the accept at Bob', 60_000)
    await waitFor(() => bob.presenceOf('ann')?.status === 'online' && ann.presenceOf('bob')?.status === 'online', 'presence both ways', 60_000)
  })

  it('by peer id alone a request to a private node is never delivered; with a mistyped code it is refused at once', async () => {
    const retries: number[] = []
    eve.contactsService.addEventListener('contact:retry', (e) => { if (e.detail.peerId === ann.peerId.toString()) retries.push(e.detail.attempts) })
    await eve.requestContact(ann.peerId, 'let me in')
    await waitFor(() => retries.length >= 2, 'Eve to try twice')
    expect(eve.contactRequests().outgoing.find(r => r.peerId === ann.peerId.toString())?.delivered).toBe(false)
    expect(ann.contactRequests().incoming.some(r => r.peerId === eve.peerId.toString())).toBe(false)
    await eve.cancel(ann.peerId)
    const code = ann.contactCode()
    // one character of the secret mistyped (not the last, whose low bit is padding)
    const at = code.length - 6
    const typo = code.slice(0, at) + (code[at] === 'a' ? 'b' : 'a') + code.slice(at + 1)
    await expect(eve.requestContact(typo)).rejects.toMatchObject({ name: 'InvalidContactCodeError', reason: 'checksum' })
  })

  it('after a rotation the old code finds nothing; the new one works', async () => {
    const old = ann.contactCode()
    const fresh = await ann.rotateContactCode()
    expect(fresh).not.toBe(old)
    const retries: number[] = []
    eve.contactsService.addEventListener('contact:retry', (e) => { if (e.detail.peerId === ann.peerId.toString()) retries.push(e.detail.attempts) })
    await eve.requestContact(old, 'old code')
    await waitFor(() => retries.length >= 2, 'Eve to try the old code twice')
    expect(ann.contactRequests().incoming.some(r => r.peerId === eve.peerId.toString())).toBe(false)
    await eve.cancel(ann.peerId)
    await eve.requestContact(fresh, 'new code')
    await waitFor(() => ann.contactRequests().incoming.some(r => r.peerId === eve.peerId.toString()), 'Eve\'s request with the new code', 60_000)
  })
})

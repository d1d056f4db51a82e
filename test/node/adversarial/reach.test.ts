/**
 * Findings 2 and 7: a private node A (contacts mode) behind a relay, tried
 * by an outside attacker built from public libp2p packages only. A stranger
 * X and a peer Y that A blocked try every way in they have (a direct dial to
 * an address they learned, a circuit relay HOP through the relay A reserved
 * on, a contact request); then A stops and they try again. Every outcome must
 * be the same in the three cases; what still differs (timing) is measured.
 * Along the way: identify gives a peer A dialed itself no address, a contact
 * gets them; the holder of A's code gets in, through the relay too.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hopConnect, identifyOf, intakeKeyFromCode, sealContact, sendContact, startAttacker, timedDial } from '../../fixtures/attacker.js'
import { cleanupHomes, startNode, tmpHome, waitFor } from '../../helpers.js'
import type { Attacker, IdentifyAnswer } from '../../fixtures/attacker.js'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { PresenceNode } from '../../../node/presence-node.js'
import type { Multiaddr } from '@multiformats/multiaddr'

const TRIES = 20

interface Seen { direct: string, relay: string, contact: string }

/** A's identify answer (its own identify on connect may still hold A's one identify stream: ask until answered). */
async function identifyAnswer (node: Libp2p<any>, peer: PeerId): Promise<IdentifyAnswer> {
  for (let i = 0; i < 50; i++) {
    const seen = await identifyOf(node, peer)
    if (seen !== 'reset') return seen
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error('no identify answer')
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const p90 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]

describe('a stranger and a blocked peer find a running private node exactly as a stopped one', () => {
  let relay: PresenceNode, a: PresenceNode, b: PresenceNode
  let aHome: string
  let x: Attacker, y: Attacker
  let direct: Multiaddr, relayAddr: Multiaddr
  const timings: Record<string, number[]> = {}

  beforeAll(async () => {
    relay = await startNode({ relay: true })
    relayAddr = multiaddr(relay.addresses()[0])
    aHome = await tmpHome('a')
    a = await startNode({ home: aHome, bootstrap: [relayAddr.toString()] })
    direct = multiaddr(a.addresses().find(ad => !ad.includes('p2p-circuit'))!.split('/p2p/')[0])
    b = await startNode({ bootstrap: [relayAddr.toString()] })
    await b.requestContact(a.contactCode())
    await waitFor(() => a.contactRequests().incoming.length === 1, 'B\'s request at A', 60_000)
    await a.accept(b.peerId)
    await waitFor(() => b.contacts().length === 1, 'B to become A\'s contact', 60_000)
    await waitFor(() => a.libp2p.services.relayReservations?.reservations().includes(relay.peerId.toString()) === true, 'A to hold a slot on the relay')
    x = await startAttacker()
    y = await startAttacker()
    await a.block(y.peerId)
  })

  afterAll(async () => {
    await Promise.all([x, y].map(async n => await n?.stop()))
    await Promise.all([relay, a, b].map(async n => await n?.stop()))
    await cleanupHomes()
  })

  async function tryAll (who: Attacker, label: string): Promise<Seen> {
    const dial = await timedDial(who, direct.encapsulate(`/p2p/${a.peerId.toString()}`))
    const hop = await hopConnect(who, relayAddr, a.peerId)
    ;(timings[`${label} direct`] ??= []).push(dial.ms)
    ;(timings[`${label} relay`] ??= []).push(hop.ms)
    const contact = await sendContact(who, direct.encapsulate(`/p2p/${a.peerId.toString()}`), await sealContact(who.privateKey, { kind: 'request', to: a.peerId, greeting: 'hello?' }))
    await who.node.hangUp(a.peerId).catch(() => {})
    return { direct: dial.outcome, relay: hop.status, contact: typeof contact === 'string' ? contact : 'receipt' }
  }

  it('identify: a peer A dialed itself (its bootstrap node) learns no address; a contact does', async () => {
    const boot = await startAttacker({ listen: true })
    const a2 = await startNode({ bootstrap: [boot.node.getMultiaddrs()[0].toString()] })
    try {
      await waitFor(() => boot.node.getConnections(a2.peerId).length > 0, 'A to dial its bootstrap node')
      const seen = await identifyAnswer(boot.node, a2.peerId)
      expect(seen).toMatchObject({ listenAddrs: [], signedPeerRecord: false })
      expect(seen.protocols.length).toBeGreaterThan(0)
    } finally {
      await a2.stop()
      await boot.stop()
    }
    // B, a contact, is given A's addresses
    const toContact = await identifyAnswer(b.libp2p, a.peerId)
    expect(toContact.listenAddrs.length).toBeGreaterThan(0)
    expect(toContact.signedPeerRecord).toBe(true)
  })

  it('running A: the stranger and the blocked peer get the answers of a stopped node', async () => {
    const stranger = await tryAll(x, 'stranger')
    const blocked = await tryAll(y, 'blocked')
    expect(stranger).toEqual({ direct: 'failed', relay: 'NO_RESERVATION', contact: 'reset' })
    expect(blocked).toEqual(stranger)
    for (let i = 1; i < TRIES; i++) {
      await tryAll(x, 'stranger')
      await tryAll(y, 'blocked')
    }
  })

  it('the holder of A\'s code gets in, directly and through the relay', async () => {
    const { key } = await intakeKeyFromCode(a.contactCode())
    const holder = await startAttacker({ privateKey: key })
    try {
      for (const target of [direct.encapsulate(`/p2p/${a.peerId.toString()}`), relayAddr.encapsulate(`/p2p-circuit/p2p/${a.peerId.toString()}`)]) {
        const stranger = await startAttacker()
        const answer = await sendContact(holder, target, await sealContact(stranger.privateKey, { kind: 'request', to: a.peerId, greeting: `via ${target.toString().includes('circuit') ? 'relay' : 'direct'}` }))
        expect(answer).toEqual({ accepted: true, retryLater: false })
        await holder.node.hangUp(a.peerId)
        await stranger.stop()
      }
    } finally {
      await holder.stop()
    }
  })

  it('stopped A: the same answers; the numbers', async () => {
    await a.stop()
    const stranger = await tryAll(x, 'stopped, stranger')
    const blocked = await tryAll(y, 'stopped, blocked')
    expect(stranger).toEqual({ direct: 'failed', relay: 'NO_RESERVATION', contact: 'reset' })
    expect(blocked).toEqual(stranger)
    for (let i = 1; i < TRIES; i++) await tryAll(x, 'stopped, stranger')
    const table = Object.entries(timings).map(([k, v]) => `${k}: median ${median(v).toFixed(1)} ms, p90 ${p90(v).toFixed(1)} ms (n=${v.length})`)
    console.log(`refusal timings (loopback):\n  ${table.join('\n  ')}`)
  })
})

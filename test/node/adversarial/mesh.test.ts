/**
 * Finding 9: a mesh set up as docs/operations.md says had no DHT (a node
 * started with `--relay` served it only when public), so a contact request
 * could not be delivered until the requester bootstrapped from its target.
 * Here the relay is a real `presence-mesh start --relay` process in its
 * default visibility. An outside kad client (public libp2p packages only)
 * gets answers from it, and two private nodes that know nothing but the
 * relay become contacts: the request finds its target's intake record in the
 * relay's DHT.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeArgs } from '../../child-build.js'
import { KAD, kadRequest, startAttacker } from '../../fixtures/attacker.js'
import { cleanupHomes, startNode, tmpHome, waitFor } from '../../helpers.js'
import type { PresenceNode } from '../../../node/presence-node.js'

afterAll(cleanupHomes)

const MAIN = path.resolve(import.meta.dirname, '../../../cli/main.ts')
const FAST = { retryBaseMs: 200, retryCapMs: 1_000 }

describe('the bootstrap node operations.md describes serves the DHT', () => {
  it('an outside kad client gets answers; private nodes that know only the relay become contacts with a code', async () => {
    const home = await tmpHome('relay')
    // the default visibility (contacts), as a bootstrap node set up by the docs has it
    const { PRESENCE_MESH_VISIBILITY: _, ...env } = process.env
    const relay = spawn(process.execPath, [...nodeArgs(MAIN), 'start', '--home', home, '--relay', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...env, NO_COLOR: '1', DEBUG: '' }
    })
    let out = ''
    relay.stdout.on('data', (d: Buffer) => { out += d.toString() })
    const x = await startAttacker()
    const nodes: PresenceNode[] = []
    try {
      await waitFor(() => out.includes('type /help'), 'the relay to start', 60_000)
      const address = /^\s+(\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+)$/m.exec(out)![1]

      // kad answers (a DHT client would reset the stream: it does not handle the protocol)
      const key = crypto.getRandomValues(new Uint8Array(32))
      let answer: Awaited<ReturnType<typeof kadRequest>> = 'reset'
      await waitFor(async () => (answer = await kadRequest(x, multiaddr(address), KAD.FIND_NODE, key)) !== 'reset', 'a kad answer from the relay')
      expect(answer).toMatchObject({ closer: expect.any(Array) })

      const ann = await startNode({ bootstrap: [address], contacts: FAST })
      nodes.push(ann)
      const bob = await startNode({ bootstrap: [address], contacts: FAST })
      nodes.push(bob)
      expect(ann.visibility().mode).toBe('contacts')
      await bob.requestContact(ann.contactCode(), 'found you through the relay\'s DHT')
      await waitFor(() => ann.contactRequests().incoming.some(r => r.peerId === bob.peerId.toString()), 'Bob\'s request at Ann', 60_000)
      await ann.accept(bob.peerId)
      await waitFor(() => bob.contacts().some(c => c.peerId === ann.peerId.toString()), 'the accept at Bob', 60_000)
    } finally {
      relay.kill('SIGKILL')
      await Promise.all([x.stop(), ...nodes.map(async n => { await n.stop() })])
    }
  })
})

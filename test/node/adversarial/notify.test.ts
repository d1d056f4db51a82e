/**
 * The direct presence path (notify, docs/protocol.md) as a stranger reaches
 * it: an outside libp2p node (public packages only) opens the notify
 * protocol on a node that keeps its presence for contacts, reads, and writes
 * raw bytes. It gets no frame (the node ends its streams, and soon its
 * connection), and the node runs on; a contact reading the same way gets one.
 */
import { byteStream } from '@libp2p/utils'
import { beforeAll, describe, expect, it } from 'vitest'
import { startNode } from '../../helpers.js'
import { targetAndAttacker } from './target.js'
import type { Attacker } from '../../fixtures/attacker.js'
import type { PresenceNode } from '../../../node/presence-node.js'

/** The protocol id as anyone reads it off an identify answer. */
const NOTIFY = '/presence-mesh/notify/2.0.0'

describe('a stranger on the notify protocol', () => {
  let a: PresenceNode
  let x: Attacker

  const t = targetAndAttacker({}, async (a) => { await a.setPresence({ status: 'busy', note: 'only for contacts' }) })
  beforeAll(() => { ({ a, x } = t) })

  it('reads nothing: the stream ends without a frame, whatever it writes', async () => {
    // the same reading gets a frame where one is due: a contact opening the protocol the same way
    const b = await startNode()
    try {
      await a.roster.addContact(b.peerId)
      await b.roster.addContact(a.peerId)
      await b.connect(a.addresses()[0])
      const stream = await b.libp2p.dialProtocol(a.peerId, NOTIFY, { signal: AbortSignal.timeout(10_000) })
      const first = await byteStream(stream).read({ signal: AbortSignal.timeout(20_000) })
      expect(first?.byteLength ?? 0).toBeGreaterThan(0)
      stream.abort(new Error('done'))
    } finally {
      await b.stop()
    }
    for (const junk of [new Uint8Array(0), Uint8Array.from([0x05, 0x0a, 0x03, 0x01, 0x02, 0x03]), crypto.getRandomValues(new Uint8Array(300))]) {
      // the node ends the stream at once: often before the dialler's negotiation has read its answer
      // the outcome kept apart by how the dial ended, not by instanceof (a rejection need not be an Error of this realm)
      const dialled = await x.node.dialProtocol(a.peerId, NOTIFY, { signal: AbortSignal.timeout(10_000) }).then(stream => ({ stream }), (err: Error) => ({ err }))
      if ('err' in dialled) {
        expect(dialled.err?.name).toBe('UnexpectedEOFError')
        continue
      }
      const { stream } = dialled
      const bytes = byteStream(stream)
      if (junk.length > 0) await bytes.write(junk, { signal: AbortSignal.timeout(10_000) }).catch(() => {})
      const got = await bytes.read({ signal: AbortSignal.timeout(10_000) }).then(b => b?.byteLength ?? 0, () => 0)
      expect(got).toBe(0)
      stream.abort(new Error('done'))
    }
    // and the node runs on, its presence unchanged
    expect(a.libp2p.status).toBe('started')
    expect(a.self().status).toBe('busy')
  })
})

/**
 * Group invitations (docs/protocol.md §12.6, §12.8) as a stranger sends them:
 * an outside libp2p node (public packages only, raw protobuf) reaches a public
 * node, opens the invite protocol and sends INVITATION frames, each naming a
 * group and carrying ops (made-up bytes; a node takes an invitation only
 * from a contact or another device of its own person, whatever the ops say).
 * Each invitation's stream is aborted without a receipt (an answer to an
 * invitation never sent is refused), the node stores and shows no invitation
 * and joins nothing; a contact's invitation is taken (control).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { exchange } from '../../fixtures/attacker.js'
import { encode } from '../../fixtures/raw-protobuf.js'
import { makeContacts, PUBLIC, startNode, waitFor } from '../../helpers.js'
import { targetAndAttacker } from './target.js'
import type { Attacker } from '../../fixtures/attacker.js'
import type { PresenceNode } from '../../../node/presence-node.js'

/** The protocol id as anyone reads it off an identify answer. */
const INVITE = '/presence-mesh/group-invite/1.0.0'
const INVITATION = 1

describe('a stranger on the group invite protocol', () => {
  const shown: string[] = []
  const t = targetAndAttacker({ roster: PUBLIC }, (a) => { a.addEventListener('group:invitation', (e) => { shown.push(e.detail.group) }) })
  let a: PresenceNode
  let x: Attacker
  beforeAll(() => { ({ a, x } = t) })

  it('gets no receipt and leaves no invitation, whatever it sends; a contact\'s invitation is taken', async () => {
    const group = crypto.getRandomValues(new Uint8Array(16))
    const frames = [
      encode([[1, INVITATION], [2, group], [3, crypto.getRandomValues(new Uint8Array(200))]]),
      encode([[1, INVITATION], [2, group]]),
      encode([[1, 2], [2, group], [3, crypto.getRandomValues(new Uint8Array(64))]]),
      crypto.getRandomValues(new Uint8Array(300))
    ]
    // an invitation from a stranger: the stream is aborted; an answer to an invitation A never sent: `accepted` false (an empty receipt)
    const got: Array<Uint8Array | 'reset'> = []
    for (const frame of frames) got.push(await exchange(x.node, a.peerId, INVITE, frame))
    expect(got.map(r => r === 'reset' ? 'reset' : r.byteLength === 0 ? 'refused' : 'accepted')).toEqual(['reset', 'reset', 'refused', 'reset'])
    expect(a.groupInvitations()).toEqual([])
    expect(a.groups()).toEqual([])
    expect(shown).toEqual([])
    expect(a.libp2p.status).toBe('started')

    // control: the same node takes a contact's invitation (the protocol is served, the stranger is what is refused)
    const b = await startNode({ bootstrap: [a.addresses()[0]] })
    try {
      await makeContacts(b, a)
      const g = await b.createGroup('real', [a.peerId.toString()])
      await waitFor(() => shown.includes(g.id), 'the contact\'s invitation')
      expect(a.groupInvitations().map(i => i.group)).toEqual([g.id])
    } finally {
      await b.stop()
    }
  }, 90_000)
})

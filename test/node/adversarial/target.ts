/**
 * One node of ours (A) and an outside attacker already connected to it, for
 * the tests of one describe block: started before them, stopped after. The
 * attacker is built from public libp2p packages only (test/fixtures/attacker.ts).
 */
import { afterAll, beforeAll } from 'vitest'
import { startAttacker } from '../../fixtures/attacker.js'
import { cleanupHomes, startNode } from '../../helpers.js'
import type { Attacker } from '../../fixtures/attacker.js'
import type { PresenceNode, PresenceNodeOptions } from '../../../node/presence-node.js'

export interface Target { a: PresenceNode, x: Attacker }

/** `prepare` runs on A before the attacker connects (a presence to set, a listener to add). */
export function targetAndAttacker (opts: Partial<PresenceNodeOptions> = {}, prepare?: (a: PresenceNode) => void | Promise<void>): Target {
  const t = {} as Target
  beforeAll(async () => {
    t.a = await startNode(opts)
    await prepare?.(t.a)
    t.x = await startAttacker()
    await t.x.node.dial(t.a.libp2p.getMultiaddrs()[0])
  })
  afterAll(async () => {
    await t.x?.stop()
    await t.a?.stop()
    await cleanupHomes()
  })
  return t
}

/** The reach service's pure parts: the policy the gater asks, intake addresses, intake dial targets. */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { dialTargets } from '../../../node/reach/intake.js'
import { admissionGater, ReachPolicy } from '../../../node/reach/policy.js'
import { intakeAddresses } from '../../../node/reach/reach-service.js'
import { withView } from '../../../node/util/view.js'
import { peerIds } from '../discovery/stubs.js'

describe('ReachPolicy and the admission gater', () => {
  it('unbound it admits nobody; bound it asks the rules, for relayed and direct inbound connections alike', async () => {
    const [known, stranger, relay] = await peerIds(3)
    const policy = new ReachPolicy()
    const gater = admissionGater(policy)
    expect(await gater.denyInboundEncryptedConnection?.(known, {} as any)).toBe(true)
    policy.bind({ admits: p => p.equals(known), showsAddressesTo: () => false })
    expect(await gater.denyInboundEncryptedConnection?.(known, {} as any)).toBe(false)
    expect(await gater.denyInboundUpgradedConnection?.(stranger, {} as any)).toBe(true)
    expect(await gater.denyInboundRelayedConnection?.(relay, stranger)).toBe(true)
    expect(await gater.denyInboundRelayedConnection?.(relay, known)).toBe(false)
    // outbound is this node's own choice
    expect(gater.denyDialPeer).toBeUndefined()
    policy.bind(undefined)
    expect(policy.admits(known)).toBe(false)
  })
})

describe('intake addresses and targets', () => {
  it('the intake record gives relayed addresses when there are any, else the direct ones', async () => {
    const [relay] = await peerIds(1)
    const direct = multiaddr('/ip4/192.0.2.7/tcp/4791')
    const relayed = multiaddr(`/ip4/198.51.100.1/tcp/4791/p2p/${relay.toString()}/p2p-circuit`)
    expect(intakeAddresses([direct, relayed]).map(String)).toEqual([relayed.toString()])
    expect(intakeAddresses([direct]).map(String)).toEqual([direct.toString()])
  })

  it('dial targets end in /p2p/<owner>, once each, at most max', async () => {
    const [owner, relay] = await peerIds(2)
    const direct = multiaddr('/ip4/192.0.2.7/tcp/4791')
    const withId = direct.encapsulate(`/p2p/${owner.toString()}`)
    const relayed = multiaddr(`/ip4/198.51.100.1/tcp/4791/p2p/${relay.toString()}/p2p-circuit`)
    const targets = dialTargets(owner, [direct, withId, relayed.bytes, new Uint8Array([0xff, 0xff])], 8).map(String)
    expect(targets).toEqual([withId.toString(), relayed.encapsulate(`/p2p/${owner.toString()}`).toString()])
    expect(dialTargets(owner, [direct, relayed], 1)).toHaveLength(1)
  })
})

describe('withView', () => {
  it('binds methods to the target and passes on functions held as properties whole (a stream\'s logger)', () => {
    class Stream {
      closed = false
      readonly log = Object.assign((_: string) => {}, { error: (_: string) => {} })
      close (): void { this.closed = true }
      send (_: Uint8Array): boolean { return true }
    }
    const stream = new Stream()
    const view = withView(stream, { send: () => false })
    expect(typeof view.log.error).toBe('function')
    view.log.error('still a logger')
    const close = view.close
    close()
    expect(stream.closed).toBe(true)
    expect(view.send(new Uint8Array())).toBe(false)
  })
})

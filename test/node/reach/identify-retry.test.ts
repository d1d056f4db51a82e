/**
 * Identify that fails on a new connection (a stream cut short under load)
 * is run again while the connection stays open: without it the peer would
 * stay without its listen addresses and protocols for the connection's life.
 * Two real libp2p nodes on loopback; the responder cuts its first identify
 * streams.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { afterEach, expect, it } from 'vitest'
import { privateIdentify } from '../../../node/reach/identify.js'
import { ReachPolicy } from '../../../node/reach/policy.js'
import { waitFor } from '../../helpers.js'
import type { IdentifyResult, Libp2p, Startable } from '@libp2p/interface'

const IDENTIFY = '/ipfs/id/1.0.0'
const nodes: Libp2p[] = []
afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => await n.stop())) })

it('identify cut short on a new connection is run again, and the peer\'s addresses and protocols arrive', async () => {
  const policy = new ReachPolicy()
  policy.bind({ admits: () => true, showsAddressesTo: () => true })
  const base = { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] }
  const asker = await createLibp2p({ ...base, services: { identify: privateIdentify(policy, { retryBaseMs: 100 }) } })
  const answerer = await createLibp2p({ ...base, services: { identify: identify({ runOnConnectionOpen: false }) } })
  nodes.push(asker, answerer)
  // the answerer cuts its first two identify streams, as a starved peer's would be; then its own
  // identify service answers again (restarting it registers its handler again)
  let cut = 0
  const service = answerer.services.identify as unknown as Startable
  await answerer.handle(IDENTIFY, async (stream) => {
    cut++
    stream.abort(new Error('cut short'))
    if (cut === 2) {
      await service.stop()
      await service.start()
    }
  }, { force: true })

  const identified: IdentifyResult[] = []
  asker.addEventListener('peer:identify', (evt) => { identified.push(evt.detail) })
  await asker.dial(answerer.getMultiaddrs()[0])
  await waitFor(() => identified.length > 0, 'identify of the answerer to finish at the asker', 10_000)
  expect(cut).toBe(2)
  expect(identified[0].peerId.equals(answerer.peerId)).toBe(true)
  expect(identified[0].listenAddrs.map(String)).toEqual(answerer.getMultiaddrs().map(a => a.decapsulateCode(421).toString()))
})

it('many new connections retrying identify at once print no listener-leak warning on the user\'s terminal', async () => {
  const warnings: Error[] = []
  const onWarning = (w: Error): void => { if (w.name === 'MaxListenersExceededWarning') warnings.push(w) }
  process.on('warning', onWarning)
  try {
    const policy = new ReachPolicy()
    policy.bind({ admits: () => true, showsAddressesTo: () => true })
    const base = { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] }
    // retries 1-3 s apart: the first retries of all twelve connections wait at once
    const asker = await createLibp2p({ ...base, services: { identify: privateIdentify(policy, { retryBaseMs: 2_000 }) } })
    // twelve connections from one host at once (libp2p refuses more than 5 a second by default)
    const answerer = await createLibp2p({ ...base, connectionManager: { inboundConnectionThreshold: 100 } })
    nodes.push(asker, answerer)
    let cut = 0
    await answerer.handle(IDENTIFY, async (stream) => {
      cut++
      stream.abort(new Error('cut short'))
    })
    for (let i = 0; i < 12; i++) await asker.dial(answerer.getMultiaddrs()[0], { force: true })
    // every connection's first attempt and its retry after the wait were cut
    await waitFor(() => cut >= 24, 'the retries of every connection', 30_000)
    expect(warnings).toEqual([])
  } finally {
    process.off('warning', onWarning)
  }
})

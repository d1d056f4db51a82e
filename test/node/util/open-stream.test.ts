import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { describe, expect, it } from 'vitest'
import { openStreamTo } from '../../../node/util/open-stream.js'
import type { Connection, Stream } from '@libp2p/interface'

const stream = (name: string): Stream => ({ protocol: name } as unknown as Stream)

function conn (id: string, opts: { limited: boolean, status?: string, fails?: Error }): Connection & { opened: number } {
  const c = {
    id,
    status: opts.status ?? 'open',
    limits: opts.limited ? { bytes: 1n << 17n, seconds: 120 } : undefined,
    opened: 0,
    async newStream () {
      c.opened++
      if (opts.fails != null) throw opts.fails
      return stream(id)
    }
  }
  return c as unknown as Connection & { opened: number }
}

function manager (connections: Connection[]): { getConnections: () => Connection[], openStream: () => Promise<Stream>, dials: number } {
  const m = {
    dials: 0,
    getConnections: () => connections,
    openStream: async () => { m.dials++; return stream('dialled') }
  }
  return m
}

describe('openStreamTo', async () => {
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

  it('opens on the relayed connection when it is the only open one, without a dial', async () => {
    const relayed = conn('relayed', { limited: true })
    const cm = manager([conn('closing', { limited: false, status: 'closing' }), relayed])
    const s = await openStreamTo(cm, peer, '/p/1', { runOnLimitedConnection: true })
    expect(s.protocol).toBe('relayed')
    expect(cm.dials).toBe(0)
  })

  it('leaves a direct connection to libp2p (which prefers it)', async () => {
    const relayed = conn('relayed', { limited: true })
    const cm = manager([relayed, conn('direct', { limited: false })])
    expect((await openStreamTo(cm, peer, '/p/1', { runOnLimitedConnection: true })).protocol).toBe('dialled')
    expect(relayed.opened).toBe(0)
  })

  it('never uses a limited connection for a protocol that may not run on one', async () => {
    const relayed = conn('relayed', { limited: true })
    const cm = manager([relayed])
    expect((await openStreamTo(cm, peer, '/p/1')).protocol).toBe('dialled')
    expect(relayed.opened).toBe(0)
  })

  it('dials when the relayed connection fails, but not when the peer refused the protocol', async () => {
    const gone = conn('gone', { limited: true, fails: new Error('connection closed') })
    const cm = manager([gone])
    expect((await openStreamTo(cm, peer, '/p/1', { runOnLimitedConnection: true })).protocol).toBe('dialled')
    const refused = Object.assign(new Error('no'), { name: 'UnsupportedProtocolError' })
    const cm2 = manager([conn('refusing', { limited: true, fails: refused })])
    await expect(openStreamTo(cm2, peer, '/p/1', { runOnLimitedConnection: true })).rejects.toThrow('no')
    expect(cm2.dials).toBe(0)
  })

  it('dials when there is no connection', async () => {
    const cm = manager([])
    expect((await openStreamTo(cm, peer, '/p/1', { runOnLimitedConnection: true })).protocol).toBe('dialled')
  })
})

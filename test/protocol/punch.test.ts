import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { PunchMessage } from '../../protocol/pb/punch.js'
import { decodePunch, encodePunch, MAX_PUNCH_MESSAGE_BYTES } from '../../protocol/punch.js'

const connect = (addr: string): Uint8Array => PunchMessage.encode({ type: PunchMessage.Type.CONNECT, addr: multiaddr(addr).bytes })

describe('punch messages', () => {
  it('round-trip CONNECT with a public IP and TCP port, and SYNC', () => {
    for (const addr of ['/ip4/16.0.0.11/tcp/40001', '/ip6/2600::1/tcp/40001']) {
      const res = decodePunch(encodePunch({ kind: 'connect', addr: multiaddr(addr) }))
      expect(res.ok && res.frame.kind === 'connect' && res.frame.addr.toString()).toBe(addr)
    }
    expect(decodePunch(encodePunch({ kind: 'sync' }))).toEqual({ ok: true, frame: { kind: 'sync' } })
  })

  it('refuse addresses a peer must not make us dial: private, names, peer ids, other transports', () => {
    for (const addr of ['/ip4/10.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/22', '/ip4/192.168.1.1/tcp/80', '/ip6/::1/tcp/1',
      '/dns4/example.com/tcp/1', '/ip4/16.0.0.11/tcp/1/p2p/12D3KooWCSqfupiWRh7NXEa7qgG5wpvwXNEFz2p2RFVFRFA2hpL3',
      '/ip4/16.0.0.11/udp/1', '/ip4/16.0.0.11/tcp/1/ws']) {
      expect(decodePunch(connect(addr)).ok, addr).toBe(false)
    }
  })

  it('refuse malformed messages', () => {
    expect(decodePunch(PunchMessage.encode({ type: PunchMessage.Type.CONNECT })).ok).toBe(false)
    expect(decodePunch(PunchMessage.encode({ type: PunchMessage.Type.SYNC, addr: multiaddr('/ip4/16.0.0.1/tcp/1').bytes })).ok).toBe(false)
    expect(decodePunch(PunchMessage.encode({ type: PunchMessage.Type.TYPE_UNSPECIFIED })).ok).toBe(false)
    expect(decodePunch(Uint8Array.from([0x08, 0x07])).ok).toBe(false) // enum value 7
    expect(decodePunch(Uint8Array.from([0x12, 0x02, 0x01, 0x02])).ok).toBe(false) // addr bytes that are no multiaddr
    expect(decodePunch(Uint8Array.from([0x08, 0x01, 0x08, 0x01])).ok).toBe(false) // type twice
    expect(decodePunch(new Uint8Array(MAX_PUNCH_MESSAGE_BYTES + 1)).ok).toBe(false)
  })
})

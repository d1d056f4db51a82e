/**
 * The category query's answering side with stubbed components (no libp2p):
 * one peer gets `maxQueriesPerWindow` answers a window; its next stream is
 * refused, and another peer is still answered.
 */
import '../../../node/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { decodeAnswer, encodeQuery, MAX_ANSWER_BYTES, QUERY_PROTOCOL } from '../../../protocol/category-query.js'
import { presenceQuery } from '../../../node/presence/query.js'
import { askOnce } from '../../../node/util/ask-once.js'
import type { PresenceQueryComponents } from '../../../node/presence/query.js'
import type { Connection, PeerId, Startable, StreamHandler } from '@libp2p/interface'

const services: Startable[] = []
afterEach(async () => { await Promise.all(services.splice(0).map(async s => { await s.stop() })) })

async function answering (maxQueriesPerWindow: number): Promise<{ ask: (from: PeerId) => Promise<Uint8Array>, itemFor: ReturnType<typeof vi.fn> }> {
  let handler: StreamHandler | undefined
  const itemFor = vi.fn(() => undefined)
  const me = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const components = {
    peerId: me,
    logger: defaultLogger(),
    registrar: { handle: async (protocol: string, h: StreamHandler) => { if (protocol === QUERY_PROTOCOL) handler = h }, unhandle: async () => {} },
    connectionManager: {},
    presence: { itemFor },
    roster: { isBlocked: () => false }
  } as unknown as PresenceQueryComponents
  const service = presenceQuery({ maxQueriesPerWindow })(components) as unknown as Startable
  await service.start()
  services.push(service)
  return {
    itemFor,
    ask: async (from) => {
      const [outbound, inbound] = await streamPair()
      void handler!(inbound, { remotePeer: from } as unknown as Connection)
      return await askOnce(outbound, encodeQuery('calendar'), { maxDataLength: MAX_ANSWER_BYTES, signal: AbortSignal.timeout(10_000) })
    }
  }
}

describe('category query limits', () => {
  it('a peer past its queries of the window is refused; another peer is still answered', async () => {
    const { ask, itemFor } = await answering(2)
    const asker = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    for (let i = 0; i < 2; i++) expect(decodeAnswer(await ask(asker)).ok).toBe(true)
    await expect(ask(asker)).rejects.toThrow()
    expect(decodeAnswer(await ask(other)).ok).toBe(true)
    expect(itemFor).toHaveBeenCalledTimes(3)
  })
})

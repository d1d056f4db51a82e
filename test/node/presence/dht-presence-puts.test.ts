/**
 * When the DHT presence service puts this node's record (docs/protocol.md
 * §6.2, "Publishing"), with a stubbed kad-dht that records each put and a
 * stubbed presence service that announces: a put per change of what the node
 * shows, at a bounded rate, and no put that repeats one under way or fresh.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { dhtPresence } from '../../../node/presence/index.js'
import { DHT_GOODBYE_TIMEOUT_MS, DHT_MIN_PUT_INTERVAL_MS } from '../../../node/presence/constants.js'
import type { DhtPresenceComponents, DhtPresenceService } from '../../../node/presence/dht-presence.js'
import type { Presence, PresenceStatus } from '../../../protocol/presence-record.js'
import type { PeerId } from '@libp2p/interface'

const TTL_MS = 60_000

/** kad-dht's put: recorded; under way until `release()` when held; stored by one peer unless `storeNothing`. */
class StubDht {
  readonly routingTable = { size: 1 }
  readonly puts: string[] = []
  storeNothing = false
  private gate?: Promise<void>
  private open = (): void => {}

  hold (): void {
    this.gate = new Promise(resolve => { this.open = resolve })
  }

  release (): void {
    this.gate = undefined
    this.open()
  }

  async * put (_key: Uint8Array, value: Uint8Array): AsyncGenerator<{ name: string, messageName?: string }> {
    this.puts.push(new TextDecoder().decode(value))
    await this.gate
    if (!this.storeNothing) yield { name: 'PEER_RESPONSE', messageName: 'PUT_VALUE' }
  }

  async * get (): AsyncGenerator<never> {}
}

let peerId: PeerId
let dht: StubDht
let presence: TypedEventEmitter<Record<string, CustomEvent>>
/** The node's event bus, on which kad-dht announces each finished self-query. */
let events: TypedEventEmitter<Record<string, CustomEvent>>
let service: DhtPresenceService
let seq = 0n

/** The presence service announces its current record (the envelope here names its seq, status and note). */
function announce (status: PresenceStatus, note?: string): string {
  seq++
  const now = Date.now()
  const record: Presence = { presentity: peerId, status, note, seq, issuedAt: now, expiresAt: now + TTL_MS }
  const envelope = `${seq} ${status} ${note ?? ''}`
  presence.safeDispatchEvent('announce', { detail: { record, envelope: new TextEncoder().encode(envelope) } })
  return envelope
}

const selfQueryEnded = (): void => { events.safeDispatchEvent('kad-dht:query:self', { detail: { peers: 20, duration: 900 } }) }
const elapse = async (ms: number): Promise<void> => { await vi.advanceTimersByTimeAsync(ms) }

beforeEach(async () => {
  vi.useFakeTimers()
  peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  dht = new StubDht()
  presence = new TypedEventEmitter()
  events = new TypedEventEmitter()
  const components = { peerId, datastore: new MemoryDatastore(), logger: defaultLogger(), dht, presence, events }
  service = dhtPresence()(components as unknown as DhtPresenceComponents)
  service.start()
})

afterEach(() => {
  service.stop()
  vi.useRealTimers()
})

describe('DHT presence puts', () => {
  it('the start-up record is put once, though kad-dht finishes its first self-query while that put waits for it', async () => {
    // kad-dht holds the put's lookup until its first self-query has run, then announces that self-query
    dht.hold()
    const first = announce('online')
    await elapse(10)
    selfQueryEnded()
    dht.release()
    await elapse(4 * DHT_MIN_PUT_INTERVAL_MS)
    expect(dht.puts).toEqual([first])
  })

  it('a later self-query puts nothing while the record put is fresh', async () => {
    const first = announce('online')
    await elapse(60_000 / 4)
    selfQueryEnded()
    await elapse(4 * DHT_MIN_PUT_INTERVAL_MS)
    expect(dht.puts).toEqual([first])
  })

  it('a re-announcement of the presence being put (a new subscriber) queues no second put', async () => {
    dht.hold()
    const first = announce('away', 'lunch')
    await elapse(1_000)
    announce('away', 'lunch')
    dht.release()
    await elapse(4 * DHT_MIN_PUT_INTERVAL_MS)
    expect(dht.puts).toEqual([first])
  })

  it('changes in quick succession: the first at once, then only the newest, a gap later', async () => {
    const first = announce('online')
    await elapse(500)
    announce('away')
    await elapse(500)
    const newest = announce('busy', 'call')
    await elapse(DHT_MIN_PUT_INTERVAL_MS - 1_100)
    expect(dht.puts).toEqual([first])
    await elapse(200)
    expect(dht.puts).toEqual([first, newest])
    await elapse(4 * DHT_MIN_PUT_INTERVAL_MS)
    expect(dht.puts).toHaveLength(2)
  })

  it('a change and back within the gap puts nothing more: the DHT shows what the node shows', async () => {
    const first = announce('online')
    await elapse(500)
    announce('away')
    await elapse(500)
    announce('online')
    await elapse(4 * DHT_MIN_PUT_INTERVAL_MS)
    expect(dht.puts).toEqual([first])
  })

  it('a goodbye does not wait for the gap', async () => {
    announce('online')
    await elapse(500)
    const goodbye = announce('offline')
    await elapse(10)
    expect(dht.puts[1]).toBe(goodbye)
  })

  it('the same presence is put again once the record put has less than half its lifetime left', async () => {
    const first = announce('online')
    await elapse(TTL_MS / 3)
    announce('online')
    await elapse(TTL_MS / 3)
    const refresh = announce('online')
    await elapse(10)
    expect(dht.puts).toEqual([first, refresh])
  })

  it('a node with no record in the DHT stops at once: a node not public never announces there, so no goodbye is coming', async () => {
    let stopped = false
    void service.beforeStop().then(() => { stopped = true })
    await elapse(0)
    expect(stopped).toBe(true)
  })

  it('a node whose puts no peer took stops at once: the DHT holds nothing a goodbye would replace', async () => {
    dht.storeNothing = true
    announce('online')
    await elapse(10)
    let stopped = false
    void service.beforeStop().then(() => { stopped = true })
    await elapse(0)
    expect(stopped).toBe(true)
  })

  it('a node whose record is in the DHT waits for its goodbye put, and no longer', async () => {
    announce('online')
    await elapse(10)
    let stopped = false
    void service.beforeStop().then(() => { stopped = true })
    await elapse(100)
    expect(stopped).toBe(false)
    const goodbye = announce('offline')
    await elapse(10)
    expect(dht.puts.at(-1)).toBe(goodbye)
    expect(stopped).toBe(true)
  })

  it('a node whose record in the DHT is offline already (it appears offline, or left public mode with a goodbye) stops at once', async () => {
    // what an offline-appearing node announces every heartbeat, and the goodbye a node leaving public mode puts
    announce('offline')
    await elapse(10)
    let stopped = false
    void service.beforeStop().then(() => { stopped = true })
    // its stop's goodbye shows the same: no put (or, out of public mode, no goodbye on the DHT's channel at all)
    announce('offline')
    await elapse(100)
    expect(stopped).toBe(true)
    expect(dht.puts.length).toBe(1)
  })

  it('a goodbye that no peer takes is waited for at most DHT_GOODBYE_TIMEOUT_MS', async () => {
    announce('online')
    await elapse(10)
    dht.hold()
    let stopped = false
    void service.beforeStop().then(() => { stopped = true })
    announce('offline')
    await elapse(DHT_GOODBYE_TIMEOUT_MS - 10)
    expect(stopped).toBe(false)
    await elapse(20)
    expect(stopped).toBe(true)
    dht.release()
  })

  it('a put no peer took is tried again at the next announcement, even of the same presence', async () => {
    dht.storeNothing = true
    const first = announce('online')
    await elapse(TTL_MS / 3)
    const again = announce('online')
    await elapse(10)
    expect(dht.puts).toEqual([first, again])
  })
})

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
import { DHT_GOODBYE_RETRY_BASE_MS, DHT_GOODBYE_RETRY_CAP_MS, DHT_GOODBYE_RETRY_MAX_TRIES, DHT_GOODBYE_TIMEOUT_MS, DHT_MIN_PUT_INTERVAL_MS } from '../../../node/presence/constants.js'
import type { DhtPresenceComponents, DhtPresenceService } from '../../../node/presence/dht-presence.js'
import type { Presence, PresenceStatus } from '../../../protocol/presence-record.js'
import type { PeerId } from '@libp2p/interface'

const TTL_MS = 60_000

/** kad-dht's routing table: its size, and 'peer:add' when it learns a DHT server. */
class StubTable extends EventTarget {
  size = 1

  add (): void {
    this.size++
    this.dispatchEvent(new Event('peer:add'))
  }
}

/** kad-dht's put: recorded (with its time); under way until `release()` when held; stored by one peer unless `storeNothing`. */
class StubDht {
  readonly routingTable = new StubTable()
  readonly puts: string[] = []
  readonly putAt: number[] = []
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
    this.putAt.push(Date.now())
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
function announce (status: PresenceStatus, note?: string, ttlMs = TTL_MS): string {
  seq++
  const now = Date.now()
  const record: Presence = { presentity: peerId, status, note, seq, issuedAt: now, expiresAt: now + ttlMs }
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

  describe('a goodbye no peer took (leaving public mode announces nothing after it)', () => {
    /** The node's record is in the DHT; then no peer takes its goodbye. Returns both envelopes. */
    async function goodbyeNobodyTook (): Promise<{ online: string, goodbye: string, expiresAt: number }> {
      const online = announce('online')
      const expiresAt = Date.now() + TTL_MS
      await elapse(10)
      dht.storeNothing = true
      const goodbye = announce('offline')
      await elapse(10)
      expect(dht.puts).toEqual([online, goodbye])
      return { online, goodbye, expiresAt }
    }

    it('is put again with backoff until a peer takes it, then never again', async () => {
      const { online, goodbye } = await goodbyeNobodyTook()
      // the first retry within the base delay, the second within twice that after it
      await elapse(DHT_GOODBYE_RETRY_BASE_MS)
      expect(dht.puts).toEqual([online, goodbye, goodbye])
      dht.storeNothing = false
      await elapse(2 * DHT_GOODBYE_RETRY_BASE_MS)
      expect(dht.puts).toEqual([online, goodbye, goodbye, goodbye])
      // taken: nothing is pending, so nothing more is put
      await elapse(2 * TTL_MS)
      expect(dht.puts).toHaveLength(4)
    })

    it('is tried at growing intervals, at most the cap apart, and not once the record it withdraws has expired', async () => {
      const { goodbye, expiresAt } = await goodbyeNobodyTook()
      await elapse(3 * TTL_MS)
      const retries = dht.putAt.slice(2)
      expect(dht.puts.slice(2).every(p => p === goodbye)).toBe(true)
      // 2 s, 4 s, 8 s, 16 s, 30 s less up to half: 4 to 7 within the 60 s the online record has left
      expect(retries.length).toBeGreaterThanOrEqual(4)
      expect(retries.length).toBeLessThanOrEqual(7)
      expect(Math.max(...retries)).toBeLessThan(expiresAt)
      const gaps = retries.map((t, i) => t - (dht.putAt[i + 1]))
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1] / 2)
      expect(Math.max(...gaps)).toBeLessThanOrEqual(DHT_GOODBYE_RETRY_CAP_MS)
    })

    it('is tried DHT_GOODBYE_RETRY_MAX_TRIES times at most, though the record it withdraws lives longer', async () => {
      // a 10-minute record (the most a node announces): retries every 30 s would go on for all of it
      const online = announce('online', undefined, 600_000)
      await elapse(10)
      dht.storeNothing = true
      const goodbye = announce('offline', undefined, 600_000)
      await elapse(600_000)
      expect(dht.puts).toEqual([online, goodbye, ...Array<string>(DHT_GOODBYE_RETRY_MAX_TRIES).fill(goodbye)])
      // given up: the loop is idle, and the next announcement is put as usual
      dht.storeNothing = false
      const back = announce('online')
      await elapse(DHT_MIN_PUT_INTERVAL_MS)
      expect(dht.puts.at(-1)).toBe(back)
    })

    it('with no DHT server known waits for the first one, then goes at once', async () => {
      const { online, goodbye } = await goodbyeNobodyTook()
      dht.routingTable.size = 0
      // the retry, due within the base delay, finds no server: it waits for one and puts nothing meanwhile
      await elapse(TTL_MS / 3)
      expect(dht.puts).toEqual([online, goodbye])
      dht.storeNothing = false
      dht.routingTable.add()
      await elapse(10)
      expect(dht.puts).toEqual([online, goodbye, goodbye])
      await elapse(2 * TTL_MS)
      expect(dht.puts).toHaveLength(3)
    })

    it('a heartbeat showing the same (a public node appearing offline) takes its place, not its time', async () => {
      const { online, goodbye } = await goodbyeNobodyTook()
      await elapse(500)
      const heartbeat = announce('offline')
      await elapse(10)
      expect(dht.puts).toEqual([online, goodbye])
      await elapse(2 * DHT_GOODBYE_RETRY_BASE_MS)
      expect(dht.puts.slice(0, 3)).toEqual([online, goodbye, heartbeat])
    })

    it('public again, showing what the DHT holds: the goodbye is dropped, nothing more is put', async () => {
      const { online, goodbye } = await goodbyeNobodyTook()
      await elapse(DHT_GOODBYE_RETRY_BASE_MS)
      expect(dht.puts).toEqual([online, goodbye, goodbye])
      announce('online')
      await elapse(2 * TTL_MS)
      expect(dht.puts).toHaveLength(3)
    })

    it('a stop puts it at once and waits for it (out of public mode no stop goodbye is announced); nothing after the stop', async () => {
      const { online, goodbye } = await goodbyeNobodyTook()
      let stopped = false
      void service.beforeStop().then(() => { stopped = true })
      await elapse(10)
      expect(dht.puts).toEqual([online, goodbye, goodbye])
      expect(stopped).toBe(true)
      service.stop()
      await elapse(2 * TTL_MS)
      expect(dht.puts).toHaveLength(3)
    })

    it('a stop once the record it withdraws has expired waits for nothing', async () => {
      await goodbyeNobodyTook()
      await elapse(TTL_MS)
      const puts = dht.puts.length
      let stopped = false
      void service.beforeStop().then(() => { stopped = true })
      await elapse(0)
      expect(stopped).toBe(true)
      expect(dht.puts).toHaveLength(puts)
    })
  })
})

/**
 * Locator records in the DHT: how contacts find this node's addresses when it
 * is not public (protocol.md §8.6). The rules object is built with the
 * factory (kad-dht needs its validator and selector up front); the publisher
 * runs inside the contacts service.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { MAX_LOCATOR_ADDRS, MAX_LOCATOR_ADDR_BYTES, checkLocatorDhtValue, openLocator, sealLocator } from '../../protocol/locator-record.js'
import { LOCATOR_DHT_NAMESPACE, locatorDhtKey } from '../../protocol/pair-keys.js'
import type { PairKeys } from '../../protocol/pair-keys.js'
import type { Logger, PeerId, PrivateKey } from '@libp2p/interface'
import { anySignal, sharedSignal } from '../signals.js'

/** The part of kad-dht the locator uses. */
export interface LocatorDht {
  put: (key: Uint8Array, value: Uint8Array, options?: { signal?: AbortSignal }) => AsyncIterable<{ name: string, messageName?: string }>
  get: (key: Uint8Array, options?: { signal?: AbortSignal }) => AsyncIterable<{ name: string, value?: Uint8Array }>
}

/** The keys of one locator record: a pair's (§8.6), or a contact code's intake (§8.7). */
export type LocatorKeys = Pick<PairKeys, 'locator' | 'locatorId'>

export interface LocatorKeyInfo {
  locatorKey: Uint8Array
  publisher: PeerId
  audience: PeerId
}

const hexKey = (key: Uint8Array): string => uint8ArrayToString(key, 'base16')

/** kad-dht validator and selector for the pm-locator namespace. */
export class LocatorDhtRules {
  private keyring = new Map<string, LocatorKeyInfo>()

  /** The keys this node can open: its contacts' records for it (and its own, for the selector). */
  setKeyring (entries: Array<[Uint8Array, LocatorKeyInfo]>): void {
    this.keyring = new Map(entries.map(([k, v]) => [hexKey(k), v]))
  }

  get validators (): Record<string, (key: Uint8Array, value: Uint8Array) => Promise<void>> {
    return { [LOCATOR_DHT_NAMESPACE]: async (key, value) => { checkLocatorDhtValue(key, value) } }
  }

  get selectors (): Record<string, (key: Uint8Array, records: Uint8Array[]) => Promise<number>> {
    return { [LOCATOR_DHT_NAMESPACE]: async (key, records) => await this.select(key, records) }
  }

  /** A DHT node cannot judge sealed records; a pair member picks the newest one that opens. */
  private async select (key: Uint8Array, records: Uint8Array[]): Promise<number> {
    const info = this.keyring.get(hexKey(key))
    if (info == null) return 0
    let best = 0
    let bestSeq = -1n
    for (let i = 0; i < records.length; i++) {
      const res = await openLocator(records[i], info.locatorKey, key, { now: Date.now(), publisher: info.publisher, audience: info.audience })
      if (res.ok && res.locator.seq > bestSeq) { best = i; bestSeq = res.locator.seq }
    }
    return best
  }
}

export interface LocatorPublisherOptions {
  self: PeerId
  privateKey: PrivateKey
  dht: () => LocatorDht | undefined
  /** This node's current addresses, binary, without /p2p. */
  addresses: () => Uint8Array[]
  keysFor: (peer: string) => LocatorKeys
  log: Logger
  ttlMs: number
  timeoutMs: number
}

export class LocatorPublisher {
  private seq = 0n
  private readonly lastSeen = new Map<string, bigint>()
  /** Per reader: when the newest record with addresses that a DHT peer took expires (until an empty one is taken). */
  private readonly served = new Map<string, number>()

  constructor (private readonly opts: LocatorPublisherOptions) {}

  available (): boolean {
    return this.opts.dht() != null
  }

  /**
   * Puts a fresh locator for each contact in turn. `empty`: no addresses
   * (what a clean stop leaves). `still(peer)` is asked right before each
   * record with addresses is sealed: a contact that lost sight of this node
   * meanwhile is skipped. An aborted signal ends the run, and so does
   * `until()` true before a record.
   */
  async publish (contacts: string[], options: { empty?: boolean, still?: (peer: string) => boolean, until?: () => boolean, signal?: AbortSignal } = {}): Promise<number> {
    const dht = this.opts.dht()
    const empty = options.empty === true
    if (dht == null) return 0
    let stored = 0
    for (const peer of contacts) {
      if (options.signal?.aborted === true || options.until?.() === true) break
      if (!empty && options.still?.(peer) === false) continue
      const keys = this.opts.keysFor(peer)
      const dhtKey = locatorDhtKey(keys, this.opts.self.toMultihash().bytes)
      const now = Date.now()
      this.seq = this.seq + 1n > BigInt(now) ? this.seq + 1n : BigInt(now)
      let took = 0
      try {
        const value = await sealLocator({
          publisher: this.opts.self,
          audience: peerIdFromString(peer),
          addrs: empty ? [] : this.opts.addresses().filter(a => a.byteLength <= MAX_LOCATOR_ADDR_BYTES).slice(0, MAX_LOCATOR_ADDRS),
          seq: this.seq,
          issuedAt: now,
          expiresAt: now + this.opts.ttlMs
        }, this.opts.privateKey, keys.locator, dhtKey)
        const timeout = AbortSignal.timeout(this.opts.timeoutMs)
        try {
          for await (const e of dht.put(dhtKey, value, { signal: options.signal != null ? sharedSignal(anySignal([timeout, options.signal])) : timeout })) {
            // the closest-peers query before the puts answers with PEER_RESPONSE too
            if (e.name === 'PEER_RESPONSE' && e.messageName === 'PUT_VALUE') took++
          }
        } finally {
          // kad-dht keeps what a put hands it: a record a peer took replaces the one it held
          if (took > 0 && empty) this.served.delete(peer)
          else if (took > 0) this.served.set(peer, Math.max(this.served.get(peer) ?? 0, now + this.opts.ttlMs))
          stored += took
        }
      } catch (err: any) {
        this.opts.log('locator put for %s failed - %s', peer, err?.message)
      }
    }
    return stored
  }

  /**
   * Until when a record with addresses for `reader` may be served from the DHT: the newest one a DHT
   * peer took, unless an empty one was taken since (0: none). A crash forgets it (the record expires).
   */
  servedUntil (reader: string): number {
    const until = this.served.get(reader) ?? 0
    if (until > Date.now()) return until
    this.served.delete(reader)
    return 0
  }

  /** The addresses a contact published for us, newest valid record first; [] when none. */
  async lookup (peer: string, signal?: AbortSignal): Promise<Uint8Array[]> {
    return await this.lookupAs(peer, this.opts.self, this.opts.keysFor(peer), signal)
  }

  /** The addresses `peer` published for `audience` under `keys` (a contact code's intake record, say). */
  async lookupAs (peer: string, audience: PeerId, keys: LocatorKeys, signal?: AbortSignal): Promise<Uint8Array[]> {
    const dht = this.opts.dht()
    if (dht == null) return []
    const publisher = peerIdFromString(peer)
    const dhtKey = locatorDhtKey(keys, publisher.toMultihash().bytes)
    let best: { seq: bigint, addrs: Uint8Array[] } | undefined
    try {
      const deadline = AbortSignal.timeout(this.opts.timeoutMs)
      for await (const e of dht.get(dhtKey, { signal: sharedSignal(signal != null ? anySignal([deadline, signal]) : deadline) })) {
        if (e.name !== 'VALUE' || e.value == null) continue
        const res = await openLocator(e.value, keys.locator, dhtKey, { now: Date.now(), publisher, audience, lastSeq: this.lastSeen.get(peer) })
        if (res.ok && (best == null || res.locator.seq > best.seq)) best = { seq: res.locator.seq, addrs: res.locator.addrs }
        // kad-dht yields the value it selected (the newest, see LocatorDhtRules) first; waiting for
        // every path to end would cost the whole timeout on a small or churning mesh
        if (best != null) break
      }
    } catch (err: any) {
      this.opts.log('locator lookup for %s failed - %s', peer, err?.message)
    }
    if (best == null) return []
    this.lastSeen.set(peer, best.seq - 1n)
    return best.addrs
  }

  /** Keyring entries for the rules' selector: records we read and records we write. */
  keyring (contacts: string[]): Array<[Uint8Array, LocatorKeyInfo]> {
    const out: Array<[Uint8Array, LocatorKeyInfo]> = []
    for (const peer of contacts) {
      const keys = this.opts.keysFor(peer)
      const them = peerIdFromString(peer)
      out.push([locatorDhtKey(keys, them.toMultihash().bytes), { locatorKey: keys.locator, publisher: them, audience: this.opts.self }])
      out.push([locatorDhtKey(keys, this.opts.self.toMultihash().bytes), { locatorKey: keys.locator, publisher: this.opts.self, audience: them }])
    }
    return out
  }
}

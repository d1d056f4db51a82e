/**
 * The pair secrets (protocol/pair-keys.ts: X25519 of the two identity keys,
 * after checking theirs) of the roster's people and their devices, kept in
 * the datastore. One costs milliseconds of pure-JS curve arithmetic and
 * about 1.4 MB of garbage, and every contact's keys are needed at start (the
 * pair topics, the locator keyring), so a node with 1,000 contacts spent
 * seconds and over a GiB of allocation at every start deriving what it had
 * derived before. Kept under this identity's peer id (another identity in
 * the same datastore reads none of them); read whole at start, when those of
 * peers the roster no longer names are deleted. Each secret can be derived
 * again from identity.key in the same home: storing it there exposes nothing
 * new.
 */
import { bytesCodec, Store } from '../store/records.js'
import { DATASTORE_PREFIX } from './constants.js'
import type { RecordSet } from '../store/records.js'
import type { Logger } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

const SECRET_BYTES = 32

export class PairSecrets {
  private readonly pending = new Set<Promise<void>>()

  private constructor (
    private readonly store: Store,
    private readonly records: RecordSet<Uint8Array>,
    private readonly known: Map<string, Uint8Array>,
    /** Whether a peer is one the roster names (a person or one of their devices): only theirs are kept. */
    private readonly keep: (peer: string) => boolean,
    private readonly log: Logger
  ) {}

  /** The secrets `self` stored; those of peers `keep` refuses, and unreadable ones, are deleted. */
  static async open (datastore: Datastore, self: string, keep: (peer: string) => boolean, log: Logger): Promise<PairSecrets> {
    const store = new Store(datastore)
    const records = store.records(`${DATASTORE_PREFIX}/pair-secret`, bytesCodec).within(self)
    const known = new Map<string, Uint8Array>()
    const stale: string[] = []
    for await (const [peer, secret] of records.entries()) {
      if (keep(peer) && secret.length === SECRET_BYTES) known.set(peer, secret)
      else stale.push(peer)
    }
    if (stale.length > 0) await store.write((tx) => { for (const peer of stale) records.delete(tx, peer) })
    return new PairSecrets(store, records, known, keep, log)
  }

  get (peer: string): Uint8Array | undefined {
    return this.known.get(peer)
  }

  /** Keeps a secret just derived, for the next start too (written in the background) when the roster names the peer. */
  remember (peer: string, secret: Uint8Array): void {
    if (this.known.has(peer) || !this.keep(peer)) return
    this.known.set(peer, secret)
    const write = this.store.change((tx) => { this.records.put(tx, peer, secret); return () => {} })
      .catch((err: unknown) => { this.log.error('could not store the pair secret of %s - %e', peer, err) })
    this.pending.add(write)
    void write.finally(() => { this.pending.delete(write) })
  }

  /** Resolves once every secret remembered so far is written (or failed). */
  async flushed (): Promise<void> {
    await Promise.all([...this.pending])
  }
}

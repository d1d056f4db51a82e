import { derivePairKeys, pairSharedSecret } from '../../protocol/pair-keys.js'
import { UnsupportedKeyError } from './errors.js'
import { toPeerId } from '../peer-ids.js'
import type { PairSecrets } from './pair-secrets.js'
import type { PairKeys } from '../../protocol/pair-keys.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/**
 * The keys this identity shares with each peer, derived once (an X25519 and
 * four HKDFs) and kept; with `secrets` the X25519 result outlives a restart
 * (pair-secrets.ts), and only the HKDFs run again.
 */
export class PairKeyring {
  private readonly keys = new Map<string, PairKeys>()
  private secrets?: PairSecrets

  constructor (private readonly self: PeerId, private readonly privateKey: PrivateKey, private readonly sharedSecret = pairSharedSecret) {}

  /** Where secrets are read from and kept from now on. */
  useSecrets (secrets: PairSecrets): void {
    this.secrets = secrets
  }

  keysFor (peer: PeerId | string): PairKeys {
    const id = peer.toString()
    let keys = this.keys.get(id)
    if (keys == null) {
      const them = toPeerId(peer)
      if (them.publicKey?.type !== 'Ed25519') throw new UnsupportedKeyError(id)
      let shared = this.secrets?.get(id)
      if (shared == null) {
        shared = this.sharedSecret(this.privateKey.raw.subarray(0, 32), them.publicKey.raw)
        this.secrets?.remember(id, shared)
      }
      keys = derivePairKeys(shared, this.self.toMultihash().bytes, them.toMultihash().bytes)
      this.keys.set(id, keys)
    }
    return keys
  }
}

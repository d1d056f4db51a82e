import { derivePairKeys, pairSharedSecret } from '../../protocol/pair-keys.js'
import { UnsupportedKeyError } from './errors.js'
import { toPeerId } from '../peer-ids.js'
import type { PairKeys } from '../../protocol/pair-keys.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** The keys this identity shares with each peer, derived once (an X25519 and four HKDFs) and kept. */
export class PairKeyring {
  private readonly keys = new Map<string, PairKeys>()

  constructor (private readonly self: PeerId, private readonly privateKey: PrivateKey) {}

  keysFor (peer: PeerId | string): PairKeys {
    const id = peer.toString()
    let keys = this.keys.get(id)
    if (keys == null) {
      const them = toPeerId(peer)
      if (them.publicKey?.type !== 'Ed25519') throw new UnsupportedKeyError(id)
      const shared = pairSharedSecret(this.privateKey.raw.subarray(0, 32), them.publicKey.raw)
      keys = derivePairKeys(shared, this.self.toMultihash().bytes, them.toMultihash().bytes)
      this.keys.set(id, keys)
    }
    return keys
  }
}

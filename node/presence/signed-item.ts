/**
 * One of this node's category items: its value, its payload (the encoded
 * item: what a notify stream carries, docs/protocol.md §11.2) and its signed
 * envelope (what gossip, queries and the DHT carry), signed when first
 * needed. So a change is written to every directly connected watcher before
 * anything is signed; every path that needs a signed copy still gets one.
 */
import { categoryEnvelopeSize, encodeCheckedItem, sealCategoryPayload } from '../../protocol/category-item.js'
import type { CategoryItem } from '../../protocol/category-item.js'
import type { PrivateKey } from '@libp2p/interface'

export class SignedItem {
  readonly payload: Uint8Array
  private sealed?: Uint8Array

  /** Throws on a category that breaks a rule (callers check first). */
  constructor (readonly item: CategoryItem, private readonly key: PrivateKey) {
    this.payload = encodeCheckedItem(item)
  }

  /** The signed envelope (signed at the first call). */
  get envelope (): Uint8Array {
    this.sealed ??= sealCategoryPayload(this.payload, this.key)
    return this.sealed
  }

  /** The envelope's size, known without signing. */
  get envelopeBytes (): number {
    return categoryEnvelopeSize(this.payload.byteLength)
  }
}

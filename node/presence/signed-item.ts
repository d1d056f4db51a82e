/**
 * One of this node's category items: its value, its payload (the encoded
 * item: what a notify stream carries, docs/protocol.md §11.2) and its signed
 * envelope (what gossip, queries and the DHT carry), each made when first
 * needed. So a change is written to every directly connected watcher before
 * anything is signed, and a change seen only as a version 1 record (the
 * public topic) encodes no item before its record is on the wire; every path
 * that needs an item still gets one.
 */
import { categoryEnvelopeSize, encodeCheckedItem, sealCategoryPayload } from '../../protocol/category-item.js'
import type { CategoryItem } from '../../protocol/category-item.js'
import type { PrivateKey } from '@libp2p/interface'

export class SignedItem {
  private encoded?: Uint8Array
  private sealed?: Uint8Array

  /** The item must pass its rules (callers check first): encoding it at the first use throws otherwise. */
  constructor (readonly item: CategoryItem, private readonly key: PrivateKey) {}

  /** The encoded item (encoded at the first call). */
  get payload (): Uint8Array {
    this.encoded ??= encodeCheckedItem(this.item)
    return this.encoded
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

/**
 * In-memory datastores whose batch commits a test holds, fails or counts.
 */
import { MemoryDatastore } from 'datastore-core'
import type { Batch, Key } from 'interface-datastore'

export interface CommitLog {
  /** The keys of each batch that committed, in commit order ('-' before a deleted key). */
  batches: string[][]
  /** Batch commits started and not yet let through. */
  held: number
}

/**
 * A MemoryDatastore whose batch commits wait for release() while hold is on,
 * and fail (storing nothing) while failNext counts down.
 */
export class GatedDatastore extends MemoryDatastore {
  readonly log: CommitLog = { batches: [], held: 0 }
  hold = false
  failNext = 0
  failBatch = false
  private waiting: Array<() => void> = []

  /** Lets every held commit go on. */
  release (): void {
    this.hold = false
    for (const go of this.waiting.splice(0)) go()
  }

  override batch (): Batch {
    if (this.failBatch) throw new Error('cannot start a batch (test)')
    const ops: Array<{ key: Key, value?: Uint8Array }> = []
    return {
      put: (key, value) => { ops.push({ key, value }) },
      delete: (key) => { ops.push({ key }) },
      commit: async () => {
        if (this.hold) {
          this.log.held++
          await new Promise<void>(resolve => { this.waiting.push(resolve) })
          this.log.held--
        }
        if (this.failNext > 0) {
          this.failNext--
          throw new Error('disk full (test)')
        }
        // applied in order, as LevelDB applies a batch
        for (const { key, value } of ops) {
          if (value == null) await this.delete(key)
          else await this.put(key, value)
        }
        this.log.batches.push(ops.map(o => (o.value == null ? '-' : '') + o.key.toString()))
      }
    }
  }
}

import { MemoryDatastore } from 'datastore-core'
import { expect, it } from 'vitest'
import { BlockWindows } from '../../node/chat/block-windows.js'
import type { Batch } from 'interface-datastore'

/** A datastore whose batches commit only once the test lets them (a write queued behind others, on a loaded machine). */
class HeldDatastore extends MemoryDatastore {
  release!: () => void
  private readonly gate = new Promise<void>(resolve => { this.release = resolve })

  override batch (): Batch {
    const batch = super.batch()
    const commit = batch.commit.bind(batch)
    batch.commit = async (...args) => { await this.gate; await commit(...args) }
    return batch
  }
}

// the unblock already lets the peer in when the window is added: a text it sent while blocked could
// arrive before the window's write committed, and was shown (privacy-adversarial, full run at load 6-9)
it('an unblock\'s window is in effect at once, before its write commits, and kept once written', async () => {
  const ds = new HeldDatastore()
  const windows = new BlockWindows(ds)
  const added = windows.add('peer', 1_000, 2_000)
  expect(windows.covers('peer', 1_500)).toBe(true)
  expect(windows.covers('peer', 2_500)).toBe(false)
  ds.release()
  await added
  expect(windows.covers('peer', 1_500)).toBe(true)
  const reloaded = new BlockWindows(ds)
  await reloaded.load()
  expect(reloaded.covers('peer', 1_500)).toBe(true)
  expect(reloaded.covers('other', 1_500)).toBe(false)
})

import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { SeqReservation } from '../../../node/presence/seq-reservation.js'
import { WatchStore } from '../../../node/presence/watch-store.js'
import type { SeqStore } from '../../../node/presence/seq-reservation.js'

/** A store whose writes finish only when the test says so, counting them. */
class GatedStore implements SeqStore {
  stored = 0n
  writes = 0
  /** While false, writes finish at once. */
  gated = false
  private pending: Array<() => void> = []
  async loadSeq (): Promise<bigint> { return this.stored }
  async saveSeq (ceiling: bigint): Promise<void> {
    this.writes++
    if (this.gated) await new Promise<void>(resolve => { this.pending.push(resolve) })
    this.stored = ceiling
  }

  release (): void {
    for (const r of this.pending.splice(0)) r()
  }
}

const NOW = 1_800_000_000_000

describe('sequence numbers reserved ahead', () => {
  it('hands out seqs without waiting for the disk while below the stored ceiling', async () => {
    const store = new GatedStore()
    const seqs = new SeqReservation(store, 1000n)
    await seqs.start(NOW)
    store.gated = true
    expect(store.stored).toBe(BigInt(NOW) + 1000n)
    const first = seqs.next(NOW)
    expect(typeof first).toBe('bigint')
    expect(first).toBe(BigInt(NOW))
    // the same millisecond: last + 1, still synchronous
    expect(seqs.next(NOW)).toBe(BigInt(NOW) + 1n)
    expect(store.writes).toBe(1)
  })

  it('raises the ceiling in the background at half the span, and waits only above it', async () => {
    const store = new GatedStore()
    const seqs = new SeqReservation(store, 1000n)
    await seqs.start(NOW)
    store.gated = true
    // past half the span: answered at once, a write starts
    expect(seqs.next(NOW + 600)).toBe(BigInt(NOW + 600))
    expect(store.writes).toBe(2)
    // above the stored ceiling: waits for that write
    const above = seqs.next(NOW + 1500)
    expect(above).toBeInstanceOf(Promise)
    let settled = false
    void (above as Promise<bigint>).then(() => { settled = true })
    await new Promise(resolve => setTimeout(resolve, 10))
    expect(settled).toBe(false)
    store.gated = false
    store.release()
    expect(await above).toBe(BigInt(NOW + 1500))
    expect(store.stored).toBeGreaterThanOrEqual(BigInt(NOW + 1500))
  })

  it('never reuses a seq after a crash, even with the clock set back', async () => {
    const datastore = new MemoryDatastore()
    const before = new SeqReservation(new WatchStore(datastore), 1000n)
    await before.start(NOW)
    const used: bigint[] = []
    for (let i = 0; i < 3000; i++) {
      // a crash can come at any time: nothing above the stored ceiling may be out
      const seq = await before.next(NOW + i)
      used.push(seq)
      expect(await new WatchStore(datastore).loadSeq()).toBeGreaterThanOrEqual(seq)
    }
    // "crash": a new reservation on the same datastore, the clock an hour back
    const after = new SeqReservation(new WatchStore(datastore), 1000n)
    await after.start(NOW - 3_600_000)
    expect(await after.next(NOW - 3_600_000)).toBeGreaterThan(used.at(-1)!)
  })
})

import { describe, expect, it } from 'vitest'
import { Outlet } from '../../../node/notify/outlet.js'
import type { Stream } from '@libp2p/interface'

/** Just enough of a stream: it takes `room` sends, then needs a drain. */
class SlowStream extends EventTarget {
  status = 'open'
  writeStatus = 'writable'
  writableNeedsDrain = false
  sent: string[] = []
  constructor (private room: number) { super() }
  send (data: Uint8Array): boolean {
    this.sent.push(new TextDecoder().decode(data))
    this.writableNeedsDrain = --this.room <= 0
    return !this.writableNeedsDrain
  }

  drain (room: number): void {
    this.room = room
    this.writableNeedsDrain = false
    this.dispatchEvent(new Event('drain'))
  }
}

const frame = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('an outlet to a slow watcher', () => {
  it('keeps only the newest frame while the stream cannot take more, and sends it on drain', () => {
    const stream = new SlowStream(2)
    const outlet = new Outlet('peer', stream as unknown as Stream)
    for (const f of ['1', '2', '3', '4', '5']) outlet.write(frame(f))
    expect(stream.sent).toEqual(['1', '2'])
    expect(outlet.skipped).toBe(2)
    stream.drain(10)
    expect(stream.sent).toEqual(['1', '2', '5'])
    outlet.write(frame('6'))
    expect(stream.sent).toEqual(['1', '2', '5', '6'])
  })

  it('writes nothing to a stream that is no longer open', () => {
    const stream = new SlowStream(10)
    const outlet = new Outlet('peer', stream as unknown as Stream)
    stream.status = 'reset'
    outlet.write(frame('1'))
    expect(stream.sent).toEqual([])
    expect(outlet.open).toBe(false)
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { openContent, sealContent, sealSlot, NONCE_BYTES } from '../../protocol/group-crypto.js'
import { RandomPool } from '../../protocol/random-pool.js'

describe('RandomPool', () => {
  afterEach(() => { vi.restoreAllMocks() })

  it('hands out each CSPRNG byte once, in order, as copies, one CSPRNG call per `count` values', () => {
    let fill = 0
    const spy = vi.spyOn(crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(a: T): T => {
      const bytes = a as unknown as Uint8Array
      for (let i = 0; i < bytes.length; i++) bytes[i] = (fill + i) & 0xff
      fill += bytes.length
      return a
    })
    const pool = new RandomPool(3, 4)
    const got = Array.from({ length: 9 }, () => pool.take())
    expect(spy).toHaveBeenCalledTimes(3)
    expect(got.every(v => v.length === 3)).toBe(true)
    expect(got.flatMap(v => [...v])).toEqual(Array.from({ length: 27 }, (_, i) => i))
    // a copy: the refill that follows does not change what was handed out
    const first = got[8].slice()
    for (let i = 0; i < 4; i++) pool.take()
    expect(got[8]).toEqual(first)
  })

  it('gives a group\'s texts and key slots their nonces from the pool: one CSPRNG call for 256 seals', () => {
    const spy = vi.spyOn(crypto, 'getRandomValues')
    const key = new Uint8Array(32).fill(7)
    const c = { group: new Uint8Array(16), author: new Uint8Array(38), seq: 1, keyId: new Uint8Array(16) }
    const sealed = Array.from({ length: 256 }, (_, i) => sealContent(key, { ...c, seq: i + 1 }, new Uint8Array([i])))
    const nonces = new Set(sealed.map(s => Buffer.from(s.subarray(0, NONCE_BYTES)).toString('hex')))
    expect(nonces.size).toBe(256)
    expect(openContent(key, { ...c, seq: 9 }, sealed[8])).toEqual(new Uint8Array([8]))
    sealSlot(key, { group: c.group, author: c.author, member: c.author, keyId: c.keyId }, key)
    expect(spy.mock.calls.length).toBeLessThanOrEqual(2)
  })
})

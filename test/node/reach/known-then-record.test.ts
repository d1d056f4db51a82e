/**
 * Where a message through a contact code goes: known addresses first, the
 * intake record's when they fail or when, after the grace, the record has
 * others. Stubbed exchanges and lookups; a grace of 20 ms.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { sendKnownThenRecord } from '../../../node/reach/known-then-record.js'
import type { Multiaddr } from '@multiformats/multiaddr'

const OWNER = '12D3KooWOwner'
const KNOWN = multiaddr('/ip4/127.0.0.1/tcp/4001')
const RECORDED = multiaddr('/ip4/127.0.0.1/tcp/4002')
const GRACE_MS = 20

/** A promise settled from outside. */
function later<T> (): { promise: Promise<T>, resolve: (v: T) => void, reject: (e: unknown) => void } {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

/** An exchange per target set: `answers` settles it; every call and its signal are recorded. */
function exchanges (answers: Map<string, Promise<Uint8Array>>): { send: (t: Multiaddr[], s: AbortSignal) => Promise<Uint8Array>, calls: Array<{ targets: string, signal: AbortSignal }> } {
  const calls: Array<{ targets: string, signal: AbortSignal }> = []
  return {
    calls,
    send: async (targets, signal) => {
      const key = targets.map(t => t.toString()).join(',')
      calls.push({ targets: key, signal })
      const answer = answers.get(key) ?? Promise.reject(new Error(`no answer at ${key}`))
      return await new Promise<Uint8Array>((resolve, reject) => {
        signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
        answer.then(resolve, reject)
      })
    }
  }
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('known addresses, then the intake record', () => {
  it('a known exchange slower than the grace goes on while the record has nothing new', async () => {
    const slow = later<Uint8Array>()
    const { send, calls } = exchanges(new Map([[KNOWN.toString(), slow.promise]]))
    const lookupDone = later<void>()
    const result = sendKnownThenRecord({
      owner: OWNER,
      known: [KNOWN],
      lookup: async () => { lookupDone.resolve(); return [KNOWN] }, // the record says what we knew
      send,
      graceMs: 0,
      signal: AbortSignal.timeout(30_000)
    })
    await lookupDone.promise
    // the grace (a 0 ms timer set before this one) is over and the record read: the known exchange still runs
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(calls.map(c => c.targets)).toEqual([KNOWN.toString()])
    expect(calls[0].signal.aborted).toBe(false)
    slow.resolve(bytes('ok'))
    expect(await result).toEqual(bytes('ok'))
  })

  it('after the grace, new addresses from the record replace a known exchange that hangs', async () => {
    const { send, calls } = exchanges(new Map([[KNOWN.toString(), new Promise<Uint8Array>(() => {})], [RECORDED.toString(), Promise.resolve(bytes('via record'))]]))
    const found: string[] = []
    const answer = await sendKnownThenRecord({
      owner: OWNER,
      known: [KNOWN],
      lookup: async () => [KNOWN, RECORDED],
      send,
      graceMs: GRACE_MS,
      signal: AbortSignal.timeout(30_000),
      onFound: async (targets) => { found.push(...targets.map(t => t.toString())) }
    })
    expect(answer).toEqual(bytes('via record'))
    expect(found).toEqual([RECORDED.toString()])
    expect(calls.map(c => c.targets)).toEqual([KNOWN.toString(), RECORDED.toString()])
    expect(calls[0].signal.aborted).toBe(true)
  })

  it('known addresses that fail give way to the record at once; the lookup is stopped when done', async () => {
    const refused = later<Uint8Array>()
    const { send, calls } = exchanges(new Map([[KNOWN.toString(), refused.promise], [RECORDED.toString(), Promise.resolve(bytes('via record'))]]))
    let lookupSignal: AbortSignal | undefined
    const failures: unknown[] = []
    const result = sendKnownThenRecord({
      owner: OWNER,
      known: [KNOWN],
      lookup: async (signal) => { lookupSignal = signal; return [RECORDED] },
      send,
      graceMs: 60_000, // the grace never ends in this test: a failure must not wait for it
      signal: AbortSignal.timeout(30_000),
      onKnownFailed: (err) => { failures.push(err) }
    })
    refused.reject(new Error('connection refused'))
    expect(await result).toEqual(bytes('via record'))
    expect(calls.map(c => c.targets)).toEqual([KNOWN.toString(), RECORDED.toString()])
    expect(failures).toHaveLength(1)
    expect(lookupSignal?.aborted).toBe(true)
  })

  it('nothing known and nothing recorded: the owner is unreachable; a failed lookup counts as nothing', async () => {
    const { send, calls } = exchanges(new Map())
    const none = { owner: OWNER, known: [], send, graceMs: GRACE_MS, signal: AbortSignal.timeout(30_000) }
    await expect(sendKnownThenRecord({ ...none, lookup: async () => [] })).rejects.toMatchObject({ name: 'PeerUnreachableError' })
    await expect(sendKnownThenRecord({ ...none, lookup: async () => { throw new Error('dht down') } })).rejects.toMatchObject({ name: 'PeerUnreachableError' })
    expect(calls).toHaveLength(0)
  })

  it('an aborted signal ends it with the abort, not "unreachable"', async () => {
    const { send } = exchanges(new Map([[KNOWN.toString(), new Promise<Uint8Array>(() => {})]]))
    const stop = new AbortController()
    const result = sendKnownThenRecord({ owner: OWNER, known: [KNOWN], lookup: async () => [RECORDED], send, graceMs: 60_000, signal: stop.signal })
    stop.abort(new Error('gave up'))
    await expect(result).rejects.toThrow('gave up')
  })
})

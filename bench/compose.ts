/**
 * presence.compose: what the watcher spends per accepted record on the
 * person's view (docs/protocol.md §15), on one thread. Before composition,
 * a record replaced the presentity's view, re-armed its expiry timer and
 * compared the old and new views. Now it goes through PersonView.update:
 * the device's view, its expiry timer, composePresence over the person's
 * devices, the person's view and the same comparison. Measured for a person
 * of one device (every watched person today) and of three.
 */
import { changedCategories, PersonView, sameShown } from '../node/presence/person-view.js'
import { measureOps } from './ops.js'
import { result } from './result.js'
import type { BenchResult } from './result.js'
import type { PresenceView } from '../node/presence/index.js'

export async function benchCompose (opts: { rounds?: number } = {}): Promise<BenchResult[]> {
  const now = Date.now()
  let seq = BigInt(now)
  const record = (device: string): PresenceView => ({
    peerId: device,
    status: 'away',
    note: 'at lunch, back at two',
    categories: {
      state: { kind: 'state', availability: 'away', source: 'manual', manualSince: now },
      note: { kind: 'note', text: 'at lunch, back at two' },
      capabilities: { kind: 'capabilities', features: ['chat', 'receipts'] }
    },
    seq: ++seq,
    lastSeen: Date.now(),
    expiresAt: Date.now() + 60_000
  })
  const one = new PersonView('p1', ['d1'])
  const three = new PersonView('p3', ['d1', 'd2', 'd3'])
  for (const d of ['d1', 'd2', 'd3']) three.update(d, record(d))
  let i = 0
  let view = record('d1')
  let timer: ReturnType<typeof setTimeout> | undefined
  const rates = await measureOps([
    {
      name: 'before',
      op: () => {
        const next = record('d1')
        clearTimeout(timer)
        timer = setTimeout(() => {}, 60_000)
        timer.unref?.()
        const out = [sameShown(view, next), changedCategories(view, next)]
        view = next
        return out
      }
    },
    { name: 'one', op: () => one.update('d1', record('d1')) },
    { name: 'three', op: () => { const d = `d${1 + (i++ % 3)}`; return three.update(d, record(d)) } }
  ], { rounds: opts.rounds })
  clearTimeout(timer)
  one.stop()
  three.stop()
  const r = (k: string): number => rates.get(k) as number
  const runs = opts.rounds ?? 7
  const notes = `best of ${runs} interleaved rounds of 400 ms, 1 thread; a view of state, note and capabilities, its timer re-armed each time`
  const baseline = 'before: replace the view, re-arm its expiry, compare'
  return [
    result({ name: 'presence.compose.oneDevice', value: r('one'), unit: 'records/s', baseline, baselineValue: r('before'), nodes: 1, runs, notes: `after: PersonView.update of a person of one device (${(1e6 / r('one')).toFixed(2)} µs, before ${(1e6 / r('before')).toFixed(2)} µs); ${notes}` }),
    result({ name: 'presence.compose.threeDevices', value: r('three'), unit: 'records/s', baseline, baselineValue: r('before'), nodes: 1, runs, notes: `after: PersonView.update of a person of three live devices, records from each in turn (${(1e6 / r('three')).toFixed(2)} µs); ${notes}` })
  ]
}

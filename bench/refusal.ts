/**
 * What a stopwatch still tells (docs/threat-model.md): how long a private
 * node takes to refuse a stranger and a peer it blocked, beside how long a
 * stopped node takes, as seen by an outside attacker (test/fixtures/attacker.ts,
 * public libp2p packages only) on loopback. Two ways in: a direct dial to an
 * address it learned, and a circuit relay HOP through the relay the node holds
 * a slot on. The answers are the same (failed; NO_RESERVATION); the times are
 * not, and cannot be: a running node accepts the TCP connection and completes
 * the Noise handshake before it knows who dials, and the relay must ask it.
 *
 *   npm run bench -- --only privacy.refusal --runs 50
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { PresenceNode } from '../node/presence-node.js'
import { hopConnect, startAttacker, timedDial } from '../test/fixtures/attacker.js'
import { percentile, result } from './result.js'
import type { BenchResult } from './result.js'
import type { Attacker } from '../test/fixtures/attacker.js'
import type { Multiaddr } from '@multiformats/multiaddr'

export const REFUSAL_DEFAULT_RUNS = 50

interface Tally { direct: number[], relay: number[], answers: Set<string> }

const tally = (): Tally => ({ direct: [], relay: [], answers: new Set() })

async function tryOnce (who: Attacker, direct: Multiaddr, relay: Multiaddr, target: PresenceNode['peerId'], into: Tally): Promise<void> {
  const dial = await timedDial(who, direct)
  const hop = await hopConnect(who, relay, target)
  into.direct.push(dial.ms)
  into.relay.push(hop.ms)
  into.answers.add(`${dial.outcome}/${hop.status}`)
  await who.node.hangUp(target).catch(() => {})
}

async function waitFor (cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`refusal bench: no ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

export async function benchRefusal (opts: { runs?: number } = {}): Promise<BenchResult[]> {
  const runs = opts.runs ?? REFUSAL_DEFAULT_RUNS
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-bench-refusal-'))
  const start = async (name: string, extra: Partial<Parameters<typeof PresenceNode.start>[0]> = {}): Promise<PresenceNode> =>
    await PresenceNode.start({ home: path.join(root, name), listen: ['/ip4/127.0.0.1/tcp/0'], sharedHost: true, mdns: false, control: false, ...extra })
  const relayNode = await start('relay', { relay: true })
  const a = await start('a', { bootstrap: [relayNode.addresses()[0]] })
  const x = await startAttacker()
  const y = await startAttacker()
  try {
    await waitFor(() => a.libp2p.services.relayReservations?.reservations().includes(relayNode.peerId.toString()) === true, 'relay slot')
    await a.block(y.peerId)
    const direct = multiaddr(`${a.addresses().find(ad => !ad.includes('p2p-circuit'))!.split('/p2p/')[0]}/p2p/${a.peerId.toString()}`)
    const relay = multiaddr(relayNode.addresses()[0])
    const stranger = tally()
    const blocked = tally()
    const stopped = tally()
    for (let i = 0; i < runs; i++) {
      await tryOnce(x, direct, relay, a.peerId, stranger)
      await tryOnce(y, direct, relay, a.peerId, blocked)
    }
    await a.stop()
    for (let i = 0; i < runs; i++) await tryOnce(x, direct, relay, a.peerId, stopped)

    const median = (xs: number[]): number => percentile([...xs].sort((p, q) => p - q), 50)
    const p90 = (xs: number[]): number => percentile([...xs].sort((p, q) => p - q), 90)
    const answers = `answers: stranger ${[...stranger.answers].join(',')}; blocked ${[...blocked.answers].join(',')}; stopped ${[...stopped.answers].join(',')}`
    const row = (who: string, way: 'direct' | 'relay', t: Tally): BenchResult => result({
      name: `privacy.refusal.${way}.${who}.median`,
      value: median(t[way]),
      unit: 'ms',
      baseline: `the same attempt at the stopped node (median; p90 ${p90(stopped[way]).toFixed(1)} ms)`,
      baselineValue: median(stopped[way]),
      nodes: 2,
      runs,
      notes: `p90 ${p90(t[way]).toFixed(1)} ms; loopback TCP, ${way === 'direct' ? 'a full dial (TCP, Noise, refusal) by an outside libp2p node' : 'a raw HOP CONNECT to the relay'}; ${answers}`
    })
    return [row('stranger', 'direct', stranger), row('blocked', 'direct', blocked), row('stranger', 'relay', stranger), row('blocked', 'relay', blocked)]
  } finally {
    await Promise.all([x.stop(), y.stop()])
    await Promise.all([a, relayNode].map(async n => await n.stop().catch(() => {})))
    await fs.rm(root, { recursive: true, force: true })
  }
}

/**
 * What the machine was doing during a chaos run, so runs are comparable: the
 * load average, and per host process its event-loop delay and CPU share,
 * sampled every few seconds and summed up per phase.
 */
import os from 'node:os'

export interface HostHealth {
  /** Event-loop delay percentiles and maximum since the previous sample, ms. */
  lagP50: number
  lagP99: number
  lagMax: number
  /** Share of one core the process used since the previous sample. */
  cpu: number
  rssMiB: number
  /** Longest gap between two presence announcements of one of its nodes since the previous sample, ms. */
  announceGapMax: number
}

interface Sample {
  at: number
  load1: number
  /** By host label; a host that did not answer (killed, starting) is missing. */
  hosts: Map<string, HostHealth>
}

export interface PhaseLoad {
  phase: string
  seconds: number
  load1: { min: number, max: number }
  /** The worst host: highest p99 event-loop delay seen in the phase. */
  worstLagP99: number
  worstLagMax: number
  worstHost?: string
  /** Median over samples and hosts of the p99 delay. */
  medianLagP99: number
  /** Sum over hosts of their CPU share, mean over samples (2 = both cores busy). */
  meanCpu: number
  /** Longest gap between two announcements of one node (a late heartbeat), and its host. */
  announceGapMax: number
  announceGapHost?: string
}

export class LoadRecorder {
  private readonly samples: Sample[] = []
  private readonly phases: Array<{ phase: string, from: number }> = []
  private timer?: ReturnType<typeof setInterval>
  private sampling?: Promise<void>

  constructor (private readonly health: () => Promise<Map<string, HostHealth>>, private readonly intervalMs = 2_000) {}

  start (): void {
    this.timer = setInterval(() => { this.sampling ??= this.sample().finally(() => { this.sampling = undefined }) }, this.intervalMs)
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    await this.sampling
  }

  /** From now on samples belong to `phase`. */
  phase (phase: string): void {
    this.phases.push({ phase, from: Date.now() })
  }

  private async sample (): Promise<void> {
    const hosts = await this.health().catch(() => new Map<string, HostHealth>())
    this.samples.push({ at: Date.now(), load1: os.loadavg()[0], hosts })
  }

  /** One line per phase. */
  summary (): PhaseLoad[] {
    return this.phases.map((p, i) => {
      const to = this.phases[i + 1]?.from ?? Date.now()
      const ss = this.samples.filter(s => s.at >= p.from && s.at < to)
      const loads = ss.map(s => s.load1)
      let worst: { host?: string, p99: number, max: number } = { p99: 0, max: 0 }
      const p99s: number[] = []
      let cpu = 0
      let gap: { host?: string, ms: number } = { ms: 0 }
      for (const s of ss) {
        for (const [host, h] of s.hosts) {
          if (h.announceGapMax > gap.ms) gap = { host, ms: h.announceGapMax }
          p99s.push(h.lagP99)
          if (h.lagP99 > worst.p99) worst = { host, p99: h.lagP99, max: Math.max(worst.max, h.lagMax) }
          else worst.max = Math.max(worst.max, h.lagMax)
          cpu += h.cpu
        }
      }
      p99s.sort((a, b) => a - b)
      return {
        phase: p.phase,
        seconds: Math.round((to - p.from) / 1000),
        load1: { min: loads.length > 0 ? Math.min(...loads) : os.loadavg()[0], max: loads.length > 0 ? Math.max(...loads) : os.loadavg()[0] },
        worstLagP99: worst.p99,
        worstLagMax: worst.max,
        worstHost: worst.host,
        medianLagP99: p99s[Math.floor(p99s.length / 2)] ?? 0,
        meanCpu: ss.length > 0 ? Math.round(cpu / ss.length * 100) / 100 : 0,
        announceGapMax: gap.ms,
        announceGapHost: gap.host
      }
    })
  }
}

export function formatLoad (p: PhaseLoad): string {
  return `${p.phase} (${p.seconds} s): load average ${p.load1.min.toFixed(1)}-${p.load1.max.toFixed(1)}, ` +
    `event-loop delay p99 median ${p.medianLagP99} ms, worst ${p.worstLagP99} ms${p.worstHost != null ? ` (host ${p.worstHost})` : ''}, max ${p.worstLagMax} ms, ` +
    `CPU of all hosts ${p.meanCpu} cores, longest gap between two announcements of a node ${p.announceGapMax} ms${p.announceGapHost != null ? ` (host ${p.announceGapHost})` : ''}`
}

/**
 * Automatic state from user input: the CLI, the XMPP endpoint or an app
 * report activity; after `awayAfterMs` without any, the node counts as idle
 * since the last input, and the next report ends that. Nothing is idle before
 * the first report (a node nobody reports for has no idea of its user), nor
 * while the period is null (automatic away off).
 */
import { InvalidOptionError } from '../errors.js'
import { MAX_AWAY_AFTER_MS, MIN_AWAY_AFTER_MS } from './constants.js'

/** Throws InvalidOptionError unless `ms` is an idle period a user may choose (null: never away). */
export function checkAwayAfter (ms: number | null): void {
  if (ms != null && !(Number.isInteger(ms) && ms >= MIN_AWAY_AFTER_MS && ms <= MAX_AWAY_AFTER_MS)) {
    throw new InvalidOptionError('away-after', String(ms), `between ${MIN_AWAY_AFTER_MS / 1000} s and ${MAX_AWAY_AFTER_MS / 3600_000} h, or off`)
  }
}

export class IdleTracker {
  /** The last input each source (a client) reported. */
  private readonly inputs = new Map<string, number>()
  private lastInput?: number
  private idle = false
  private timer?: ReturnType<typeof setTimeout>

  /** `onChange(idleSince)` runs when the node goes idle, `onChange(undefined)` when it is back. */
  constructor (private awayAfterMs: number | null, private readonly onChange: (idleSince: number | undefined) => void, private readonly clock: () => number = Date.now) {
    checkAwayAfter(awayAfterMs)
  }

  /**
   * `source` (a client) saw its user's last input at `at` (default now; an
   * XMPP client's idle-since lies in the past). Each source's latest report
   * replaces its earlier ones; the latest input of all sources counts.
   */
  report (at: number = this.clock(), source = ''): void {
    if (!Number.isFinite(at)) throw new InvalidOptionError('activity time', String(at), 'a time in milliseconds')
    this.inputs.set(source, Math.min(at, this.clock()))
    this.lastInput = Math.max(...this.inputs.values())
    this.check()
  }

  /** The idle period (null: never away), from now on. */
  setAwayAfter (ms: number | null): void {
    checkAwayAfter(ms)
    this.awayAfterMs = ms
    this.check()
  }

  get period (): number | null {
    return this.awayAfterMs
  }

  /** When idle: the time of the last input. */
  idleSince (): number | undefined {
    return this.idle ? this.lastInput : undefined
  }

  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private check (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.lastInput == null) return
    const left = this.awayAfterMs == null ? Infinity : this.lastInput + this.awayAfterMs - this.clock()
    const idle = left <= 0
    if (idle !== this.idle) {
      this.idle = idle
      this.onChange(idle ? this.lastInput : undefined)
    }
    if (!idle && Number.isFinite(left)) {
      this.timer = setTimeout(() => { this.check() }, left)
      this.timer.unref?.()
    }
  }
}

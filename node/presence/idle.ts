/**
 * Automatic state from user input: the CLI, the XMPP endpoint or an app
 * report activity; after `awayAfterMs` without any, the node counts as idle
 * since the last input, and the next report ends that. Nothing is idle before
 * the first report: a node nobody reports for has no idea of its user.
 */
import { InvalidParametersError } from '@libp2p/interface'

export class IdleTracker {
  private lastInput?: number
  private idle = false
  private timer?: ReturnType<typeof setTimeout>

  /** `onChange(idleSince)` runs when the node goes idle, `onChange(undefined)` when it is back. */
  constructor (private readonly awayAfterMs: number, private readonly onChange: (idleSince: number | undefined) => void, private readonly clock: () => number = Date.now) {
    if (!(awayAfterMs > 0)) throw new InvalidParametersError(`the idle period must be a positive number of ms, not ${awayAfterMs}`)
  }

  /** User input at `at` (default now; an XMPP client's idle-since may lie in the past). The latest input anywhere counts. */
  report (at: number = this.clock()): void {
    const now = this.clock()
    if (!Number.isFinite(at) || at > now) at = now
    this.lastInput = Math.max(this.lastInput ?? at, at)
    this.check()
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
    const left = this.lastInput + this.awayAfterMs - this.clock()
    const idle = left <= 0
    if (idle !== this.idle) {
      this.idle = idle
      this.onChange(idle ? this.lastInput : undefined)
    }
    if (!idle) {
      this.timer = setTimeout(() => { this.check() }, left)
      this.timer.unref?.()
    }
  }
}

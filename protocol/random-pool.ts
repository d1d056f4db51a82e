/**
 * Public random values (nonces, ids) drawn from the platform CSPRNG many at a
 * time: one call per `count` values instead of one per value (a cold
 * getRandomValues is ~30-40 µs, a syscall that a loaded machine may preempt).
 * Each byte is handed out once, as a copy. Not for keys: a key must not sit
 * in memory before it is needed.
 */
export class RandomPool {
  private readonly pool: Uint8Array
  private used: number

  constructor (private readonly size: number, count = 256) {
    this.pool = new Uint8Array(size * count)
    this.used = this.pool.byteLength
  }

  /** `size` fresh CSPRNG bytes. */
  take (): Uint8Array {
    if (this.used === this.pool.byteLength) {
      crypto.getRandomValues(this.pool)
      this.used = 0
    }
    this.used += this.size
    return this.pool.slice(this.used - this.size, this.used)
  }
}

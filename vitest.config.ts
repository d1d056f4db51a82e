import { defineConfig } from 'vitest/config'
import { BaseSequencer } from 'vitest/node'
import type { TestSpecification } from 'vitest/node'

/**
 * The files that run longest (measured, in this order) start first, so that
 * none of them begins near the end and holds the run up alone. Vitest orders
 * by the durations of the last run when it has them, which a fresh clone (CI)
 * does not; by file size then, and the NAT scenarios' short file came last.
 */
const LONGEST_FIRST = ['test/nat/', 'test/cli/client-pty', 'test/node/mesh-recovery', 'test/node/notify.test', 'test/cli/demo', 'test/cli/xmpp-cli', 'test/node/chat-crash']

class LongestFirst extends BaseSequencer {
  override async sort (files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => {
      const i = LONGEST_FIRST.findIndex(p => f.moduleId.includes(p))
      return i === -1 ? LONGEST_FIRST.length : i
    }
    return (await super.sort(files)).map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(x => x.f)
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./node/polyfill.ts'],
    // nodes started by tests, CLI children included, never multicast on the host's network
    env: { PRESENCE_MESH_MDNS: 'off' },
    // multi-node tests share 2 cores; most of a file's time is waiting (timers, the network), so
    // three files at a time use the cores (about 1.4 of 2 measured) without starving them (four
    // did: deadlines missed); generous deadlines
    fileParallelism: true,
    maxWorkers: 3,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    sequence: { sequencer: LongestFirst },
    watch: false
  }
})

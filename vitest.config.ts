import { defineConfig } from 'vitest/config'
import { LongestFirst } from './test/longest-first.js'

export default defineConfig({
  test: {
    setupFiles: ['./node/polyfill.ts', './test/setup-file-hygiene.ts'],
    // nodes started by tests, CLI children included, never multicast on the host's network
    env: { PRESENCE_MESH_MDNS: 'off' },
    // four files at a time on 2 cores: most of a multi-node test is waiting (records, expiries,
    // retries), and the children run the shared build, not tsx. Measured back to back on one tree
    // (session 5, load 6.5-13): three workers 281 s, four 211 s, both green; generous deadlines.
    fileParallelism: true,
    maxWorkers: 4,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // the longest files first, on a fresh clone too (test/longest-first.ts)
    sequence: { sequencer: LongestFirst },
    watch: false,
    // one project: every file shares its worker's module cache (isolate: false). Importing the node
    // for each of 140 files cost about 100 s of worker time (a third of a run on 2 cores: 185 s
    // isolated, 148-155 s shared); what a file changes on the process (test/node/xmpp/client.ts's tls
    // wrap) must be per process, and what it changes on the module graph undone after each test.
    // Unit files had a project of their own (when the rest was isolated): vitest hands a finished
    // worker the next file only if it is of the same project, so each switch between the two in
    // the longest-first order ended a worker and started one that imported everything again (14
    // workers instead of 4), and each project transformed the shared modules again; one project
    // ran the unit files with 17 CPU-s less and vitest's own process with 7 less (docs/benchmarks.md,
    // session 14)
    include: ['test/**/*.test.ts'],
    isolate: false,
    restoreMocks: true,
    unstubGlobals: true,
    unstubEnvs: true,
    // one transpiled build for every child process the tests start (test/child-build.ts)
    globalSetup: ['./test/global-setup.ts']
  }
})

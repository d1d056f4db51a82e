import { defineConfig } from 'vitest/config'

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
    watch: false
  }
})

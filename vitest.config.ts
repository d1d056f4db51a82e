import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./node/polyfill.ts'],
    // nodes started by tests, CLI children included, never multicast on the host's network
    env: { PRESENCE_MESH_MDNS: 'off' },
    // multi-node tests share 2 cores: run files one or two at a time, generous deadlines
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    watch: false
  }
})

/** vitest global setup: one transpiled build of the repository for every child process of the run (test/child-build.ts). */
import fs from 'node:fs/promises'
import { buildForChildren } from './child-build.js'
import type { TestProject } from 'vitest/node'

export default async function setup (project: TestProject): Promise<() => Promise<void>> {
  const dir = await buildForChildren()
  project.provide('childBuild', dir)
  return async () => { await fs.rm(dir, { recursive: true, force: true }) }
}

/**
 * The repository transpiled once per test run, for the tests' child
 * processes (CLI commands, node processes, fixtures). Under `node --import
 * tsx` every child transpiles its modules and resolves each import through a
 * loader thread again: about a second of CPU per start on this machine, and
 * the suite starts some hundred children. The build is made with the same
 * transpiler tsx uses (its esbuild), so the children run the same code.
 *
 * vitest.config.ts runs buildForChildren() as global setup and hands the
 * directory to the test files; tests run a file with nodeArgs().
 */
import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { inject } from 'vitest'

export const ROOT = path.resolve(import.meta.dirname, '..')
/** What children import: the product and the test fixtures they run. */
const SOURCES = ['cli', 'node', 'protocol', 'test/fixtures']

declare module 'vitest' {
  export interface ProvidedContext {
    /** The transpiled repository's directory (same layout, .js files). */
    childBuild: string
  }
}

async function tsFiles (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...await tsFiles(file))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(file)
  }
  return out
}

/** Transpiles SOURCES into a new temporary directory (its node_modules: the repository's); returns it. */
export async function buildForChildren (): Promise<string> {
  const esbuild = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'))('esbuild') as typeof import('esbuild')
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-test-js-'))
  try {
    const entryPoints = (await Promise.all(SOURCES.map(async d => await tsFiles(path.join(ROOT, d))))).flat()
    await esbuild.build({
      entryPoints,
      outdir: dir,
      outbase: ROOT,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      tsconfig: path.join(ROOT, 'tsconfig.json'),
      sourcemap: 'inline',
      logLevel: 'error'
    })
    // "type": "module" for the .js files, and the version `presence-mesh --version` prints
    await fs.copyFile(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'))
    await fs.symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
    return dir
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true })
    throw err
  }
}

/**
 * The arguments for `process.execPath` that run one of the repository's .ts
 * files (cli/main.ts, a fixture) in a child process: this run's build of it.
 * Outside vitest (a benchmark importing a test helper) there is no build:
 * tsx then.
 */
export function nodeArgs (file: string): string[] {
  let dir: string | undefined
  try { dir = inject('childBuild') } catch {}
  if (dir == null) return ['--import', 'tsx', file]
  return ['--enable-source-maps', path.join(dir, path.relative(ROOT, file)).replace(/\.ts$/, '.js')]
}

/**
 * The repository bundled once per test run, for the tests' child processes
 * (CLI commands, node processes, fixtures). Under `node --import tsx` every
 * child transpiles its modules and resolves each import through a loader
 * thread again: about two seconds of CPU per start on this machine, and the
 * suite starts some hundred children. A child of a file-per-module build
 * still spent about 1.6 s of its 2.3 s start resolving and loading some
 * thousand modules; a bundle per entry point loads in about 0.3 s (measured
 * session 12: a node-process child from spawn to stopped, 2.3 -> 0.8 CPU-s).
 * The bundles are made with the same transpiler tsx uses (its esbuild), so
 * the children run the same code; esbuild keeps each dynamically imported
 * module lazy, so cli/main.ts still tunes V8 before the product is evaluated.
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
/** What children run: the command, the demo and every test fixture (test/fixtures/*.ts). */
const ENTRIES = ['cli/main.ts', 'cli/demo.ts']
const FIXTURES = 'test/fixtures'
/** Native addons stay out of the bundles: loaded from node_modules, where they find their binaries (sodium-native by its own __filename). */
const NATIVE = ['classic-level', 'sodium-native']

declare module 'vitest' {
  export interface ProvidedContext {
    /** The transpiled repository's directory (same layout, .js files). */
    childBuild: string
  }
}

async function entryPoints (): Promise<string[]> {
  const fixtures = (await fs.readdir(path.join(ROOT, FIXTURES))).filter(f => f.endsWith('.ts') && !f.endsWith('.d.ts')).map(f => path.join(FIXTURES, f))
  return [...ENTRIES, ...fixtures].map(f => path.join(ROOT, f))
}

/** Whether the children will read source maps: `NODE_OPTIONS=--enable-source-maps`, which they inherit. */
function sourceMapsWanted (): boolean {
  return (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes('--enable-source-maps')
}

/** Bundles each entry point into a new temporary directory, same layout (its node_modules: the repository's); returns it. */
export async function buildForChildren (): Promise<string> {
  const esbuild = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'))('esbuild') as typeof import('esbuild')
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-test-js-'))
  try {
    await esbuild.build({
      entryPoints: await entryPoints(),
      bundle: true,
      external: NATIVE,
      outdir: dir,
      outbase: ROOT,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      tsconfig: path.join(ROOT, 'tsconfig.json'),
      // read only with --enable-source-maps (see nodeArgs), so made only then: the maps are more
      // than half of what is written, and a quarter of the build's CPU (1 of 4 CPU-s)
      sourcemap: sourceMapsWanted() ? 'linked' : false,
      // less to read and parse: 0.78 -> 0.72 CPU-s a node process from spawn to stopped (session 13);
      // names and syntax stay as written (whitespace only)
      minifyWhitespace: true,
      // the CommonJS packages in an ES module bundle still call require()
      banner: { js: "import { createRequire as __pmCreateRequire } from 'node:module'; const require = __pmCreateRequire(import.meta.url);" },
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
 * files (cli/main.ts, cli/demo.ts, a fixture) in a child process: this run's
 * bundle of it. Outside vitest (a benchmark importing a test helper) there is
 * no build: tsx then.
 *
 * Without --enable-source-maps: reading a bundle's map took a sixth of a
 * child's start (0.93 -> 0.78 CPU-s). Children inherit the environment, so
 * `NODE_OPTIONS=--enable-source-maps npx vitest run ...` gives their stack
 * traces the sources' lines.
 */
export function nodeArgs (file: string, opts: { nodeV8?: boolean } = {}): string[] {
  let dir: string | undefined
  try { dir = inject('childBuild') } catch {}
  if (dir == null) return ['--import', 'tsx', file]
  const rel = path.relative(ROOT, file)
  if (!ENTRIES.includes(rel) && path.dirname(rel) !== FIXTURES) throw new Error(`${rel} is not bundled for child processes: add it to ENTRIES in test/child-build.ts`)
  return [...(opts.nodeV8 === true ? [] : CHILD_V8_ARGS), path.join(dir, rel).replace(/\.ts$/, '.js')]
}

/**
 * Children run with V8's default tiering budget, not the one a node sets for
 * itself (cli/v8-tiering.ts; a budget given on the command line wins there):
 * a node that runs all day gains from optimizing its hot functions early, a
 * test's child that lives for seconds pays for compiles it barely uses. The
 * demo's and the CLI tests' children, alone under the heavy lock: 31.0 and
 * 31.5 CPU-s with the node's budget, 25.9 and 25.3 with V8's (session 16).
 * `nodeV8: true` keeps the node's own (the test of that tuning).
 */
const CHILD_V8_ARGS = ['--interrupt-budget=67584']

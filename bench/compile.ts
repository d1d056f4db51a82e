/**
 * Compiles the project to plain JavaScript in a temporary directory, for
 * benchmarks whose child processes must run on bare node: under tsx every
 * process also transpiles at start and runs a loader thread with its own V8
 * heap, which would add tens of MiB to every RSS figure and seconds of CPU to
 * every start.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const ROOT = path.resolve(import.meta.dirname, '..')

export interface CompiledProject {
  /** The output directory: the repository's layout, in .js. */
  dir: string
  /** Removes the directory. */
  remove: () => Promise<void>
}

export async function compileForPlainNode (purpose: string): Promise<CompiledProject> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-bench-js-'))
  const remove = async (): Promise<void> => { await fs.rm(dir, { recursive: true, force: true }) }
  try {
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json'),
      '--outDir', dir, '--sourceMap', 'false', '--declaration', 'false', '--noEmit', 'false'], { cwd: ROOT, maxBuffer: 16 * 2 ** 20 })
    await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    await fs.symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
    return { dir, remove }
  } catch (err: any) {
    await remove()
    throw new Error(`could not compile the project for ${purpose}: ${err.stdout ?? ''}${err.message}`)
  }
}

/**
 * For a diagnostic script run under tsx: compiles the project and runs the
 * compiled copy of `script` (its path under bench/, without extension) on
 * plain node with `args`, printing what it prints.
 */
export async function runCompiledCopy (script: string, args: string[]): Promise<void> {
  const build = await compileForPlainNode(script)
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(build.dir, 'bench', `${script}.js`), ...args], { maxBuffer: 1 << 20 })
    process.stdout.write(stdout)
  } finally {
    await build.remove()
  }
}

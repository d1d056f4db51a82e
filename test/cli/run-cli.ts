/** Runs the CLI (cli/main.ts through tsx) as a person would, for the CLI tests. */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'

export const MAIN = path.resolve(import.meta.dirname, '../../cli/main.ts')
const run = promisify(execFile)

/** One command to its end: exit code and output. */
export async function cli (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { ...process.env, DEBUG: '' } })
    return { code: 0, stdout, stderr }
  } catch (err: any) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

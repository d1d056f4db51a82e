/** Runs the CLI (cli/main.ts through tsx) as a person would, for the CLI tests (the runner is test/cli/pty.ts's). */
import { cli as run } from './pty.js'

export { MAIN } from './pty.js'

/** One command to its end: exit code and output. */
export async function cli (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return await run(args)
}

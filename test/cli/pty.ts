/**
 * The CLI as a person meets it: under a pseudo-terminal (util-linux
 * `script`), typed at key by key, or run as a command whose output is read.
 */
import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { nodeArgs } from '../child-build.js'
import { waitFor } from '../helpers.js'
import type { ChildProcess } from 'node:child_process'

export const MAIN = path.resolve(import.meta.dirname, '../../cli/main.ts')
/**
 * What a terminal shows for these bytes, as far as the prompt uses it:
 * text overwrites at the cursor, \r goes to the line's start, and the
 * escapes readline writes (clear line, clear to its end, cursor to a column,
 * left, right) act; other escapes (colours) are dropped.
 */
export function render (raw: string): string {
  const done: string[] = []
  let line: string[] = []
  let col = 0
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]
    if (ch === '\u001b') {
      // eslint-disable-next-line no-control-regex
      const m = /^\u001b\[([0-9;?]*)([A-Za-z])/.exec(raw.slice(i, i + 16))
      if (m == null) continue
      i += m[0].length - 1
      const n = Number(m[1] === '' ? 1 : m[1])
      if (m[2] === 'K' && (m[1] === '2')) { line = []; col = 0 } else if (m[2] === 'K') line = line.slice(0, col)
      else if (m[2] === 'G') col = Math.max(0, n - 1)
      else if (m[2] === 'D') col = Math.max(0, col - n)
      else if (m[2] === 'C') col += n
      continue
    }
    if (ch === '\r') { col = 0; continue }
    if (ch === '\n') { done.push(line.join('')); line = []; col = 0; continue }
    if (ch < ' ' && ch !== '\t') continue
    while (line.length < col) line.push(' ')
    line[col++] = ch
  }
  return [...done, line.join('')].join('\n')
}
const run = promisify(execFile)
const children = new Set<ChildProcess>()

export interface Pty {
  send: (keys: string) => void
  /** What a person reads: escape codes and carriage returns removed. */
  screen: () => string
  /** The bytes the terminal got. */
  raw: () => string
  /** Waits until the screen matches. */
  sees: (what: RegExp | string, step: string, timeoutMs?: number) => Promise<void>
  /** Screen text from the current line (the prompt) on: what shows after this. */
  mark: () => () => string
  exit: Promise<number | null>
  kill: () => void
}

/** Runs `presence-mesh <args>` under a pseudo-terminal. */
export function pty (args: string[], env: Record<string, string | undefined> = {}): Pty {
  const cmd = [process.execPath, ...nodeArgs(MAIN), ...args].map(a => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, TERM: 'xterm', DEBUG: '', COLUMNS: '200', ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  children.add(child)
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  // 'close', not 'exit': the output's last bytes may still be in the pipe when the process has exited
  const exit = new Promise<number | null>(resolve => child.once('close', (code) => { children.delete(child); resolve(code) }))
  const screen = (): string => render(out)
  return {
    send: (keys) => { child.stdin.write(keys) },
    screen,
    raw: () => out,
    sees: async (what, step, timeoutMs) => {
      try {
        await waitFor(() => typeof what === 'string' ? screen().includes(what) : what.test(screen()), step, timeoutMs)
      } catch (err: any) {
        // what the person saw last says what went wrong
        err.message += `\n--- the screen ended with ---\n${screen().slice(-1500)}`
        throw err
      }
    },
    mark: () => {
      // by line: a terminal rewrites the line being typed (the prompt), never the ones above it
      const at = screen().split('\n').length - 1
      return () => screen().split('\n').slice(at).join('\n')
    },
    exit,
    kill: () => { child.kill('SIGKILL') }
  }
}

/** Kills every terminal still open (afterEach/afterAll). */
export function killPtys (): void {
  for (const c of children) c.kill('SIGKILL')
  children.clear()
}

/** Runs `presence-mesh <args>` to the end, output piped. */
export async function cli (args: string[], options: { input?: string, env?: Record<string, string> } = {}): Promise<{ code: number, stdout: string, stderr: string }> {
  const p = run(process.execPath, [...nodeArgs(MAIN), ...args], { env: { ...process.env, DEBUG: '', ...options.env } })
  if (options.input != null) {
    p.child.stdin?.end(options.input)
  } else {
    p.child.stdin?.end()
  }
  try {
    const { stdout, stderr } = await p
    return { code: 0, stdout, stderr }
  } catch (err: any) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

/** A directory with a fake notify-send that records each call's arguments, one line per call. */
export async function fakeNotifySend (dir: string): Promise<{ path: string, calls: () => Promise<string[]> }> {
  const log = path.join(dir, 'notify-send.log')
  const bin = path.join(dir, 'notify-send')
  await fs.writeFile(bin, `#!/bin/sh\nprintf '%s|' "$@" >> '${log}'\nprintf '\\n' >> '${log}'\n`, { mode: 0o755 })
  return {
    path: dir,
    calls: async () => {
      try {
        return (await fs.readFile(log, 'utf8')).split('\n').filter(l => l !== '')
      } catch {
        return []
      }
    }
  }
}

/** Runs `presence-mesh <args>` in this process (cli/program.ts): the same code, without a process start. */
export async function here (args: string[], passphrase?: string): Promise<{ code: number, stdout: string, stderr: string }> {
  const { runCli } = await import('../../cli/program.js')
  let stdout = ''
  let stderr = ''
  const secrets = passphrase == null ? undefined : { read: async () => passphrase, confirm: false }
  const code = await runCli([process.execPath, 'presence-mesh', ...args], { out: (t) => { stdout += t }, err: (t) => { stderr += t }, secrets })
  return { code, stdout, stderr }
}

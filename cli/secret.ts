/** A passphrase read without echo on a terminal, or the first line of piped input. */
import readline from 'node:readline'
import { UsageError } from './errors.js'

/** Reads one line from stdin without showing it (terminal), or the first line of piped stdin. */
export async function readSecret (prompt: string): Promise<string> {
  const stdin = process.stdin
  if (stdin.isTTY !== true) return await firstLine()
  process.stderr.write(prompt)
  return await new Promise<string>((resolve, reject) => {
    let value = ''
    stdin.setRawMode(true)
    stdin.resume()
    const done = (err?: Error): void => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off('data', onData)
      process.stderr.write('\n')
      if (err != null) reject(err)
      else resolve(value)
    }
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') { done(); return }
        if (ch === '\u0003' || ch === '\u0004') { done(new UsageError('cancelled')); return }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('')
        else if (ch >= ' ') value += ch
      }
    }
    stdin.on('data', onData)
  })
}

async function firstLine (): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, terminal: false })
  try {
    for await (const line of rl) return line
  } finally {
    rl.close()
  }
  throw new UsageError('no passphrase on standard input')
}

/**
 * The terminal side of the prompt: printing above the line being typed,
 * transient indicators in the prompt itself (who is typing, what is being
 * looked up), and input that a paste cannot flood.
 */
import readline from 'node:readline'
import { PassThrough } from 'node:stream'

/**
 * Input for readline that refuses a paste longer than a line can be: a
 * 100 KB paste would otherwise be echoed and edited key by key for seconds,
 * and a message is at most 4,000 bytes anyway. A refused paste (and the rest
 * of it, arriving in further chunks) is dropped whole, with the line it was
 * going into.
 */
export function guardedInput (stdin: NodeJS.ReadStream, maxLine: number, currentLength: () => number, refused: (chars: number) => void): NodeJS.ReadableStream {
  const input = new PassThrough() as PassThrough & { isTTY?: boolean, isRaw?: boolean, setRawMode?: (mode: boolean) => void }
  input.isTTY = stdin.isTTY
  input.setRawMode = (mode: boolean) => {
    stdin.setRawMode?.(mode)
    input.isRaw = mode
  }
  let droppingUntil = 0
  let dropped = 0
  stdin.on('data', (chunk: Buffer) => {
    const now = Date.now()
    const text = chunk.toString('utf8')
    if (now < droppingUntil || currentLength() + text.length > maxLine) {
      if (now >= droppingUntil) {
        dropped = 0
        // clear what the paste had put into the line so far: Ctrl-U, Ctrl-K
        input.write('\u0015\u000b')
      }
      dropped += text.length
      droppingUntil = now + 150
      setTimeout(() => { if (Date.now() >= droppingUntil && dropped > 0) { refused(dropped); dropped = 0 } }, 200).unref()
      return
    }
    input.write(chunk)
  })
  stdin.on('end', () => { input.end() })
  return input
}

/** What the prompt shows besides `> `: indicators by key, the current conversation. */
export class Screen {
  private readonly indicators = new Map<string, string>()
  private conversation?: string
  private closed = false

  constructor (private readonly rl: readline.Interface, private readonly out: NodeJS.WriteStream, private readonly tty: boolean, private readonly dim: (s: string) => string) {}

  /** Prints lines above the prompt, keeping what is being typed. */
  print (lines: string[]): void {
    if (lines.length === 0) return
    if (this.tty && !this.closed) {
      readline.clearLine(this.out, 0)
      readline.cursorTo(this.out, 0)
    }
    this.out.write(lines.join('\n') + '\n')
    if (this.tty && !this.closed) this.rl.prompt(true)
  }

  /** Sets (or with undefined, clears) a transient indicator; only a terminal shows them. */
  indicate (key: string, text: string | undefined): void {
    if (text == null) this.indicators.delete(key)
    else this.indicators.set(key, text)
    this.refresh()
  }

  setConversation (name: string | undefined): void {
    this.conversation = name
    this.refresh()
  }

  prompt (): void {
    if (this.tty && !this.closed) this.rl.prompt()
  }

  close (): void {
    this.closed = true
  }

  private refresh (): void {
    const marks = [...this.indicators.values()].map(t => this.dim(`[${t}]`))
    const head = [...marks, this.conversation ?? ''].filter(s => s !== '').join(' ')
    this.rl.setPrompt(head === '' ? '> ' : `${head}> `)
    if (this.tty && !this.closed) this.rl.prompt(true)
  }
}

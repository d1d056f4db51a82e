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
 * and a message is at most 4,000 bytes anyway. Large chunks close together
 * (a paste) are gathered first; one that would not fit the line is dropped
 * whole, before any of it is echoed.
 */
export function guardedInput (stdin: NodeJS.ReadStream, maxLine: number, currentLength: () => number, refused: (chars: number) => void): NodeJS.ReadableStream {
  const input = new PassThrough() as PassThrough & { isTTY?: boolean, isRaw?: boolean, setRawMode?: (mode: boolean) => void }
  input.isTTY = stdin.isTTY
  input.setRawMode = (mode: boolean) => {
    stdin.setRawMode?.(mode)
    input.isRaw = mode
  }
  // keys come one by one; a paste comes in large chunks, close together: gather those first
  let pasted: Buffer[] = []
  let pastedChars = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  /** After a refused paste, its stragglers (a busy machine delivers them late) go too, until a key is typed. */
  let refusedAt = 0
  const settle = (): void => {
    timer = undefined
    const chunks = pasted
    pasted = []
    if (Date.now() - refusedAt < PASTE_STRAGGLER_MS) {
      refusedAt = Date.now()
    } else if (currentLength() + pastedChars > maxLine) {
      refusedAt = Date.now()
      refused(pastedChars)
    } else {
      for (const c of chunks) input.write(c)
    }
    pastedChars = 0
  }
  stdin.on('data', (chunk: Buffer) => {
    const chars = chunk.toString('utf8').length
    if (timer == null && chars < PASTE_CHUNK_CHARS) {
      // typing: whatever comes next is no straggler of a refused paste
      refusedAt = 0
      input.write(chunk)
      return
    }
    pasted.push(chunk)
    pastedChars += chars
    clearTimeout(timer)
    // a chunk that filled the terminal's buffer has more behind it, however late a busy machine delivers it:
    // settled early, a long paste's first chunk (under a line's length) would be inserted on its own
    timer = setTimeout(settle, chunk.length >= TTY_READ_BYTES ? PASTE_FULL_READ_GAP_MS : PASTE_GAP_MS)
  })
  // readline pauses its input when it closes: the terminal must stop too, or the process never ends
  input.on('pause', () => { stdin.pause() })
  input.on('resume', () => { stdin.resume() })
  stdin.on('end', () => {
    if (timer != null) {
      clearTimeout(timer)
      settle()
    }
    input.end()
  })
  return input
}

/** A chunk of input this long is (part of) a paste, not typing. */
const PASTE_CHUNK_CHARS = 256
/** The chunks of one paste arrive closer together than this. */
const PASTE_GAP_MS = 100
/** The most a read from a terminal returns on Linux (its line discipline's buffer, 4096 bytes, less one). */
const TTY_READ_BYTES = 4_095
/** After a chunk that filled the terminal's buffer, the rest of the paste may take this long. */
const PASTE_FULL_READ_GAP_MS = 1_000
/** Large chunks this soon after a refused paste are the rest of it. */
const PASTE_STRAGGLER_MS = 1_000

/** What the prompt shows besides `> `: indicators by key, the current conversation. */
export class Screen {
  private readonly indicators = new Map<string, string>()
  private conversation?: string
  private closed = false
  /**
   * Whether the prompt was shown. Until then nothing redraws it: readline's
   * prompt() resumes its input, and a line typed before the session listens
   * for lines would be echoed and then dropped.
   */
  private live = false

  constructor (private readonly rl: readline.Interface, private readonly out: NodeJS.WriteStream, private readonly tty: boolean, private readonly dim: (s: string) => string) {}

  /** Prints lines above the prompt, keeping what is being typed. */
  print (lines: string[]): void {
    if (lines.length === 0) return
    if (this.tty && !this.closed) {
      readline.clearLine(this.out, 0)
      readline.cursorTo(this.out, 0)
    }
    this.out.write(lines.join('\n') + '\n')
    this.redraw()
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

  /** Shows the prompt for the first time: call it once lines are listened for. */
  prompt (): void {
    this.live = true
    if (this.tty && !this.closed) this.rl.prompt()
  }

  close (): void {
    this.closed = true
  }

  private refresh (): void {
    const marks = [...this.indicators.values()].map(t => this.dim(`[${t}]`))
    const head = [...marks, this.conversation ?? ''].filter(s => s !== '').join(' ')
    this.rl.setPrompt(head === '' ? '> ' : `${head}> `)
    this.redraw()
  }

  private redraw (): void {
    if (this.tty && this.live && !this.closed) this.rl.prompt(true)
  }
}

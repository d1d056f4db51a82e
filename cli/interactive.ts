/**
 * `presence-mesh start`: a foreground node with a prompt. On a terminal it
 * prompts; with piped input it reads commands line by line, so scripts and
 * tests drive it the same way a person does.
 */
import readline from 'node:readline'
import { UserError } from '../node/errors.js'
import { PresenceNode } from '../node/presence-node.js'
import { complete, QUIT, runLine } from './commands.js'
import { presenceLine } from './format.js'
import { colourEnabled, painter } from './style.js'
import type { PresenceNodeOptions } from '../node/presence-node.js'

export async function runInteractive (opts: PresenceNodeOptions): Promise<void> {
  const node = await PresenceNode.start(opts)
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true
  const paint = painter(colourEnabled(process.stdout))
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: tty,
    prompt: '> ',
    completer: (line: string) => complete(node, line)
  })

  let closed = false
  const print = (lines: string[]): void => {
    if (lines.length === 0) return
    if (tty && !closed) {
      readline.clearLine(process.stdout, 0)
      readline.cursorTo(process.stdout, 0)
    }
    process.stdout.write(lines.join('\n') + '\n')
    if (tty && !closed) rl.prompt(true)
  }

  const shown = new Map(node.who().map(v => [v.peerId, v.status]))
  node.presence.addEventListener('presence', (evt) => {
    const { view, changed } = evt.detail
    if (!changed) return
    print([presenceLine(view, shown.get(view.peerId), Date.now(), paint)])
    shown.set(view.peerId, view.status)
  })

  let saidBye = false
  const stop = async (): Promise<void> => {
    if (!closed) {
      closed = true
      rl.close()
    }
    await node.stop()
    if (!saidBye) print(['offline. bye'])
    saidBye = true
  }

  print([
    `presence-mesh node ${node.peerId.toString()}`,
    'listening on:',
    ...node.addresses().map(a => `  ${a}`),
    'type /help for commands'
  ])
  if (tty) rl.prompt()

  const done = new Promise<void>(resolve => {
    process.once('SIGINT', () => { void stop().then(resolve) })
    process.once('SIGTERM', () => { void stop().then(resolve) })
    rl.on('line', line => {
      void (async () => {
        try {
          const out = await runLine({ node, paint }, line)
          if (out === QUIT) {
            await stop()
            resolve()
          } else {
            print(out)
          }
        } catch (err: any) {
          print([paint('red', `error: ${err instanceof UserError ? err.message : String(err.message ?? err)}`)])
        }
      })()
    })
    // Ctrl-D on a terminal leaves; a piped stdin that ends keeps the node running
    rl.on('close', () => { if (tty) void stop().then(resolve) })
  })
  await done
}

/**
 * `presence-mesh start`: a foreground node with a prompt. On a terminal it
 * prompts; with piped input it reads commands line by line, so scripts and
 * tests drive it the same way a person does.
 */
import readline from 'node:readline'
import { PresenceNode } from '../node/index.js'
import { complete, nameOf, QUIT, runLine } from './commands.js'
import { describeError } from './errors.js'
import { showGroupEvents } from './groups.js'
import { clock, messageLine, presenceLine, stateLine } from './format.js'
import { colourEnabled, painter } from './style.js'
import type { ChatMessage, PresenceNodeApi, PresenceNodeOptions } from '../node/index.js'

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
  node.addEventListener('presence', (evt) => {
    const { view, changed } = evt.detail
    if (!changed) return
    print([presenceLine(view, shown.get(view.peerId), Date.now(), paint)])
    shown.set(view.peerId, view.status)
  })

  const unread = new Map<string, number>()
  // while the start-up backlog is shown, a message may come both live and from history
  let backlogIds: Set<string> | undefined = new Set()
  const showIncoming = (m: ChatMessage): void => {
    if (backlogIds?.has(m.id) === true) return
    backlogIds?.add(m.id)
    unread.set(m.peer, (unread.get(m.peer) ?? 0) + 1)
    print([messageLine(m, nameOf(node, m.peer), paint)])
  }
  node.addEventListener('message', (evt) => { showIncoming(evt.detail) })
  node.addEventListener('message:held', (evt) => {
    print([`${paint('cyan', '(held: not a contact)')} ${messageLine(evt.detail, evt.detail.peer, paint)}`])
  })
  node.addEventListener('message:state', (evt) => {
    const m = evt.detail
    if (m.direction === 'out' && (m.state === 'delivered' || m.state === 'read')) print([stateLine(m, nameOf(node, m.peer), paint)])
  })
  const typingShown = new Map<string, number>()
  node.addEventListener('typing', (evt) => {
    const { peer, typing } = evt.detail
    const last = typingShown.get(peer) ?? 0
    if (!typing || Date.now() - last < TYPING_QUIET_MS) return
    typingShown.set(peer, Date.now())
    print([paint('dim', `${nameOf(node, peer)} is typing…`)])
  })
  if (tty) sendTypingWhileComposing(node, rl)
  showGroupEvents(node, print, paint)

  const at = (): string => paint('dim', `[${clock()}]`)
  node.addEventListener('contact:request', (evt) => {
    const { peerId, greeting } = evt.detail
    print([`${at()} ${paint('cyan', `${peerId} asks to be your contact`)}${greeting != null ? `: "${greeting}"` : ''} — /accept or /deny`])
  })
  node.addEventListener('contact:accepted', (evt) => {
    print([`${at()} ${paint('green', `${nameOf(node, evt.detail.peerId)} accepted: you are contacts now`)}`])
  })
  node.addEventListener('contact:declined', (evt) => {
    print([`${at()} ${nameOf(node, evt.detail.peerId)} declined your contact request`])
  })
  node.addEventListener('contact:cancelled', (evt) => {
    print([`${at()} ${nameOf(node, evt.detail.peerId)} withdrew their contact request`])
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

  const xmpp = node.xmppInfo()
  print([
    `presence-mesh node ${node.peerId.toString()}`,
    'listening on:',
    ...node.addresses().map(a => `  ${a}`),
    ...(xmpp != null
      ? [`XMPP: log in as ${xmpp.jid} on ${xmpp.address}${xmpp.tlsRequired ? ' (TLS required)' : ''}; password: presence-mesh xmpp-password`,
          `  certificate SHA-256 ${xmpp.fingerprint ?? '?'}`,
          `              SHA-1 ${xmpp.fingerprintSha1 ?? '?'}`]
      : []),
    'type /help for commands'
  ])
  await showUnread(node, showIncoming, print)
  backlogIds = undefined
  if (tty) rl.prompt()

  const done = new Promise<void>(resolve => {
    process.once('SIGINT', () => { void stop().then(resolve) })
    process.once('SIGTERM', () => { void stop().then(resolve) })
    // one command at a time, in the order typed (a slow /status must not be overtaken by /who)
    let queue = Promise.resolve()
    rl.on('line', line => {
      queue = queue.then(async () => {
        if (closed) return
        try {
          const out = await runLine({ node, paint, unread }, line)
          if (out === QUIT) {
            await stop()
            resolve()
          } else {
            print(out)
          }
        } catch (err: any) {
          print([paint('red', `error: ${describeError(err)}`)])
        }
      })
    })
    // Ctrl-D on a terminal leaves; a piped stdin that ends keeps the node running
    rl.on('close', () => { if (tty) void stop().then(resolve) })
  })
  await done
}

/** Show "is typing" at most this often per peer. */
const TYPING_QUIET_MS = 10_000
/** Tell a peer we are typing at most this often. */
const TYPING_SEND_MS = 3_000

/** While the user composes `/msg <who> text…`, tell <who> (throttled; never stored). */
function sendTypingWhileComposing (node: PresenceNodeApi, rl: readline.Interface): void {
  let lastSent = 0
  process.stdin.on('keypress', () => {
    const m = /^\/msg\s+(\S+)\s+\S/.exec(rl.line)
    if (m == null || Date.now() - lastSent < TYPING_SEND_MS) return
    try {
      node.typing(m[1])
      lastSent = Date.now()
    } catch {}
  })
}

/**
 * Messages can arrive while the client was not listening (offline messages are
 * delivered as soon as the node is up): show every unread one once.
 */
async function showUnread (node: PresenceNodeApi, show: (m: ChatMessage) => void, print: (lines: string[]) => void): Promise<void> {
  let header = false
  for (const view of node.who()) {
    for (const m of await node.history(view.peerId, UNREAD_BACKLOG)) {
      if (m.direction !== 'in' || m.state === 'read') continue
      if (!header) print(['unread (/history <name> marks them read):'])
      header = true
      show(m)
    }
  }
  const held = await node.requests()
  if (held.length > 0) print([`${held.length} held message(s) from people who are not your contacts: /requests`])
  const asking = node.contactRequests().incoming
  if (asking.length > 0) print([`${asking.length} contact request(s) waiting for you: /contacts`])
}

/** How far back the start-up unread scan looks per contact. */
const UNREAD_BACKLOG = 100

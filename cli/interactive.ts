/**
 * `presence-mesh start`: a foreground node with a prompt. On a terminal it
 * prompts; with piped input it reads commands line by line, so scripts and
 * tests drive it the same way a person does.
 *
 * Commands run one at a time in the order typed; slow ones (/locate,
 * /fetch) run beside them with a progress indicator, so the prompt never
 * waits silently. What the node reports (presence, messages, requests,
 * changes made from another terminal) prints as it happens.
 */
import readline from 'node:readline'
import { MAX_CHAT_BODY_BYTES, PresenceNode } from '../node/index.js'
import { complete, QUIT, runLine } from './commands.js'
import { describeError } from './errors.js'
import { count, messageLine, presenceLine, shortId, stamp, stateLine, at } from './format.js'
import { Names } from './names.js'
import { findNotifySend, Notifier } from './notify.js'
import { otherDevices } from './cmd-chat.js'
import { groupMessageLine, showGroupEvents } from './cmd-groups.js'
import { selfLine } from './cmd-presence.js'
import { safe } from './safe-text.js'
import { colourEnabled, painter } from './style.js'
import { guardedInput, Screen } from './terminal.js'
import type { Api } from './api.js'
import type { Ctx, SessionControl } from './command.js'
import type { ChatMessage, GroupInfo, GroupMessage, PresenceNodeOptions } from '../node/index.js'

export interface SessionOptions {
  /** Bell and desktop notifications (default on). */
  notify?: boolean
  /** Idle time before automatic away (stored by the node; null: never; undefined: as stored). */
  awayAfterMs?: number | null
}

/** Show "is typing" for this long unless a message or another notice comes (the node's own timer also ends it). */
const TYPING_SHOWN_MS = 8_000
/** Tell a peer we are typing at most this often. */
const TYPING_SEND_MS = 3_000
/** Report activity to the node at most this often. */
const ACTIVITY_EVERY_MS = 1_000
/** Who reports the activity (the XMPP endpoint reports its client's). */
const ACTIVITY_SOURCE = 'cli'
/** How far back the start-up unread scan looks per conversation. */
const UNREAD_BACKLOG = 100

export async function runInteractive (opts: PresenceNodeOptions, session: SessionOptions = {}): Promise<void> {
  const node = await PresenceNode.start(opts)
  if (session.awayAfterMs !== undefined) {
    try {
      await node.setAwayAfter(session.awayAfterMs)
    } catch (err) {
      await node.stop()
      throw err
    }
  }
  const api = node as unknown as Api
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true
  const paint = painter(colourEnabled(process.stdout))
  const self = node.peerId.toString()
  let names = await Names.load(api)
  const refreshNames = async (): Promise<void> => { names = await Names.load(api) }

  let rl: readline.Interface | undefined
  const input = tty
    ? guardedInput(process.stdin, MAX_CHAT_BODY_BYTES + 200, () => rl?.line.length ?? 0, (chars) => {
      screen.print([paint('red', `error: that paste (${count(chars)} characters) is longer than a message can be (${count(MAX_CHAT_BODY_BYTES)} bytes): nothing was inserted`)])
    })
    : process.stdin
  rl = readline.createInterface({ input, output: process.stdout, terminal: tty, prompt: '> ', completer: (line: string) => complete(names, line) })
  // what is typed (or piped) before the prompt is ready waits in the stream, none of it lost
  rl.pause()
  const screen = new Screen(rl, process.stdout, tty, (s) => paint('dim', s))
  const print = (lines: string[]): void => { screen.print(lines) }
  let commandRunning = false
  const heldStateLines: string[] = []
  const notifier = new Notifier((s) => { if (tty) process.stdout.write(s) }, tty ? findNotifySend() : undefined, session.notify !== false)

  let conversation: string | undefined
  const control: SessionControl = {
    current: () => conversation,
    open: (peer) => { conversation = peer; screen.setConversation(names.of(peer)) },
    close: () => { conversation = undefined; screen.setConversation(undefined) },
    notifications: () => notifier.on,
    setNotifications: (on) => { notifier.on = on }
  }
  const ctx = (): Ctx => ({ node: api, names, paint, now: Date.now(), self, session: control })
  const muted = (peer: string): boolean => node.person(peer)?.muted === true
  /** While this session runs a command, the node's echo of it (self, roster changes) is not printed again. */
  let ownCommand = 0
  /**
   * Whether what the node reports now is news to this terminal: no command of its own is running (or just
   * ran), or another client's request is being answered (one landing in the window of an own command is
   * still news: timing alone hid it when it came within milliseconds).
   */
  const news = (): boolean => ownCommand === 0 || node.remoteRequestsInFlight > 0

  // ---- what the node reports ----

  const shown = new Map(node.who().map(v => [v.peerId, v.status]))
  node.addEventListener('presence', (evt) => {
    const { view, changed } = evt.detail
    if (!changed) return
    print([presenceLine(view, names.of(view.peerId), shown.get(view.peerId), Date.now(), paint)])
    shown.set(view.peerId, view.status)
  })

  // while the start-up backlog is shown, a message may come both live and from history
  let backlogIds: Set<string> | undefined = new Set()
  const freshGroupMessage = (m: GroupMessage): boolean => {
    const key = `group:${m.group}/${m.id}`
    if (backlogIds?.has(key) === true) return false
    backlogIds?.add(key)
    return true
  }
  const showIncoming = (m: ChatMessage, live: boolean): void => {
    if (backlogIds?.has(m.id) === true) return
    backlogIds?.add(m.id)
    screen.indicate(`typing:${m.peer}`, undefined)
    // a contact's text from any of their devices is theirs: their name, their conversation
    const who = node.person(m.peer)?.id ?? m.peer
    print([messageLine(m, names.of(who), paint)])
    if (who === conversation) void node.markRead(who).catch(() => {})
    if (live && !muted(who)) notifier.notify(names.of(who), m.text)
  }
  node.addEventListener('message', (evt) => { showIncoming(evt.detail, true) })
  // what another of your devices sent, or received, shows here too (not notified: it was seen there)
  node.addEventListener('message:carbon', (evt) => {
    const m = evt.detail
    if (m.direction !== 'out') {
      // read there already: old history this device caught up on (in /history), not news
      if (m.state === 'read') return
      print([messageLine(m, names.of(m.peer), paint, Date.now())])
      return
    }
    // "from your phone"
    void otherDevices(api).then(mine => mine.get(m.author ?? ''), () => undefined)
      .then((device) => { print([messageLine(m, names.of(m.peer), paint, Date.now(), device ?? 'other device')]) })
  })
  // a stranger's text is not shown as it comes (strangers could flood the screen): once per sender, a pointer to it
  const heldFrom = new Set<string>()
  node.addEventListener('message:held', (evt) => {
    const m = evt.detail
    if (heldFrom.has(m.peer)) return
    heldFrom.add(m.peer)
    void refreshNames()
    print([`${at(Date.now(), paint)} ${paint('cyan', `${names.of(m.peer)} (not a contact) sent you a message`)}: /requests shows it`])
  })
  /** A message's later state: it can come before the command that sent the message printed its echo. */
  const printState = (ls: string[]): void => {
    if (commandRunning) heldStateLines.push(...ls)
    else print(ls)
  }
  node.addEventListener('message:state', (evt) => {
    const m = evt.detail
    if (m.direction !== 'out' || (m.state !== 'delivered' && m.state !== 'read')) return
    printState([stateLine(m, names.of(m.peer), paint)])
  })
  const typingTimers = new Map<string, ReturnType<typeof setTimeout>>()
  node.addEventListener('typing', (evt) => {
    const { peer, typing } = evt.detail
    clearTimeout(typingTimers.get(peer))
    if (!typing) {
      screen.indicate(`typing:${peer}`, undefined)
      return
    }
    screen.indicate(`typing:${peer}`, `${names.of(peer)} is typing…`)
    typingTimers.set(peer, setTimeout(() => { screen.indicate(`typing:${peer}`, undefined) }, TYPING_SHOWN_MS).unref())
  })
  node.addEventListener('contact:request', (evt) => {
    const { peerId, greeting } = evt.detail
    void refreshNames()
    print([`${at(Date.now(), paint)} ${paint('cyan', `${shortId(peerId)} asks to be your contact`)}${greeting != null ? `: "${safe(greeting)}"` : ''} — /accept ${shortId(peerId)} [name] or /deny ${shortId(peerId)}`])
    if (!muted(peerId)) notifier.notify('contact request', `${shortId(peerId)}${greeting != null ? `: ${greeting}` : ''}`)
  })
  const contactEvent = (verb: string) => (evt: CustomEvent<{ peerId: string }>): void => {
    print([`${at(Date.now(), paint)} ${names.of(evt.detail.peerId)} ${verb}`])
    void refreshNames()
  }
  node.addEventListener('contact:accepted', (evt) => { print([`${at(Date.now(), paint)} ${paint('green', `${names.of(evt.detail.peerId)} accepted: you are contacts now`)}`]) })
  node.addEventListener('contact:declined', contactEvent('declined your contact request'))
  node.addEventListener('contact:cancelled', contactEvent('withdrew their contact request'))
  node.addEventListener('contact:removed', contactEvent('removed you from their contacts: you no longer see each other'))
  showGroupEvents(node, () => ({ names, self }), paint, print, (m, group) => {
    if (!muted(m.author)) notifier.notify(`#${group}`, `${names.of(m.author)}: ${m.text}`)
  }, (m) => freshGroupMessage(m), printState)
  node.addEventListener('self', (evt) => {
    // automatic away and back are news; a change this session made was already answered
    if (news() || evt.detail.auto) print([`${at(Date.now(), paint)} ${selfLine(evt.detail, { paint })}`])
  })
  node.addEventListener('roster:change', (evt) => {
    const fromElsewhere = news()
    void refreshNames().then(() => {
      if (!fromElsewhere) return
      for (const { id, before, after } of evt.detail.people) {
        const name = names.of(id)
        if (before?.blockedSince == null && after?.blockedSince != null) print([`${at(Date.now(), paint)} blocked ${name} (from another terminal)`])
        if (before?.blockedSince != null && after?.blockedSince == null) print([`${at(Date.now(), paint)} unblocked ${name} (from another terminal)`])
        if (before?.muted !== after?.muted && after != null) print([`${at(Date.now(), paint)} ${name} is ${after.muted === true ? 'muted' : 'unmuted'} (from another terminal)`])
      }
      if (evt.detail.visibility != null) print([`${at(Date.now(), paint)} visibility: ${evt.detail.visibility.after.mode} (from another terminal)`])
    })
  })

  // the later of two live nodes with one key stops by itself; the earlier one is told
  node.addEventListener('duplicate', (evt) => {
    const d = evt.detail
    if (!d.yielded) print([paint('red', `${at(Date.now(), paint)} warning: another node with this identity started ${stamp(d.otherStartedAt)}${d.otherAddress != null ? ` at ${safe(d.otherAddress)}` : ''}; it was told to stop (this one keeps running)`)])
  })

  // this person's devices: linked or revoked here, on the device holding the person key, or this one revoked
  node.addEventListener('devices:change', (evt) => {
    const { linked, revoked } = evt.detail
    // what this session's own /revoke did it says itself; this device revoked is said below
    if (!news() || revoked === self) return
    if (linked != null) print([`${at(Date.now(), paint)} ${paint('green', `new device linked: ${safe(linked.name)} (${shortId(linked.peerId)})`)}`])
    if (revoked != null) print([`${at(Date.now(), paint)} device ${shortId(revoked)} revoked: your devices and contacts refuse it from now on`])
  })
  node.addEventListener('devices:revoked', (evt) => {
    print([paint('red', `${at(Date.now(), paint)} this device was revoked by ${shortId(evt.detail.person)}: it is none of their devices any more`)])
  })

  // ---- leaving ----

  let closed = false
  let saidBye = false
  const stop = async (): Promise<void> => {
    if (!closed) {
      closed = true
      screen.close()
      rl?.close()
    }
    await node.stop()
    if (!saidBye) process.stdout.write('offline. bye\n')
    saidBye = true
  }

  const xmpp = node.xmppInfo()
  print([
    `presence-mesh node ${self}`,
    'listening on:',
    ...node.addresses().map(a => `  ${safe(a)}`),
    ...(xmpp != null
      ? [`XMPP: log in as ${xmpp.jid} on ${xmpp.address}${xmpp.tlsRequired ? ' (TLS required)' : ''}; password: presence-mesh xmpp-password`,
          `  certificate SHA-256 ${xmpp.fingerprint ?? '?'}`,
          `              SHA-1 ${xmpp.fingerprintSha1 ?? '?'}`]
      : []),
    'type /help for commands'
  ])
  await showBacklog(node, names, (m) => { showIncoming(m, false) }, (m, g) => {
    if (freshGroupMessage(m)) print([groupMessageLine({ names, self }, m, g, paint)])
  }, print)
  backlogIds = undefined

  // a person at a terminal is here: the idle clock of automatic away starts, and every key restarts
  // it (a script piping commands in is nobody's activity)
  let lastActivity = 0
  const active = (): void => {
    if (!tty || Date.now() - lastActivity < ACTIVITY_EVERY_MS) return
    lastActivity = Date.now()
    node.reportActivity(undefined, ACTIVITY_SOURCE)
  }
  active()
  if (tty) {
    let lastTyping = 0
    // readline emits the keys on the stream it reads: the guarded input
    input.on('keypress', () => {
      active()
      const line = rl?.line.slice(0, 200) ?? ''
      const to = conversation != null && line !== '' && !line.startsWith('/') ? conversation : /^\/(?:msg|send)\s+(\S+)\s+\S/.exec(line)?.[1]
      if (to == null || Date.now() - lastTyping < TYPING_SEND_MS) return
      lastTyping = Date.now()
      void names.resolve(api, to).then(peer => { node.typing(peer) }).catch(() => {})
    })
  }

  const done = new Promise<void>((resolve, reject) => {
    // the node stopped by itself: its reason is the command's error (and exit code)
    void node.halted().then(async (reason) => {
      saidBye = true
      await stop()
      reject(reason)
    })
    process.once('SIGINT', () => { void stop().then(resolve) })
    process.once('SIGTERM', () => { void stop().then(resolve) })
    const report = (err: any): void => { print([paint('red', `error: ${describeError(err, (p) => names.of(p))}`)]) }
    let queue = Promise.resolve()
    rl.on('line', line => {
      active()
      if (closed) return
      let slow: string | undefined
      try {
        slow = slowCommand(line, conversation != null)
      } catch {}
      if (slow != null) {
        // beside the queue: the prompt stays free while it looks
        void runSlow(slow, line, ctx(), screen, print).catch(report)
        return
      }
      queue = queue.then(async () => {
        if (closed) return
        ownCommand++
        commandRunning = true
        try {
          await refreshNames()
          const out = await runLine(ctx(), line)
          if (out === QUIT) {
            await stop()
            resolve()
          } else {
            print(out.lines)
          }
        } catch (err: any) {
          report(err)
        } finally {
          commandRunning = false
          if (heldStateLines.length > 0) print(heldStateLines.splice(0))
          // the node's echoes of this command (its events) come after it returned
          setTimeout(() => { ownCommand-- }, 50)
        }
      })
    })
    // Ctrl-D on a terminal leaves; a piped stdin that ends keeps the node running
    rl.on('close', () => { if (tty) void stop().then(resolve) })
    // only now may readline read: what was typed before waited in its input
    screen.prompt()
    rl.resume()
  })
  await done
}

/** The progress label if `line` is a slow command. */
function slowCommand (line: string, open: boolean): string | undefined {
  const text = line.trim()
  if (!text.startsWith('/') || text.startsWith('//')) return undefined
  const [name, ...args] = text.slice(1).split(/\s+/)
  if (open && name === '') return undefined
  return SLOW[name]?.(args)
}

/** What the progress line calls whom a slow command looks for: the word typed, a full peer id shortened. */
const target = (word: string | undefined): string => /^(12D3KooW|Qm)\w{44}$/.test(word ?? '') ? shortId(word!) : safe(word ?? '')

const SLOW: Record<string, (args: string[]) => string> = {
  locate: (args) => `locating ${target(args[0])}`,
  fetch: (args) => `reading the presence of ${target(args[0])}`
}

let slowIds = 0

/** Runs a slow command with a line saying so, and (on a terminal) its elapsed time in the prompt. */
async function runSlow (label: string, line: string, ctx: Ctx, screen: Screen, print: (lines: string[]) => void): Promise<void> {
  const key = `slow:${++slowIds}`
  const started = Date.now()
  print([ctx.paint('dim', `${label}… (the prompt stays free meanwhile)`)])
  const tick = setInterval(() => { screen.indicate(key, `${label} ${Math.round((Date.now() - started) / 1000)} s`) }, 1000)
  tick.unref()
  try {
    const out = await runLine(ctx, line)
    if (out !== QUIT) print(out.lines)
  } finally {
    clearInterval(tick)
    screen.indicate(key, undefined)
  }
}

/**
 * Messages can arrive while the client was not listening (offline messages are
 * delivered as soon as the node is up): show every unread one once.
 */
export async function showBacklog (node: PresenceNode, names: Names, show: (m: ChatMessage) => void, showGroup: (m: GroupMessage, g: GroupInfo) => void, print: (lines: string[]) => void): Promise<void> {
  const unread = await node.unread()
  let header = false
  const heading = (): void => {
    if (!header) print(['unread (/history <name>, /open <name> or /group history <group> marks them read):'])
    header = true
  }
  for (const peer of Object.keys(unread)) {
    for (const m of await node.history(peer, Math.min(UNREAD_BACKLOG, unread[peer]))) {
      if (m.direction !== 'in' || m.state === 'read') continue
      heading()
      show(m)
    }
  }
  // a member that was offline caught up while the node started: what it missed shows here
  const groupUnread = await node.groupUnread()
  for (const [id, n] of Object.entries(groupUnread)) {
    let g: GroupInfo
    try {
      g = node.group(id)
    } catch {
      continue // gone meanwhile (left from another terminal)
    }
    for (const m of await node.groupUnreadMessages(id, Math.min(UNREAD_BACKLOG, n))) {
      heading()
      showGroup(m, g)
    }
  }
  const held = await node.requests()
  if (held.length > 0) print([`${held.length} held message(s) from people who are not your contacts: /requests`])
  const asking = node.contactRequests().incoming
  if (asking.length > 0) print([`${asking.length} contact request(s) waiting for you: /contacts (from ${asking.map(r => names.of(r.peerId)).join(', ')})`])
}

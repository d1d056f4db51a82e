/**
 * The chat client as a person uses it, through a pseudo-terminal: alice is
 * the CLI, bob (and carol) are nodes in this process that answer her.
 */
import net from 'node:net'
import path from 'node:path'
import fs from 'node:fs/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupHomes, startNode, tmpHome, waitFor } from '../helpers.js'
import { fakeNotifySend, here, pty as startPty } from './pty.js'
import type { Pty } from './pty.js'
import type { PresenceNode } from '../../node/presence-node.js'

afterAll(cleanupHomes)

const FAST = { retryBaseMs: 200, retryCapMs: 1_000 }
/** A colour escape (bold, dim, a foreground colour); interactive-pty.test.ts sees them without NO_COLOR. */
const COLOUR = /\u001b\[(?:1|2|3\d|90)m/
const CHAT = { retryBaseMs: 100, retryMaxMs: 500 }

/**
 * One test's nodes and terminals, stopped and killed when it ends. The tests
 * share nothing and run at once (describe.concurrent): most of each is
 * waiting for a node or a screen, so the file takes about as long as its
 * longest test, not the sum of them.
 */
interface Scene {
  nodes: PresenceNode[]
  pty: (args: string[], env?: Record<string, string>) => Pty
  peer: (name: string, bootstrap?: string[]) => Promise<PresenceNode>
  /** A relay for a test whose nodes must find each other's contact codes in a DHT (docs/operations.md). */
  relayAddress: () => Promise<string>
  /** Alice at a terminal and bob, contacts, each naming the other. */
  aliceWithBob: (args?: string[], env?: Record<string, string>, home?: string) => Promise<{ ui: Pty, bob: PresenceNode, alice: string, home: string, address: string }>
}

function scene (onTestFinished: (fn: () => Promise<void>) => void): Scene {
  const nodes: PresenceNode[] = []
  const ptys: Pty[] = []
  onTestFinished(async () => {
    for (const ui of ptys) ui.kill()
    await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  })
  const pty = (args: string[], env: Record<string, string> = {}): Pty => {
    const ui = startPty(args, env)
    ptys.push(ui)
    return ui
  }
  const peer = async (name: string, bootstrap: string[] = []): Promise<PresenceNode> => {
    const n = await startNode({ home: await tmpHome(name), presence: { ttlMs: 5_000 }, contacts: FAST, chat: CHAT, bootstrap })
    nodes.push(n)
    return n
  }
  const relayAddress = async (): Promise<string> => {
    const relay = await startNode({ relay: true })
    nodes.push(relay)
    return relay.addresses()[0]
  }
  const aliceWithBob: Scene['aliceWithBob'] = async (args = [], env = {}, home) => {
    const bob = await peer('bob', args.includes('--bootstrap') ? [args[args.indexOf('--bootstrap') + 1]] : [])
    home ??= await tmpHome('alice')
    const ui = pty(['start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--bootstrap', bob.addresses()[0], ...args], { NO_COLOR: '1', ...env })
    await ui.sees('type /help', 'the prompt', 60_000)
    // bob is not public: alice asks with his contact code (her node knows bob's address: its bootstrap)
    ui.send(`/request ${bob.contactCode()} hi bob\r`)
    await waitFor(() => bob.contactRequests().incoming.length === 1, 'bob to get the request', 60_000).catch((err: Error) => {
      // what alice's screen said (retries, errors) is what tells a lost keystroke from a lost request
      err.message += `\n--- alice's screen ended with ---\n${ui.screen().slice(-1500)}\n--- bob's requests: ${JSON.stringify(bob.contactRequests())}`
      throw err
    })
    const alice = bob.contactRequests().incoming[0].peerId
    await bob.accept(alice, 'alice')
    await ui.sees('accepted: you are contacts now', 'the accept on screen')
    const short = `…${bob.peerId.toString().slice(-8)}`
    ui.send(`/name ${short} bob\r`)
    await ui.sees('is now called bob', 'naming bob by his short id')
    await ui.sees(new RegExp(`(bob|${short}) came online`), 'bob online on alice\'s screen')
    const address = new RegExp(`(/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${alice})`).exec(ui.screen())![1]
    return { ui, bob, alice, home, address }
  }
  return { nodes, pty, peer, relayAddress, aliceWithBob }
}

/** Alice's contact code, as /code shows it on her screen. */
async function codeOf (ui: Pty): Promise<string> {
  const mark = ui.mark()
  ui.send('/code\r')
  await waitFor(() => /pmc1:\S+/.test(mark()), 'alice\'s code on her screen')
  return /pmc1:\S+/.exec(mark())![0]
}

const texts = async (n: PresenceNode, peer: string): Promise<string[]> => (await n.history(peer)).map(m => m.text)

describe.concurrent('a conversation at the terminal', () => {
  // one alice and bob for both (each pair costs a process and a node): the conversation, then the refusals
  it('/open: plain lines go to bob, //text too; bob typing shows in the prompt and goes with his message; what he says is read at once; a 100 KB paste is refused whole and at once; blank and oversized messages never leave', async ({ onTestFinished }) => {
    const { aliceWithBob } = scene(onTestFinished)
    const { ui, bob, alice } = await aliceWithBob()
    const typing: string[] = []
    bob.addEventListener('typing', (e) => { if (e.detail.typing) typing.push(e.detail.peer) })
    ui.send('/open bob\r')
    await ui.sees('talking to bob', '/open')
    await ui.sees('bob> ', 'the conversation in the prompt')
    const sent = ui.mark()
    ui.send('hello there\r')
    ui.send('//slash, not a command\r')
    await waitFor(async () => (await texts(bob, alice)).includes('/slash, not a command'), 'both lines to reach bob')
    expect(await texts(bob, alice)).toEqual(['hello there', '/slash, not a command'])
    // each message's line comes before what happened to it, however fast the receipt came back
    await waitFor(() => /"\/slash, not a command" delivered/.test(sent()), 'the second delivery shown')
    for (const text of ['hello there', '/slash, not a command']) {
      const echo = sent().indexOf(`→ bob: ${text}`)
      expect(echo).toBeGreaterThanOrEqual(0)
      expect(echo).toBeLessThan(sent().indexOf(`"${text}" delivered`))
    }

    // composing in the conversation told bob she was typing
    await waitFor(() => typing.includes(alice), 'bob to learn alice is typing')

    bob.typing(alice)
    await ui.sees('[bob is typing…] bob> ', 'the typing indicator in the prompt')
    const after = ui.mark()
    await bob.send(alice, 'done typing')
    await waitFor(() => /bob: done typing[\s\S]*bob> /.test(after()), 'the message, then the prompt again')
    expect(after().split('done typing')[1]).not.toContain('is typing')
    // the conversation is open: alice has read it, and bob is told
    await waitFor(async () => (await bob.history(alice)).find(m => m.text === 'done typing')?.state === 'read', 'the read receipt')
    ui.send('/close\r')
    await ui.sees('closed the conversation with bob', '/close')
    ui.send('plain words\r')
    await ui.sees('error: commands start with / (try /help); /open <name> to talk to someone', 'plain words without a conversation')

    const before = await texts(bob, alice)
    ui.send('/msg bob ')
    await ui.sees('> /msg bob ', 'the start of a line')
    ui.send('x'.repeat(100_000))
    await ui.sees(/error: that paste \([\d,]+ characters\) is longer than a message can be \(4,000 bytes\): nothing was inserted/, 'the paste refused')
    expect(ui.screen()).not.toContain('xxxx')
    ui.send('\r/msg bob    \r')
    await ui.sees('error: a message needs some text; usage: /msg <name> <text...>', 'a blank message refused')
    ui.send(`/msg bob ${'y'.repeat(4_100)}\r`)
    await ui.sees('error: a message holds at most 4,000 bytes of UTF-8; this one has 4,100', 'an oversized message refused')
    ui.send('/msg bob still here\r')
    await waitFor(async () => (await texts(bob, alice)).includes('still here'), 'the next message')
    expect(await texts(bob, alice)).toEqual([...before, 'still here'])

    // NO_COLOR (every terminal here has it): presence, messages, errors and all, not one colour
    expect(ui.raw()).not.toMatch(COLOUR)
    ui.send('/quit\r')
    expect(await ui.exit).toBe(0)
  })

  // one alice and bob for both (each pair costs a process and a node)
  it('rings and notifies the desktop for messages and requests, not for a muted person; nothing unsafe reaches notify-send; /locate and /fetch show their progress and never hold the prompt', async ({ onTestFinished }) => {
    const { aliceWithBob } = scene(onTestFinished)
    const notify = await fakeNotifySend(await tmpHome('bin'))
    const { ui, bob, alice } = await aliceWithBob([], { PATH: `${notify.path}:${process.env.PATH ?? ''}` })
    await bob.send(alice, 'ping\u001b[2J <b>bold</b>')
    await ui.sees('bob: ping\\x1b[2J <b>bold</b>', 'the message, escaped')
    expect(ui.raw()).toContain('\u0007')
    await waitFor(async () => (await notify.calls()).some(c => c === '--app-name=presence-mesh|--|bob|ping\\x1b[2J &lt;b&gt;bold&lt;/b&gt;|'), 'the desktop notification')
    ui.send('/mute bob\r')
    await ui.sees('bob is muted: no notifications', '/mute')
    const bells = ui.raw().split('\u0007').length
    const calls = (await notify.calls()).length
    await bob.send(alice, 'quietly')
    await ui.sees('bob: quietly', 'the muted message still shows')
    expect(ui.raw().split('\u0007').length).toBe(bells)
    expect((await notify.calls()).length).toBe(calls)
    ui.send('/unmute bob\r/notify off\r')
    await ui.sees('notifications are off', '/notify off')
    await bob.send(alice, 'no bell either')
    await ui.sees('bob: no bell either', 'the message')
    expect(ui.raw().split('\u0007').length).toBe(bells)

    const stranger = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
    const locating = ui.mark()
    ui.send(`/locate ${stranger} 3\r/who\r`)
    await ui.sees('locating …4kx6nXTN… (the prompt stays free meanwhile)', 'the progress line')
    await ui.sees('[locating …4kx6nXTN 1 s]> ', 'the time it takes, in the prompt')
    // /who answered while the lookup runs
    await waitFor(() => /bob +online/.test(locating()), '/who meanwhile')
    expect(locating()).not.toMatch(/not reachable from here[\s\S]*bob +online/)
    await ui.sees('error: locating …4kx6nXTN: no answer within 3 s (not online, or not reachable from here)', 'the lookup ends with a sentence', 15_000)
    ui.send(`/fetch ${stranger} 2\r`)
    await ui.sees('reading the presence of …4kx6nXTN… (the prompt stays free meanwhile)', 'the progress line of /fetch')
    await ui.sees(/…4kx6nXTN: no presence found|reading the presence of …4kx6nXTN: no answer within 2 s/, '/fetch ends with a sentence', 15_000)
    ui.send('/locate bob\r')
    await ui.sees(/bob found already connected in \d+ ms:\n {2}\/ip4\/127\.0\.0\.1\/tcp\/\d+/, '/locate of a contact')
    const listening = bob.addresses()[0].replace(/\/p2p\/.*/, '')
    expect(ui.screen()).toContain(`  ${listening}`)
  })
})

describe.concurrent('presence at the terminal', () => {
  it('goes away when idle and back on a key; changes from another terminal show; the state set by hand survives a restart', async ({ onTestFinished }) => {
    const { aliceWithBob, pty } = scene(onTestFinished)
    const { ui, bob, alice, home } = await aliceWithBob(['--auto-away', '3s'])
    await ui.sees(/you are away \(automatically: idle; back to online on your next key\)/, 'automatic away', 20_000)
    await waitFor(() => bob.presenceOf(alice)?.status === 'away', 'bob to see alice away')
    ui.send(' ')
    await ui.sees(/\] you are online\n/, 'back online on a key')
    await waitFor(() => bob.presenceOf(alice)?.status === 'online', 'bob to see alice back')
    // the CLI in this process (what `here` runs) loaded before: its status command lands within milliseconds of
    // this terminal's own last command, which must not hide it (a timed window after each command did, in the suite)
    await import('../../cli/program.js')
    ui.send('\u0015/autoaway off\r')
    await ui.sees('automatic away is off', '/autoaway off')

    const set = await here(['status', 'busy', 'in', 'a', 'meeting', '--home', home])
    expect(set.stdout.trim()).toBe('you are busy — in a meeting')
    await ui.sees(/\[\d\d:\d\d\] you are busy — in a meeting/, 'the status set elsewhere')
    expect((await here(['block', 'bob', '--home', home])).code).toBe(0)
    await ui.sees(/blocked bob \(from another terminal\)/, 'the block set elsewhere')
    expect((await here(['unblock', 'bob', '--home', home])).code).toBe(0)
    await ui.sees(/unblocked bob \(from another terminal\)/, 'the unblock set elsewhere')
    await waitFor(() => bob.presenceOf(alice)?.note === 'in a meeting', 'bob to see alice busy')
    // her own states, automatic and set, in NO_COLOR: no colour
    expect(ui.raw()).not.toMatch(COLOUR)

    ui.send('/quit\r')
    expect(await ui.exit).toBe(0)
    const again = pty(['start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--bootstrap', bob.addresses()[0]], { NO_COLOR: '1' })
    await again.sees('type /help', 'the prompt after a restart', 60_000)
    again.send('/status\r')
    await again.sees('you are busy — in a meeting', 'the manual state after a restart')
    await waitFor(() => bob.presenceOf(alice)?.status === 'busy', 'bob to see it too')
    again.send('\u0004') // Ctrl-D leaves like /quit
    expect(await again.exit).toBe(0)
  })
})

describe.concurrent('people at the terminal', () => {
  it('remove tells the other side; block drops for good; deny deletes what a requester sent; names are short ids until given', async ({ onTestFinished }) => {
    const { aliceWithBob, peer } = scene(onTestFinished)
    const { ui, bob, alice, address } = await aliceWithBob()
    // carol knows alice's address (her bootstrap entry) and asks with alice's code
    const carol = await peer('carol', [address])
    await carol.requestContact(await codeOf(ui), 'carol here \u202eevil')
    await carol.send(alice, 'buy my stuff')
    const carolShort = `…${carol.peerId.toString().slice(-8)}`
    await ui.sees(`${carolShort} asks to be your contact: "carol here \\u202eevil" — /accept ${carolShort} [name] or /deny ${carolShort}`, 'the request, escaped')
    await ui.sees(`${carolShort} (not a contact) sent you a message: /requests shows it`, 'a pointer to the held message')
    ui.send('/requests\r')
    await ui.sees(/\] …\w{8}: buy my stuff \(asks to be a contact: \/accept or \/deny\)/, '/requests')
    ui.send(`/deny ${carolShort}\r/requests\r`)
    await ui.sees('no held messages', 'the held message gone with the deny')

    ui.send('/block bob\r')
    await ui.sees(/blocked bob \(…\w{8}\): to them you look offline/, '/block')
    ui.send('/who\r')
    await ui.sees('nobody else watched; 1 blocked (/blocked)', '/who with someone blocked')
    await bob.send(alice, 'sent while blocked')
    ui.send('/unblock bob\r')
    await ui.sees('unblocked bob', '/unblock')
    await waitFor(async () => (await bob.history(alice)).find(m => m.text === 'sent while blocked')?.state === 'delivered', 'the blocked text acknowledged')
    await bob.send(alice, 'after the unblock')
    await ui.sees('bob: after the unblock', 'what bob sends after the unblock')
    expect(ui.screen()).not.toContain('sent while blocked')

    const removed: string[] = []
    bob.addEventListener('contact:removed', (e) => { removed.push(e.detail.peerId) })
    ui.send('/remove bob\r')
    await ui.sees('bob is no longer a contact; your history with them stays (/request bob to ask again)', '/remove')
    await waitFor(() => removed.includes(alice), 'bob to learn it')
    ui.send('/history bob\r')
    await ui.sees(/bob: after the unblock/, 'the history stays')
  })

  it('the other side removing alice shows; search, the outbox with cancel and read receipts work from the prompt', async ({ onTestFinished }) => {
    const { aliceWithBob, peer, relayAddress, nodes } = scene(onTestFinished)
    // alice will ask carol with her code: both find the codes' intake records in a relay's DHT
    const relay = await relayAddress()
    const { ui, bob, alice } = await aliceWithBob(['--bootstrap', relay])
    await bob.send(alice, 'Dinner at eight?')
    await ui.sees('bob: Dinner at eight?', 'the message')
    ui.send('/search DINNER\r')
    await ui.sees(/\] bob: Dinner at eight\?\n/, '/search')
    ui.send('/receipts off\r')
    await ui.sees('read receipts are off', '/receipts off')
    ui.send('/history bob\r')
    await ui.sees(/bob: Dinner at eight\?\n[\s\S]*bob: Dinner at eight\?/, '/history')
    expect((await bob.history(alice))[0].state).toBe('delivered')

    await bob.stop()
    nodes.splice(nodes.indexOf(bob), 1)
    ui.send('/msg bob wait for me\r/outbox\r')
    await ui.sees(/#1 \[\d\d:\d\d\] → bob: wait for me …/, '/outbox')
    ui.send('/outbox cancel 1\r')
    await ui.sees('took back your message to bob: "wait for me"', '/outbox cancel')
    ui.send('/outbox\r')
    await ui.sees('the outbox is empty: everything was delivered', 'the outbox empty again')

    const carol = await peer('carol', [relay])
    ui.send(`/request ${carol.contactCode()}\r`)
    await waitFor(() => carol.contactRequests().incoming.length === 1, 'carol to get the request', 60_000)
    await carol.accept(alice)
    await ui.sees(/…\w{8} accepted: you are contacts now/, 'carol accepts')
    await carol.removeContact(alice)
    await ui.sees(/…\w{8} removed you from their contacts: you no longer see each other/, 'carol removes alice')
  })
})

describe.concurrent('starting at the terminal', () => {
  it('a port in use, an address this machine lacks, a home that is a file: one line each, exit 4', async ({ onTestFinished }) => {
    const { pty } = scene(onTestFinished)
    const server = net.createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as net.AddressInfo).port
    const file = path.join(await tmpHome('file'), 'home')
    await fs.writeFile(file, '')
    try {
      // on a terminal once: all the person sees is the one line
      const busy = pty(['start', '--home', await tmpHome('busy'), '--listen', `/ip4/127.0.0.1/tcp/${port}`])
      expect(await busy.exit).toBe(4)
      expect(busy.screen().trim()).toBe(`error: cannot listen on /ip4/127.0.0.1/tcp/${port}: the port is in use (another program, or a node on another home); choose another port with --listen`)
      // the rest in this process (the same code; each fails before a node starts): one line on stderr, nothing on stdout
      const cases: Array<[string[], string]> = [
        [['--home', await tmpHome('busy'), '--listen', '/ip4/203.0.113.9/tcp/4791'], 'error: cannot listen on /ip4/203.0.113.9/tcp/4791: that address is not one of this machine\'s; use one it has, or /ip4/0.0.0.0 for all'],
        [['--home', await tmpHome('busy'), '--listen', '/ip4/127.0.0.1/udp/4791/quic-v1'], 'error: cannot listen on /ip4/127.0.0.1/udp/4791/quic-v1: only TCP addresses can be listened on, e.g. /ip4/0.0.0.0/tcp/4791'],
        [['--home', file, '--listen', '/ip4/127.0.0.1/tcp/0'], `error: ${file} is a file, not a directory: choose another --home`]
      ]
      for (const [args, said] of cases) {
        expect(await here(['start', ...args])).toEqual({ code: 4, stdout: '', stderr: `${said}\n` })
      }
    } finally {
      server.close()
    }
  })
})

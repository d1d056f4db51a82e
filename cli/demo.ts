/**
 * `npm run demo`: alice, bob and carol run real `presence-mesh start` processes
 * on this machine (temporary homes, loopback), typed at through their prompts;
 * alice also links her phone, a second device of hers: bob reaches her on both, and what she
 * sends from the phone shows on the laptop.
 * Every step waits until what it promises shows on someone's screen; the
 * transcript is what the three of them saw. Exits 0 when every step was
 * observed, 1 naming the step that was not.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import type { ChildProcess } from 'node:child_process'

// main.ts beside demo.ts run by tsx (npm run demo), main.js beside a compiled demo.js; the people's
// processes run the way this one does (process.execArgv: tsx's loader, or nothing)
const MAIN = path.resolve(import.meta.dirname, `main${path.extname(import.meta.filename)}`)
const STEP_TIMEOUT_MS = Number(process.env.DEMO_STEP_TIMEOUT_MS ?? 60_000)
const TTL_SECONDS = '6'

interface Person {
  name: string
  home: string
  child?: ChildProcess
  screen: string[]
  peerId?: string
  address?: string
}

const people: Person[] = []
const started = Date.now()

function show (who: string, line: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(5)
  process.stdout.write(`${t}s  ${who.padEnd(6)}│ ${line}\n`)
}

function narrate (text: string): void {
  process.stdout.write(`\n── ${text}\n`)
}

async function launch (p: Person, args: string[] = []): Promise<void> {
  const child = spawn(process.execPath, [...process.execArgv, MAIN, 'start', '--home', p.home, '--listen', '/ip4/127.0.0.1/tcp/0', '--ttl', TTL_SECONDS, '--no-mdns', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', DEBUG: '' }
  })
  p.child = child
  const mark = p.screen.length
  const onLine = (line: string): void => {
    p.screen.push(line)
    show(p.name, line)
  }
  readline.createInterface({ input: child.stdout! }).on('line', onLine)
  readline.createInterface({ input: child.stderr! }).on('line', l => { onLine(`(stderr) ${l}`) })
  await until(`${p.name}'s node to start`, () => p.screen.slice(mark).some(l => l.startsWith('type /help')))
  p.peerId = p.screen.slice(mark).find(l => l.startsWith('presence-mesh node '))!.split(' ')[2]
  p.address = p.screen.slice(mark).find(l => l.includes('/p2p/'))!.trim()
}

function type (p: Person, line: string): void {
  show(p.name, `> ${line}`)
  p.child!.stdin!.write(line + '\n')
}

async function until (step: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`step failed: ${step} (not seen within ${STEP_TIMEOUT_MS / 1000} s)`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** Waits until a line matching `re` appears on p's screen after position `from`. */
async function sees (p: Person, re: RegExp, step: string, from = 0): Promise<void> {
  await until(step, () => p.screen.slice(from).some(l => re.test(l)))
}

/** How a screen names a peer that has no name yet: its short peer id. */
function short (p: Person): string {
  return `…${p.peerId!.slice(-8)}`
}

/** `presence-mesh join <code>` into p's home: p becomes a device of whoever showed the code. */
async function join (p: Person, code: string): Promise<void> {
  show(p.name, `$ presence-mesh join ${code.slice(0, 24)}… --name ${p.name}`)
  const child = spawn(process.execPath, [...process.execArgv, MAIN, 'join', code, '--home', p.home, '--name', p.name], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', DEBUG: '' } })
  readline.createInterface({ input: child.stdout }).on('line', l => { show(p.name, l) })
  readline.createInterface({ input: child.stderr }).on('line', l => { show(p.name, `(stderr) ${l}`) })
  const code_ = await new Promise(resolve => child.once('exit', resolve))
  if (code_ !== 0) throw new Error(`step failed: ${p.name} joins with the link code (exit ${String(code_)})`)
}

/** Types `/who devices` at p every half second until a line after `from` matches `re`. */
async function whoUntil (p: Person, re: RegExp, step: string, from: number): Promise<void> {
  let asked = 0
  await until(step, () => {
    if (p.screen.slice(from).some(l => re.test(l))) return true
    if (Date.now() - asked > 500) { asked = Date.now(); type(p, '/who devices') }
    return false
  })
}

async function quit (p: Person): Promise<void> {
  const exited = new Promise(resolve => p.child!.once('exit', resolve))
  type(p, '/quit')
  await exited
}

async function main (): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'presence-mesh-demo-'))
  for (const name of ['alice', 'bob', 'carol', 'phone']) people.push({ name, home: path.join(root, name), screen: [] })
  const [alice, bob, carol, phone] = people
  try {
    narrate('alice, bob and carol start their nodes: no server, bob and carol only know alice\'s address')
    await launch(alice)
    await launch(bob, ['--bootstrap', alice.address!])
    await launch(carol, ['--bootstrap', alice.address!])

    narrate('alice gives bob and carol her contact code; they ask to be contacts and she accepts (nobody sees anyone\'s presence without consent, nobody reaches alice without her code)')
    type(alice, '/code')
    await sees(alice, /pmc1:/, 'alice shows her contact code')
    const code = alice.screen.map(l => /pmc1:\S+/.exec(l)?.[0]).find(c => c != null)!
    type(bob, `/name ${alice.peerId} alice`)
    type(carol, `/name ${alice.peerId} alice`)
    await sees(bob, /is now called alice/, 'bob names alice')
    await sees(carol, /is now called alice/, 'carol names alice')
    type(bob, `/request ${code} hi alice, it's bob`)
    type(carol, `/request ${code} hi alice, it's carol`)
    await sees(alice, new RegExp(`${short(bob)} asks to be your contact: "hi alice, it's bob"`), 'alice receives bob\'s contact request')
    await sees(alice, new RegExp(`${short(carol)} asks to be your contact: "hi alice, it's carol"`), 'alice receives carol\'s contact request')
    type(alice, `/accept ${short(bob)} bob`)
    type(alice, `/accept ${short(carol)} carol`)
    await sees(bob, /alice accepted/, 'bob learns alice accepted')
    await sees(carol, /alice accepted/, 'carol learns alice accepted')
    await sees(bob, /alice came online/, 'bob sees alice online')
    await sees(carol, /alice came online/, 'carol sees alice online')
    // a record may come before alice names them: then the screen says their short peer id
    const cameOnline = (p: Person): RegExp => new RegExp(`(${p.name}|${short(p)}) came online`)
    await until('alice sees bob and carol online', () => alice.screen.some(l => cameOnline(bob).test(l)) && alice.screen.some(l => cameOnline(carol).test(l)))

    narrate('alice links her phone: one person on two devices; her contacts take the phone as hers, with no new request')
    type(alice, '/link')
    await sees(alice, /pml1:/, 'alice shows a link code')
    const link = alice.screen.map(l => /pml1:\S+/.exec(l)?.[0]).find(c => c != null)!
    await join(phone, link)
    // the phone is told only the laptop's address: the laptop tells it where bob and carol are
    await launch(phone, ['--bootstrap', alice.address!])
    await sees(alice, /new device linked: phone/, 'alice\'s laptop sees the phone linked')
    let mark = bob.screen.length
    await whoUntil(bob, new RegExp(`^\\s+\\*?\\s*${short(phone)}\\s+online`), 'bob hears alice on her phone too', mark)
    await sees(bob, new RegExp(`^\\s+\\*?\\s*${short(alice)}\\s+online`), 'bob hears alice on her laptop', mark)

    narrate('bob writes to alice: it reaches her laptop and her phone; her answer from the phone shows on the laptop too')
    type(bob, '/msg alice hi, whichever device you are on')
    await sees(alice, /bob: hi, whichever device you are on/, 'alice\'s laptop receives bob\'s text', mark)
    await sees(phone, new RegExp(`(bob|${short(bob)}): hi, whichever device you are on`), 'alice\'s phone receives it too')
    type(phone, '/msg bob answering from my phone')
    await sees(bob, /alice: answering from my phone/, 'bob receives it as alice\'s', mark)
    await sees(alice, /→ bob: answering from my phone from your phone/, 'alice\'s laptop shows what she sent from the phone')

    narrate('alice puts her phone away: to bob she stays online (from the laptop), with no offline flap')
    mark = bob.screen.length
    await quit(phone)
    await whoUntil(bob, new RegExp(`^\\s+\\*?\\s*${short(phone)}\\s+(offline|gone|expired)`), 'bob sees the phone leave', mark)
    await sees(bob, /^\s+alice\s+online/, 'bob still sees alice online', mark)
    if (bob.screen.slice(mark).some(l => /alice went offline/.test(l))) throw new Error('step failed: alice flapped offline at bob when her phone stopped')

    narrate('bob goes to lunch; alice sees it at once')
    type(bob, '/status away out for lunch')
    await sees(alice, /bob is away — out for lunch/, 'alice sees bob away')

    narrate('alice and bob chat')
    type(alice, '/msg bob are we still on for tonight?')
    await sees(bob, /alice: are we still on for tonight\?/, 'bob receives alice\'s message')
    type(bob, '/msg alice yes, 8pm')
    await sees(alice, /bob: yes, 8pm/, 'alice receives bob\'s answer')

    narrate('bob quits; alice writes to him while he is offline')
    mark = alice.screen.length
    await quit(bob)
    await sees(alice, /bob went offline/, 'alice sees bob go offline', mark)
    type(alice, '/msg bob bring the tickets')
    await sees(alice, /→ bob: bring the tickets …/, 'alice\'s message waits in her outbox')

    narrate('bob comes back: the queued message arrives, once')
    mark = alice.screen.length
    const bobMark = bob.screen.length
    await launch(bob, ['--bootstrap', alice.address!])
    await sees(bob, /alice: bring the tickets/, 'bob receives the offline message', bobMark)
    await sees(alice, /→ bob: "bring the tickets" delivered/, 'alice sees it delivered', mark)

    narrate('alice starts a group with bob and carol; they accept; the three of them talk')
    type(alice, '/group create trip bob carol')
    await sees(bob, /alice invites you to #trip/, 'bob is invited to the group')
    await sees(carol, /alice invites you to #trip/, 'carol is invited to the group')
    type(bob, '/group accept trip')
    type(carol, '/group accept trip')
    await sees(alice, /#trip: bob joined/, 'alice sees bob join')
    await sees(alice, /#trip: carol joined/, 'alice sees carol join')
    type(bob, '/g trip who brings the snacks?')
    await sees(alice, /#trip bob: who brings the snacks\?/, 'alice reads bob in the group')
    await sees(carol, /#trip \S+: who brings the snacks\?/, 'carol reads bob in the group (bob is no contact of hers: she sees his id)')
    type(carol, '/g trip I will')
    await sees(alice, /#trip carol: I will/, 'alice reads carol in the group')
    await sees(bob, /#trip \S+: I will/, 'bob reads carol in the group')
    type(alice, '/group members trip')
    await sees(alice, /#trip \([0-9a-f]{8}\), 3 member\(s\)/, 'alice lists the three members')

    narrate('alice blocks carol: to carol, alice simply goes offline')
    mark = carol.screen.length
    type(alice, '/block carol')
    await sees(alice, /blocked carol .*: to them you look offline/, 'alice blocks carol')
    await sees(carol, /alice went offline/, 'carol sees alice offline', mark)
    type(carol, '/msg alice are you there?')
    await sees(carol, /→ alice: are you there\? …/, 'carol\'s message waits, as it would for an offline alice', mark)

    narrate('every step was observed')
  } finally {
    await Promise.all(people.map(async p => {
      if (p.child == null || p.child.exitCode != null || p.child.signalCode != null) return
      const exited = new Promise(resolve => p.child!.once('exit', resolve))
      p.child.kill('SIGTERM')
      const timer = setTimeout(() => p.child!.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }))
    await fs.rm(root, { recursive: true, force: true })
  }
}

try {
  await main()
  process.stdout.write('\ndemo passed\n')
} catch (err: any) {
  process.stdout.write(`\ndemo FAILED: ${err.message}\n`)
  process.exitCode = 1
}

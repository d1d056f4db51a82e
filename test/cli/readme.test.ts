/**
 * The README's two-person walkthrough is real output: its commands are run
 * (Bob and Alice get the identities whose peer ids the README shows), its
 * `> ` lines are typed at their prompts, and every other line of a sample
 * must then appear on that person's screen. Times, ports and the secret of
 * a contact code are the only things allowed to differ (a code typed is the
 * one its owner's screen showed).
 */
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { generateKeyPairFromSeed, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { afterAll, afterEach, expect, it } from 'vitest'
import { cleanupHomes, tmpHome, waitFor } from '../helpers.js'
import { killPtys, pty } from './pty.js'
import type { Pty } from './pty.js'

afterAll(cleanupHomes)
afterEach(killPtys)

const README = path.resolve(import.meta.dirname, '../../README.md')
/** The seeds of the README's identities. */
const SEEDS: Record<string, number> = { alice: 0xa1, bob: 0xb0 }

interface Block { kind: 'run' | 'sample', who: string, lines: string[] }

/** `<!-- run: bob -->` or `<!-- sample: bob -->`, then an indented block. */
function blocks (markdown: string): Block[] {
  const out: Block[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^<!-- (run|sample): (\w+) -->$/.exec(lines[i])
    if (m == null) continue
    const body: string[] = []
    for (let j = i + 1; j < lines.length && lines[j].startsWith('    '); j++) body.push(lines[j].slice(4))
    out.push({ kind: m[1] as Block['kind'], who: m[2], lines: body })
  }
  return out
}

/** A contact code: its peer id, then a secret made at the first start. */
const CODE = /(pmc1:\w+:)[a-z2-7]+/g

/** What may differ between the README and a run: the time, the ports, a contact code's secret. */
const normalize = (s: string): string => s.replace(/\[\d\d:\d\d\]/g, '[hh:mm]').replace(/\/tcp\/\d+/g, '/tcp/PORT').replace(CODE, '$1SECRET')

/** A line as typed in this run: the README's contact codes become the ones the screens showed. */
function typedNow (line: string, screens: Pty[]): string {
  return line.replace(CODE, (readme, head: string) => screens.flatMap(ui => [...ui.screen().matchAll(CODE)].map(m => m[0])).find(c => c.startsWith(head)) ?? readme)
}

/** A typed line: the prompt (`> `, or `bob> ` in a conversation) and what is typed. */
const TYPED = /^(?:\w+)?> (.*)$/

async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise(resolve => server.close(resolve))
  return port
}

it('the README walkthrough is what two people see', async () => {
  const all = blocks(await fs.readFile(README, 'utf8'))
  expect(all.filter(b => b.kind === 'run').map(b => b.who)).toEqual(['bob', 'alice'])
  expect(all.filter(b => b.kind === 'sample').length).toBeGreaterThan(8)

  const homes: Record<string, string> = {}
  const ports: Record<string, number> = {}
  for (const who of Object.keys(SEEDS)) {
    homes[who] = await tmpHome(who)
    const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(SEEDS[who]))
    await fs.writeFile(path.join(homes[who], 'identity.key'), privateKeyToProtobuf(key), { mode: 0o600 })
  }
  const screens: Record<string, Pty> = {}
  /** Where in each screen the current step began. */
  const marks: Record<string, () => string> = {}

  for (const block of all) {
    const { who } = block
    if (block.kind === 'run') {
      const [command] = block.lines
      // `npm start -- <options>` runs `presence-mesh start <options>`
      expect(command.startsWith('npm start -- ')).toBe(true)
      const args = ['start', ...command.slice('npm start -- '.length).split(/\s+/)]
      ports[who] = await freePort()
      // the README's home and ports are this run's: /tmp/<who>, 4801 for bob, 4802 for alice
      const fixed = args.map(a => a === `/tmp/${who}` ? homes[who] : a
        .replace(/\/tcp\/4801/, `/tcp/${ports.bob}`)
        .replace(/\/tcp\/4802/, `/tcp/${ports.alice ?? 0}`))
      screens[who] = pty(fixed, { NO_COLOR: '1' })
      marks[who] = screens[who].mark()
      continue
    }
    const ui = screens[who]
    let expected: string[] = []
    /** Every expected line since the last typed one is on the screen, in any order. */
    const seen = async (): Promise<void> => {
      const want = expected.map(normalize)
      try {
        // generous: a node's start in a pty on a loaded machine has taken more than 30 s
        await waitFor(() => { const shown = normalize(marks[who]()); return want.every(l => shown.includes(l)) }, `${who} to see ${JSON.stringify(expected)}`, 60_000)
      } catch (err: any) {
        err.message += `\n--- ${who}'s screen since the last step ---\n${marks[who]()}`
        throw err
      }
      expected = []
    }
    for (const line of block.lines) {
      const typed = TYPED.exec(line)
      if (typed == null) {
        expected.push(line)
        continue
      }
      await seen()
      marks[who] = ui.mark()
      ui.send(`${typedNow(typed[1], Object.values(screens))}\r`)
      // the echo of what was typed is part of what the person sees
      expected.push(line)
    }
    await seen()
    marks[who] = ui.mark()
  }
  for (const ui of Object.values(screens)) ui.send('/quit\r')
  expect(await screens.alice.exit).toBe(0)
}, 240_000)

/** The prompt's screen with a real readline on fake streams: nothing typed early is lost. */
import readline from 'node:readline'
import { PassThrough } from 'node:stream'
import { setImmediate as tick } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { Screen } from '../../cli/terminal.js'

function terminal (): { input: PassThrough, rl: readline.Interface, screen: Screen, lines: string[], shown: () => string } {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} })
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80 })
  let text = ''
  output.on('data', (d: Buffer) => { text += d.toString() })
  const rl = readline.createInterface({ input, output, terminal: true, prompt: '> ' })
  rl.pause()
  const lines: string[] = []
  const screen = new Screen(rl, output as any, true, s => s)
  return { input, rl, screen, lines, shown: () => text }
}

describe('the screen before the prompt is shown', () => {
  it('printing does not let readline read: a line typed during start-up waits for the session', async () => {
    const { input, rl, screen, lines, shown } = terminal()
    screen.print(['presence-mesh node …', 'type /help for commands'])
    screen.setConversation('bob')
    input.write('/request pmc1:abc hi bob\r')
    for (let i = 0; i < 5; i++) await tick()
    // nobody listens for lines yet: had readline read them, this one would be gone
    expect(shown()).toContain('type /help for commands')
    expect(shown()).not.toContain('/request')
    rl.on('line', line => { lines.push(line) })
    screen.prompt()
    rl.resume()
    for (let i = 0; i < 5; i++) await tick()
    expect(lines).toEqual(['/request pmc1:abc hi bob'])
    rl.close()
  })

  it('redraws the prompt under printed lines once it is shown', async () => {
    const { rl, screen, shown } = terminal()
    screen.prompt()
    screen.print(['bob came online'])
    await tick()
    expect(shown()).toMatch(/bob came online\n\S*> \S*$/)
    rl.close()
  })
})

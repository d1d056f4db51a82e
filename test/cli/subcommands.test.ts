/**
 * Every prompt command is also a subcommand with --json: each one runs here
 * through the control socket of a running node, as the subcommand does,
 * and its JSON reads back; a few run as real processes.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { remoteNode } from '../../cli/api.js'
import { runCommand } from '../../cli/command.js'
import { COMMANDS } from '../../cli/commands.js'
import { Names } from '../../cli/names.js'
import { safeJson } from '../../cli/safe-text.js'
import { painter } from '../../cli/style.js'
import { joinDevice } from '../../node/join-device.js'
import { cleanupHomes, startNode, tmpHome, waitFor } from '../helpers.js'
import { cli, here } from './pty.js'
import type { Ctx } from '../../cli/command.js'
import type { PresenceNode } from '../../node/presence-node.js'

afterAll(cleanupHomes)

const FAST = { retryBaseMs: 200, retryCapMs: 1_000 }

describe('every command as a subcommand', () => {
  it('is registered on the command line with --json', async () => {
    const help = (await here(['--help'])).stdout
    for (const c of COMMANDS.filter(c => c.promptOnly !== true)) expect(help).toMatch(new RegExp(`^ {2}${c.name} `, 'm'))
    const sub = (await here(['history', '--help'])).stdout
    expect(sub).toContain('--json')
    expect(sub).toContain('--home <dir>')
  })

  it('runs against the running node and prints JSON that reads back', async () => {
    const nodes: PresenceNode[] = []
    // the mesh meets at a relay (docs/operations.md): its DHT holds the intake records of the codes
    const relay = await startNode({ relay: true })
    nodes.push(relay)
    const start = async (): Promise<PresenceNode> => {
      const n = await startNode({ contacts: FAST, bootstrap: [relay.addresses()[0]] })
      nodes.push(n)
      return n
    }
    try {
      const alice = await start()
      const [bob, carol, dave, eve, frank] = await Promise.all([start(), start(), start(), start(), start()])
      // nodes that are not public are reached with their contact codes
      await alice.requestContact(bob.contactCode(), 'hi', 'bob')
      await waitFor(() => bob.contactRequests().incoming.length === 1, 'bob to get the request', 60_000)
      await bob.accept(alice.peerId.toString(), 'alice')
      await waitFor(() => alice.contacts().length === 1, 'the contact')
      await eve.requestContact(alice.contactCode())
      await frank.requestContact(alice.contactCode())
      await waitFor(() => alice.contactRequests().incoming.length === 2, 'two requests waiting', 60_000)
      await bob.send(alice.peerId, 'hi alice')
      await waitFor(async () => (await alice.history(bob.peerId)).length === 1, 'a message')

      const node = remoteNode(alice.home)
      const id = (n: PresenceNode): string => n.peerId.toString()
      const examples: Record<string, string[]> = {
        status: ['away', 'out', 'for', 'lunch'],
        autoaway: ['15m'],
        who: [],
        watch: [id(carol), 'carol'],
        unwatch: ['carol'],
        fetch: ['bob', '2'],
        visibility: ['contacts'],
        view: ['bob', 'status'],
        contacts: [],
        request: [id(dave), 'hello', 'dave'],
        code: [],
        accept: [id(eve), 'eve'],
        deny: [id(frank)],
        cancel: [id(dave)],
        name: [id(bob), 'bobby'],
        mute: ['bobby'],
        unmute: ['bobby'],
        msg: ['bobby', 'see', 'you'],
        send: ['bobby', 'at', 'eight'],
        history: ['bobby', '5'],
        requests: [],
        search: ['eight'],
        outbox: [],
        receipts: ['off'],
        group: ['create', 'trip', 'bobby'],
        groups: [],
        g: ['trip', 'hello', 'all'],
        locate: ['bobby', '5'],
        connections: [],
        id: [],
        watchers: [],
        categories: [],
        set: ['card', 'name="Alice', 'Anders"'],
        publish: ['card', 'close'],
        container: ['bobby', 'close'],
        rule: ['bobby', 'card', 'deny'],
        sees: ['bobby'],
        show: ['bobby'],
        query: ['bobby', 'note', '5'],
        clear: ['card'],
        block: ['eve'],
        blocked: [],
        unblock: ['eve'],
        remove: ['bobby'],
        link: [],
        devices: [],
        revoke: ['phone']
      }
      // a second device of alice's, for /devices and /revoke
      await joinDevice((await alice.linkCode()).code, { home: await tmpHome('sub-phone'), name: 'phone' })
      const subcommands = COMMANDS.filter(c => c.promptOnly !== true)
      expect(subcommands.map(c => c.name).sort()).toEqual(Object.keys(examples).sort())
      const data: Record<string, unknown> = {}
      for (const name of Object.keys(examples)) {
        const spec = subcommands.find(c => c.name === name)!
        const ctx: Ctx = { node, names: await Names.load(node), paint: painter(false), now: Date.now(), self: id(alice) }
        const words = examples[name]
        const out = await runCommand(spec, ctx, { args: words, rest: words.join(' ') }, false)
        expect(out.lines.length, name).toBeGreaterThan(0)
        data[name] = JSON.parse(safeJson(out.data))
      }
      expect(data.status).toMatchObject({ status: 'away', note: 'out for lunch', auto: false })
      expect(data.contacts).toMatchObject({ contacts: [{ peerId: id(bob), name: 'bob', muted: false }] })
      expect(data.history).toMatchObject([{ text: 'hi alice' }, { text: 'see you' }, { text: 'at eight' }])
      expect(data.search).toMatchObject([{ text: 'at eight' }])
      expect(data.locate).toMatchObject({ peerId: id(bob) })
      expect(data.receipts).toEqual({ readReceipts: false })
      // alice's phone (linked above) is invited too: her devices share her groups
      expect(data.group).toMatchObject({ name: 'trip', standing: 'member', role: 'admin', invited: expect.arrayContaining([{ peerId: id(bob), by: id(alice) }]) })
      expect(data.groups).toMatchObject({ groups: [{ name: 'trip' }], invitations: [] })
      expect(data.g).toMatchObject({ text: 'hello all', direction: 'out', author: id(alice) })
      expect(data.code).toEqual({ code: alice.contactCode() })
      expect(data.remove).toEqual({ peerId: id(bob), name: 'bobby' })
      expect(data.set).toMatchObject({ kind: 'card', displayName: 'Alice Anders' })
      expect(data.container).toEqual({ peerId: id(bob), container: 'close' })
      // bob was given the status-only view above: he sees the state and nothing else
      expect(data.sees).toMatchObject({ sees: true, containers: [] })
      expect(data.clear).toEqual({ cleared: true })
      expect(data.link).toMatchObject({ code: expect.stringMatching(/^pml1:/) })
      expect(data.devices).toMatchObject({ person: id(alice), holdsPersonKey: true, devices: [{ self: true }, { name: 'phone', online: false }] })
      expect(data.revoke).toMatchObject({ name: 'phone' })
      expect(alice.devices().devices).toHaveLength(1)
      expect(alice.contacts().map(c => c.peerId)).toEqual([id(eve)])

      // the same through the command line (commander's arguments and --json); once as a real process
      const real = await cli(['status', 'dnd', '--json', '--home', alice.home])
      expect(JSON.parse(real.stdout)).toMatchObject({ status: 'dnd' })
      const run = async (...args: string[]): Promise<any> => {
        const r = await here([...args, '--json', '--home', alice.home])
        expect(r.stderr).toBe('')
        expect(r.code).toBe(0)
        return JSON.parse(r.stdout)
      }
      expect(await run('status', 'busy', 'in', 'a', 'meeting')).toMatchObject({ status: 'busy', note: 'in a meeting' })
      expect(await run('msg', 'eve', 'hello  there')).toMatchObject({ text: 'hello  there', direction: 'out' })
      expect((await run('history', 'eve', '1'))[0]).toMatchObject({ text: 'hello  there' })
    } finally {
      await Promise.all(nodes.map(async n => { await n.stop() }))
    }
  })
})

#!/usr/bin/env node
import {
  callNode, checkBootstrap, checkMultiaddrs, DEFAULT_LISTEN, DEFAULT_XMPP_DOMAIN, identityOf, loadConfig, MAX_PRESENCE_TTL_MS, MIN_PRESENCE_TTL_MS,
  parseXmppAddress, peerLocalpart, readRuntime, resolveHome, xmppPassword
} from '../node/index.js'
import { Command, CommanderError, InvalidArgumentError } from 'commander'
import { describeError, isExpected } from './errors.js'
import { contactsTable, label, whoTable } from './format.js'
import { runInteractive } from './interactive.js'
import type { ContactsSnapshot } from './format.js'
import type { PresenceView } from '../node/index.js'

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

const addressArg = (check: typeof checkMultiaddrs) => (value: string, previous: string[] = []): string[] => {
  try {
    return collect(check([value], 'address')[0], previous)
  } catch (err: any) {
    throw new InvalidArgumentError(err.message)
  }
}

function ttlArg (value: string): number {
  const ms = Number(value) * 1000
  if (!Number.isFinite(ms) || ms < MIN_PRESENCE_TTL_MS || ms > MAX_PRESENCE_TTL_MS) {
    throw new InvalidArgumentError(`must be seconds between ${MIN_PRESENCE_TTL_MS / 1000} and ${MAX_PRESENCE_TTL_MS / 1000}`)
  }
  return ms
}

/** --xmpp with no value: the default address. */
function xmppArg (value: string): string {
  try {
    parseXmppAddress(value)
    return value
  } catch (err: any) {
    throw new InvalidArgumentError(err.message)
  }
}

function positiveInt (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number')
  return n
}

interface StartFlags {
  listen?: string[]
  bootstrap?: string[]
  ttl?: number
  relay?: boolean
  dhtClient?: boolean
  mdns?: boolean
  maxConnections?: number
  xmpp?: string | true
}

const program = new Command('presence-mesh')
  .description('serverless presence and instant messaging on libp2p')
  .option('--home <dir>', 'node home directory (default $PRESENCE_MESH_HOME or ~/.presence-mesh)')
  .showSuggestionAfterError(true)
  .exitOverride()
  .configureOutput({ writeErr: (s) => { process.stderr.write(s) } })

const homeOf = (cmd: Command): string => resolveHome(cmd.optsWithGlobals().home as string | undefined)

program.command('init')
  .description('create the home directory and identity key')
  .action(async (_opts, cmd: Command) => {
    const home = homeOf(cmd)
    const { peerId: id, created } = await identityOf(home)
    console.log(created ? `created identity ${id} in ${home}` : `${home} already holds identity ${id}`)
  })

program.command('id')
  .description('print the peer id and addresses')
  .option('--json', 'print {"peerId", "addresses"} as JSON')
  .action(async (opts: { json?: boolean }, cmd: Command) => {
    const home = homeOf(cmd)
    const { peerId } = await identityOf(home)
    const running = await readRuntime(home)
    const addresses = running?.addresses ??
      ((await loadConfig(home)).listen ?? DEFAULT_LISTEN).map(a => `${a}/p2p/${peerId}`)
    if (opts.json === true) console.log(JSON.stringify({ peerId, addresses }))
    else {
      console.log([`peer id: ${peerId}`, `${running != null ? 'listening on' : 'will listen on'}:`, ...addresses.map(a => `  ${a}`),
        `in XMPP clients of other nodes: ${peerLocalpart(peerId)}@${DEFAULT_XMPP_DOMAIN}`].join('\n'))
    }
  })

program.command('start')
  .description('run the node in the foreground with an interactive prompt')
  .option('--listen <multiaddr>', 'listen address (repeatable)', addressArg(checkMultiaddrs))
  .option('--bootstrap <multiaddr>', 'bootstrap peer address with /p2p/<id> (repeatable)', addressArg(checkBootstrap))
  .option('--ttl <seconds>', 'lifetime of each presence record (re-announced at a third of it)', ttlArg)
  .option('--relay', 'serve as a circuit relay for peers behind NAT (for reachable nodes)')
  .option('--dht-client', 'use the DHT without serving it (for nodes that are rarely up)')
  .option('--no-mdns', 'do not look for peers on the LAN (or PRESENCE_MESH_MDNS=off)')
  .option('--max-connections <n>', 'connection cap (public bootstrap/relay nodes raise it)', positiveInt)
  .option('--xmpp [host:port]', 'serve your XMPP client (default 127.0.0.1:5222; other addresses need TLS)', xmppArg)
  .action(async (opts: StartFlags, cmd: Command) => {
    await runInteractive({
      home: homeOf(cmd),
      listen: opts.listen,
      bootstrap: opts.bootstrap,
      presence: opts.ttl != null ? { ttlMs: opts.ttl } : undefined,
      relay: opts.relay,
      dhtClientMode: opts.dhtClient,
      // commander sets mdns true unless --no-mdns: leave the default (and the environment) alone then
      mdns: opts.mdns === false ? false : undefined,
      maxConnections: opts.maxConnections,
      xmpp: opts.xmpp == null ? undefined : { listen: opts.xmpp === true ? undefined : opts.xmpp }
    })
  })

program.command('xmpp-password')
  .description('print the password of your XMPP account (me@localhost), made on first use')
  .option('--rotate', 'replace it with a new one (logins from then on need the new one)')
  .action(async (opts: { rotate?: boolean }, cmd: Command) => {
    const { password, file, rotated } = await xmppPassword(homeOf(cmd), { rotate: opts.rotate })
    console.log(password)
    if (rotated) process.stderr.write(`new password saved in ${file}\n`)
  })

program.command('status')
  .description('show or set the running node\'s presence')
  .argument('[status]', 'online, away, busy, dnd or offline')
  .argument('[note...]', 'a note (quote it or not)')
  .action(async (status: string | undefined, note: string[], _opts, cmd: Command) => {
    const self = await callNode<{ status: string, note?: string }>(homeOf(cmd), 'status', status, note.length > 0 ? note.join(' ') : undefined)
    console.log(`you are ${self.status}${self.note != null ? ` — ${self.note}` : ''}`)
  })

program.command('send')
  .description('send a message through the running node (kept and retried until delivered)')
  .argument('<to>', 'alias or peer id')
  .argument('<text...>', 'the message')
  .action(async (to: string, text: string[], _opts, cmd: Command) => {
    const { id } = await callNode<{ id: string }>(homeOf(cmd), 'send', to, text.join(' '))
    console.log(`queued ${id}`)
  })

program.command('contacts')
  .description('the running node\'s contacts and pending requests')
  .option('--json', 'print them as JSON')
  .action(async (opts: { json?: boolean }, cmd: Command) => {
    const snap = await callNode<ContactsSnapshot>(homeOf(cmd), 'contacts')
    const names = new Map(snap.contacts.map(c => [c.peerId, c.alias]))
    console.log(opts.json === true ? JSON.stringify(snap) : contactsTable(snap, p => label({ peerId: p, alias: names.get(p) })).join('\n'))
  })

for (const [verb, help] of [['block', 'block a peer: to them you look offline, their messages are dropped'], ['unblock', 'undo a block']] as const) {
  program.command(verb)
    .description(help)
    .argument('<peer>', 'alias or peer id')
    .action(async (peer: string, _opts, cmd: Command) => {
      const done = await callNode<Record<string, string>>(homeOf(cmd), verb, peer)
      console.log(`${verb}ed ${done[`${verb}ed`]}`)
    })
}

program.command('who')
  .description('list watched presentities of the running node')
  .option('--json', 'print the list as JSON')
  .option('--pidf <name>', 'print what the node sees of one presentity as a PIDF document (RFC 3863, RFC 4480)')
  .action(async (opts: { json?: boolean, pidf?: string }, cmd: Command) => {
    if (opts.pidf != null) {
      process.stdout.write(await callNode<string>(homeOf(cmd), 'pidf', opts.pidf))
      return
    }
    const views = await callNode<PresenceView[]>(homeOf(cmd), 'who')
    console.log(opts.json === true ? JSON.stringify(views) : whoTable(views))
  })

try {
  await program.parseAsync(process.argv)
} catch (err: any) {
  if (err instanceof CommanderError) {
    // commander already printed its one-line message
    process.exitCode = err.exitCode === 0 ? 0 : 2
  } else {
    process.stderr.write(`presence-mesh: ${isExpected(err) || process.env.DEBUG == null || process.env.DEBUG === '' ? describeError(err) : err.stack}\n`)
    process.exitCode = 1
  }
}

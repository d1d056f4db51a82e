/**
 * The presence-mesh command line: init, id, start (the node with a prompt),
 * every prompt command as a subcommand against the running node (with
 * --json), and export, backup and restore. Errors are one line `error: …`
 * on stderr with the exit codes of cli/errors.ts. cli/main.ts runs it;
 * tests run it in their own process.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
// the light entry: a one-shot command talks to the running node and loads no node of its own; `start`,
// `join`, `xmpp-password` and the data commands import what they run when they run (node/client.ts)
import {
  callNode, checkBootstrap, checkMultiaddrs, DEFAULT_AWAY_AFTER_MS, DEFAULT_LISTEN, DEFAULT_XMPP_DOMAIN, identityOf, loadConfig, MAX_PRESENCE_TTL_MS,
  MIN_PRESENCE_TTL_MS, parseXmppAddress, peerLocalpart, readRuntime, resolveHome
} from '../node/client.js'
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { remoteNode } from './api.js'
import type { Secrets } from './cmd-data.js'
import { parseDuration } from './cmd-presence.js'
import { runCommand } from './command.js'
import { COMMANDS } from './commands.js'
import { describeError, EXIT, exitCodeOf, isExpected } from './errors.js'
import { duration, shortId } from './format.js'
import { Names } from './names.js'
import { safe, safeJson, safeXml } from './safe-text.js'
import { colourEnabled, painter } from './style.js'
import type { CommandSpec } from './command.js'

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

function positiveInt (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number')
  return n
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

function awayArg (value: string): number | null {
  try {
    return parseDuration(value)
  } catch (err: any) {
    throw new InvalidArgumentError(err.message)
  }
}

/** The package's version, from its package.json (two levels up when built, one from the sources). */
function version (): string {
  for (const up of ['..', '../..']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, up, 'package.json'), 'utf8'))
      if (pkg.name === 'presence-mesh') return String(pkg.version)
    } catch {}
  }
  return 'unknown'
}

interface StartFlags {
  listen?: string[]
  bootstrap?: string[]
  ttl: number
  relay?: boolean
  dhtClient?: boolean
  mdns?: boolean
  maxConnections: number
  autoAway?: number | null
  notify: boolean
  xmpp?: string | true
}

const DEFAULT_HOME = '$PRESENCE_MESH_HOME, else ~/.presence-mesh'

const homeOf = (cmd: Command): string => resolveHome(cmd.optsWithGlobals().home as string | undefined)
const paint = painter(colourEnabled(process.stdout))

/** A progress line on stderr while something slow runs (only on a terminal). Returns its end. */
function progress (label: string): () => void {
  if (process.stderr.isTTY !== true) return () => {}
  const started = Date.now()
  const draw = (): void => { process.stderr.write(`\r${label}… ${Math.round((Date.now() - started) / 1000)} s\u001b[K`) }
  draw()
  const tick = setInterval(draw, 1000)
  return () => {
    clearInterval(tick)
    process.stderr.write('\r\u001b[K')
  }
}

/** What to share of a listen address: a wildcard becomes this machine's own addresses. */
function shareable (listen: string, peerId: string): string[] {
  const m = /^\/(ip4|ip6)\/(0\.0\.0\.0|::)(\/.*)$/.exec(listen)
  if (m == null) return [`${listen}/p2p/${peerId}`]
  const family = m[1] === 'ip4' ? 'IPv4' : 'IPv6'
  const all = Object.values(os.networkInterfaces()).flat().filter(i => i != null && i.family === family && !(family === 'IPv6' && i.address.startsWith('fe80')))
  // the addresses others can reach first; loopback only on a machine without any
  const outside = all.filter(i => i?.internal === false)
  return (outside.length > 0 ? outside : all).map(i => `/${m[1]}/${i!.address}${m[3]}/p2p/${peerId}`)
}

/** `<name> <text...>` as commander arguments. */
function argumentsOf (spec: CommandSpec): Argument[] {
  return (spec.args ?? '').split(' ').filter(w => w !== '').map(w => new Argument(w.replace(/\|/g, '/')))
}

/** Where the command line writes (the process's streams, or a test's), and where passphrases come from. */
export interface Io {
  out: (text: string) => void
  err: (text: string) => void
  secrets?: Secrets
}

const processIo: Io = { out: (t) => { process.stdout.write(t) }, err: (t) => { process.stderr.write(t) } }

/** Runs `presence-mesh` with `argv` (as process.argv: node, script, args…); resolves with the exit code. */
export async function runCli (argv: string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io)
  try {
    await program.parseAsync(argv)
    return EXIT.ok
  } catch (err: any) {
    if (err instanceof CommanderError) {
      // commander already printed its one line (or the help, or the version)
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage
    }
    const debug = process.env.DEBUG != null && process.env.DEBUG !== ''
    io.err(`error: ${!isExpected(err) && debug ? safe(String(err?.stack ?? err)) : describeError(err)}\n`)
    return exitCodeOf(err)
  }
}

function buildProgram (io: Io): Command {
  const say = (text: string): void => { io.out(text + '\n') }

  const program = new Command('presence-mesh')
    .description('serverless presence and instant messaging on libp2p')
    .version(version(), '-V, --version', 'print the version')
    .option('--home <dir>', `node home directory (default: ${DEFAULT_HOME})`)
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride()
    // commander's own errors ("error: unknown option …"), on one line like ours
    .configureOutput({ writeOut: (t) => { io.out(t) }, writeErr: (t) => { io.err(t.replace(/\n\(Did you mean/g, ' (did you mean').replace(/\n(?!$)/g, ' ')) } })
    .addHelpText('after', `
Commands from status to connections are the prompt's commands: they talk to the node running on the
same home (start it with: presence-mesh start). --json prints their result as JSON.
Exit codes: 0 done, 1 the command failed, 2 wrong usage, 3 no node running on this home,
4 the node could not start, 5 the node stopped: another node is running with this identity.`)

  program.command('init')
    .description('create the home directory and identity key')
    .action(async (_opts, cmd: Command) => {
      const home = homeOf(cmd)
      const { peerId: id, created } = await identityOf(home)
      say(created ? `created identity ${id} in ${home}` : `${home} already holds identity ${id}`)
    })

  program.command('id')
    .description('print your peer id and the addresses to share')
    .option('--json', 'print {"peerId", "addresses"}')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd)
      const { peerId } = await identityOf(home)
      const running = await readRuntime(home)
      const addresses = running?.addresses ?? ((await loadConfig(home)).listen ?? DEFAULT_LISTEN).flatMap(a => shareable(a, peerId))
      if (opts.json === true) say(safeJson({ peerId, addresses }))
      else {
        say([`peer id: ${peerId} (${shortId(peerId)})`, `${running != null ? 'listening on' : 'addresses once started'}:`, ...addresses.map(a => `  ${safe(a)}`),
          `in XMPP clients of other nodes: ${peerLocalpart(peerId)}@${DEFAULT_XMPP_DOMAIN}`].join('\n'))
      }
    })

  program.command('start')
    .description('run the node in the foreground with an interactive prompt')
    .option('--listen <multiaddr>', `listen address, repeatable (default: config.json, else ${DEFAULT_LISTEN.join(' ')})`, addressArg(checkMultiaddrs))
    .option('--bootstrap <multiaddr>', 'a peer to join through, with /p2p/<id>; repeatable (also config.json, PRESENCE_MESH_BOOTSTRAP)', addressArg(checkBootstrap))
    .addOption(new Option('--ttl <seconds>', 'lifetime of each presence record, re-announced at a third of it').argParser(ttlArg).default(60_000, '60'))
    .option('--auto-away <duration>', `show as away after this long without a key pressed (e.g. 10m, off; stored) (default: the stored setting, else ${duration(DEFAULT_AWAY_AFTER_MS)})`, awayArg)
    .option('--no-notify', 'no bell or desktop notification for messages and requests')
    .option('--relay', 'serve as a circuit relay for peers behind NAT (for reachable nodes)')
    .option('--dht-client', 'use the DHT without serving it (for nodes that are rarely up)')
    .option('--no-mdns', 'do not look for peers on the LAN (or PRESENCE_MESH_MDNS=off)')
    .option('--max-connections <n>', 'connection cap (public bootstrap/relay nodes raise it)', positiveInt, 64)
    .option('--xmpp [host:port]', 'serve your XMPP client (default 127.0.0.1:5222; other addresses need TLS)', xmppArg)
    .action(async (opts: StartFlags, cmd: Command) => {
      const { runInteractive } = await import('./interactive.js')
      await runInteractive({
        home: homeOf(cmd),
        listen: opts.listen,
        bootstrap: opts.bootstrap,
        presence: { ttlMs: opts.ttl },
        relay: opts.relay,
        dhtClientMode: opts.dhtClient,
        // commander sets mdns true unless --no-mdns: leave the default (and the environment) alone then
        mdns: opts.mdns === false ? false : undefined,
        maxConnections: opts.maxConnections,
        xmpp: opts.xmpp == null ? undefined : { listen: opts.xmpp === true ? undefined : opts.xmpp }
      }, { notify: opts.notify, awayAfterMs: opts.autoAway })
    })

  program.command('join')
    .description('make this home a new device of yours, with a link code from /link on a device you have (the node must not be running)')
    .argument('<code>', 'the link code (pml1:…)')
    .option('--name <name>', 'what this device is called (default: the host name)')
    .action(async (code: string, opts: { name?: string }, cmd: Command) => {
      const home = homeOf(cmd)
      const done = progress('linking')
      // the progress line goes before anything is said, or the first line is written over it
      const { joinDevice } = await import('../node/index.js')
      const joined = await joinDevice(code, { home, name: opts.name ?? deviceName() }).finally(done)
      say([`this device (${shortId(joined.device)}) is now a device of ${shortId(joined.person)}, with:`,
        ...joined.devices.map(d => `  ${safe(d.name)} ${shortId(d.peerId)}${d.peerId === joined.device ? ' (this one)' : ''}`),
        `start it: presence-mesh start --home ${home}`].join('\n'))
    })

  program.command('xmpp-password')
    .description('print the password of your XMPP account (me@localhost), made on first use')
    .option('--rotate', 'replace it with a new one (logins from then on need the new one)')
    .action(async (opts: { rotate?: boolean }, cmd: Command) => {
      const { xmppPassword } = await import('../node/index.js')
      const { password, file, rotated } = await xmppPassword(homeOf(cmd), { rotate: opts.rotate })
      say(password)
      if (rotated) io.err(`new password saved in ${file}\n`)
    })

  // `id` above also works without a running node; every other command goes to the node
  for (const spec of COMMANDS.filter(c => c.promptOnly !== true && !program.commands.some(p => p.name() === c.name))) {
    const sub = program.command(spec.name).description(spec.help).option('--json', 'print the result as JSON')
    if (spec.name === 'who') sub.option('--pidf <name>', 'print what the node sees of one presentity as a PIDF document (RFC 3863, RFC 4480)')
    for (const a of argumentsOf(spec)) sub.addArgument(a)
    sub.action(async (...params: unknown[]) => {
      const cmd = params[params.length - 1] as Command
      const opts = cmd.opts<{ json?: boolean, pidf?: string }>()
      const words = params.slice(0, -2).flatMap(v => v == null ? [] : Array.isArray(v) ? v.map(String) : [String(v)])
      const home = homeOf(cmd)
      if (opts.pidf != null) {
        // an XML document: what it quotes of others goes out as character references
        io.out(safeXml(await callNode<string>(home, 'pidf', opts.pidf)))
        return
      }
      const node = remoteNode(home)
      const names = await Names.load(node)
      const { peerId: self } = await callNode<{ peerId: string }>(home, 'id')
      const done = spec.slow != null ? progress(safe(spec.slow({ args: words, rest: words.join(' ') }))) : () => {}
      const out = await runCommand(spec, { node, names, paint, now: Date.now(), self }, { args: words, rest: words.join(' ') }, false).finally(done)
      say(opts.json === true ? safeJson(out.data) : out.lines.join('\n'))
    })
  }

  program.command('export')
    .description('write the history of one conversation (or all) as text or JSON; works with or without the node running')
    .argument('[name]', 'one person (default: every conversation)')
    .option('--json', 'JSON instead of dated text lines')
    .option('-o, --out <file>', 'write to a new file (mode 600) instead of standard output')
    .option('--force', 'overwrite the file')
    .action(async (who: string | undefined, opts: { json?: boolean, out?: string, force?: boolean }, cmd: Command) => {
      const { exportHistory } = await import('./cmd-data.js')
      const { text, said } = await exportHistory(homeOf(cmd), who, opts)
      if (text != null) io.out(text)
      if (said != null) say(said)
    })

  program.command('backup')
    .description('write an encrypted backup of your identity and contacts (asks for a passphrase; piped: the first line of input)')
    .argument('<file>', 'the backup file to create')
    .option('--force', 'overwrite the file')
    .action(async (file: string, opts: { force?: boolean }, cmd: Command) => {
      const { backup } = await import('./cmd-data.js')
      say(await backup(homeOf(cmd), file, opts.force === true, progress, io.secrets))
    })

  program.command('restore')
    .description('restore identity and contacts from a backup into the home (the node must not be running)')
    .argument('<file>', 'a file written by presence-mesh backup')
    .action(async (file: string, _opts, cmd: Command) => {
      const { restore } = await import('./cmd-data.js')
      say(await restore(homeOf(cmd), file, progress, io.secrets))
    })

  return program
}

/** The host name as a device name (at most 32 characters, one line), else "new device". */
function deviceName (): string {
  const host = os.hostname().slice(0, 32).trim()
  return host !== '' && !/[\u0000-\u001f\u007f-\u009f]/u.test(host) ? host : 'new device'
}

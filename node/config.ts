/**
 * Optional per-home settings (home/config.json). Command-line flags override them.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { ConfigError } from './errors.js'

export const CONFIG_FILE = 'config.json'
export const DEFAULT_PORT = 4791
export const DEFAULT_LISTEN = [`/ip4/0.0.0.0/tcp/${DEFAULT_PORT}`]
export const BOOTSTRAP_ENV = 'PRESENCE_MESH_BOOTSTRAP'
/** Visibility of a home that has none set yet (public|contacts|invisible); default contacts. */
export const VISIBILITY_ENV = 'PRESENCE_MESH_VISIBILITY'
/** `PRESENCE_MESH_MDNS=off` (or 0, false, no) turns mDNS off, like --no-mdns; test runs set it for every child. */
export const MDNS_ENV = 'PRESENCE_MESH_MDNS'

export interface NodeConfig {
  listen?: string[]
  bootstrap?: string[]
  /** The XMPP endpoint (docs/xmpp.md); present: it runs. */
  xmpp?: XmppConfig
}

/** `"xmpp": {"listen": "host:port", "domain": "…", "cert": "cert.pem", "key": "key.pem", "requireTls": true}` */
export interface XmppConfig {
  listen?: string
  domain?: string
  /** PEM files of a certificate to present (paths relative to the home), both or neither. */
  tls?: { cert: string, key: string }
  requireTls?: boolean
}

export async function loadConfig (home: string): Promise<NodeConfig> {
  const file = path.join(home, CONFIG_FILE)
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') return {}
    throw new ConfigError(file, `cannot read it (${err.code ?? err.message})`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err: any) {
    throw new ConfigError(file, `not valid JSON (${err.message})`)
  }
  if (typeof json !== 'object' || json == null || Array.isArray(json)) throw new ConfigError(file, 'must hold a JSON object')
  const cfg = json as Record<string, unknown>
  return {
    listen: cfg.listen == null ? undefined : checkMultiaddrs(cfg.listen, `${file}: listen`),
    bootstrap: cfg.bootstrap == null ? undefined : checkBootstrap(cfg.bootstrap, `${file}: bootstrap`),
    xmpp: cfg.xmpp == null ? undefined : checkXmppConfig(cfg.xmpp, `${file}: xmpp`, home)
  }
}

function checkXmppConfig (value: unknown, what: string, home: string): XmppConfig {
  if (typeof value !== 'object' || value == null || Array.isArray(value)) throw new ConfigError(what, 'must be an object')
  const v = value as Record<string, unknown>
  const text = (key: string): string | undefined => {
    if (v[key] == null) return undefined
    if (typeof v[key] !== 'string' || v[key] === '') throw new ConfigError(`${what}.${key}`, 'must be text')
    return v[key]
  }
  for (const key of Object.keys(v)) {
    if (!['listen', 'domain', 'cert', 'key', 'requireTls'].includes(key)) throw new ConfigError(`${what}.${key}`, 'is not a setting (listen, domain, cert, key, requireTls)')
  }
  const cert = text('cert')
  const key = text('key')
  if ((cert == null) !== (key == null)) throw new ConfigError(what, 'cert and key go together')
  if (v.requireTls != null && typeof v.requireTls !== 'boolean') throw new ConfigError(`${what}.requireTls`, 'must be true or false')
  return {
    listen: text('listen'),
    domain: text('domain'),
    tls: cert != null && key != null ? { cert: path.resolve(home, cert), key: path.resolve(home, key) } : undefined,
    requireTls: v.requireTls as boolean | undefined
  }
}

/** Validates a list of multiaddr strings, naming the first bad one. */
export function checkMultiaddrs (value: unknown, what: string): string[] {
  if (!Array.isArray(value)) throw new ConfigError(what, 'must be a list of multiaddrs')
  return value.map(v => {
    if (typeof v !== 'string') throw new ConfigError(what, `${JSON.stringify(v)} is not a multiaddr`)
    try {
      multiaddr(v)
    } catch {
      throw new ConfigError(what, `${v} is not a valid multiaddr`)
    }
    return v
  })
}

/** Bootstrap addresses must name the peer they reach (…/p2p/<peer id>). */
export function checkBootstrap (value: unknown, what: string): string[] {
  return checkMultiaddrs(value, what).map(a => {
    if (multiaddr(a).getComponents().find(c => c.name === 'p2p') == null) {
      throw new ConfigError(what, `${a} lacks /p2p/<peer id>`)
    }
    return a
  })
}

/** Bootstrap addresses from the environment: comma or whitespace separated. */
export function bootstrapFromEnv (env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env[BOOTSTRAP_ENV]
  if (raw == null || raw.trim() === '') return []
  return checkBootstrap(raw.split(/[\s,]+/).filter(s => s !== ''), BOOTSTRAP_ENV)
}

/** The first-run visibility from the environment, if set. Once the user picks one, it is stored and wins. */
export function visibilityFromEnv (env: NodeJS.ProcessEnv = process.env): 'public' | 'contacts' | 'invisible' | undefined {
  const raw = env[VISIBILITY_ENV]
  if (raw == null || raw.trim() === '') return undefined
  const v = raw.trim()
  if (v !== 'public' && v !== 'contacts' && v !== 'invisible') throw new ConfigError(VISIBILITY_ENV, `must be public, contacts or invisible, not ${v}`)
  return v
}

/** false when the environment turns mDNS off; undefined leaves the default. */
export function mdnsFromEnv (env: NodeJS.ProcessEnv = process.env): false | undefined {
  const raw = env[MDNS_ENV]?.trim().toLowerCase()
  if (raw == null || raw === '') return undefined
  if (['off', '0', 'false', 'no'].includes(raw)) return false
  if (['on', '1', 'true', 'yes'].includes(raw)) return undefined
  throw new ConfigError(MDNS_ENV, `must be on or off, not ${env[MDNS_ENV] ?? ''}`)
}

/** The members of `o` that are set (a caller's options laid over config.json's). */
export function definedOnly<T extends object> (o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

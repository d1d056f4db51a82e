/**
 * The XMPP endpoint: a TCP listener for the owner's clients. Loopback by
 * default; on any other address logging in requires TLS first. Connections
 * are capped (in all, and not yet logged in), so a flood of them cannot
 * starve the owner or the node.
 */
import net from 'node:net'
import path from 'node:path'
import { formatAddress, isLoopback, parseXmppAddress } from './address.js'
import { ClientAcks } from './client-acks.js'
import { PrivateStorage } from './private-storage.js'
import { RoomNames } from './room-names.js'
import { C2sConnection } from './connection.js'
import { CLOSE_GRACE_MS, DEFAULT_XMPP_DOMAIN, MAX_CONNECTIONS, MAX_UNAUTHENTICATED, NEGOTIATION_TIMEOUT_MS, OWNER_USERNAME, PRIVATE_FILE, ROOMS_FILE, STATE_FILE } from './constants.js'
import { ensurePassword, passwordFile, readPassword } from './credentials.js'
import { XmppListenError } from './errors.js'
import { XmppHub } from './hub.js'
import { JidMapper } from './jid.js'
import { ScramKeyCache } from './sasl.js'
import { NS } from './stanzas.js'
import type { TlsMaterial } from './certificate.js'
import type { XmppInfo, XmppServer, XmppServerComponents, XmppServerInit } from './index.js'
import type { XmppAddress } from './address.js'
import type { SaslAccount } from './sasl.js'
import type { Logger } from '@libp2p/interface'

export class XmppEndpoint implements XmppServer {
  private readonly log: Logger
  private readonly address: XmppAddress
  private readonly domain: string
  private readonly requireTls: boolean
  private readonly maxConnections: number
  private readonly connections = new Set<C2sConnection>()
  private readonly scramCache = new ScramKeyCache()
  private readonly jids: JidMapper
  private server?: net.Server
  private hub?: XmppHub
  /** What the endpoint keeps in the home: made here, read at start, written as they change. */
  private readonly acks: ClientAcks
  private readonly privateStorage: PrivateStorage
  private readonly roomNames: RoomNames
  private tls?: TlsMaterial
  private bound?: XmppAddress

  constructor (private readonly components: XmppServerComponents, private readonly init: XmppServerInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:xmpp')
    this.address = parseXmppAddress(init.listen)
    this.domain = (init.domain ?? DEFAULT_XMPP_DOMAIN).toLowerCase()
    // TLS can be demanded on loopback too, never waived elsewhere
    this.requireTls = !isLoopback(this.address.host) || init.requireTls === true
    this.maxConnections = init.maxConnections ?? MAX_CONNECTIONS
    this.acks = new ClientAcks(path.join(components.home, STATE_FILE), this.log)
    this.privateStorage = new PrivateStorage(path.join(components.home, PRIVATE_FILE), this.log)
    this.roomNames = new RoomNames(path.join(components.home, ROOMS_FILE), this.log)
    this.jids = new JidMapper(this.domain, OWNER_USERNAME, this.roomNames)
  }

  async start (): Promise<void> {
    const { home, node } = this.components
    await ensurePassword(home)
    // loaded here, not with the node: its X.509 and ASN.1 libraries are a tenth of a node's start, and most nodes serve no XMPP
    const { loadTlsMaterial } = await import('./certificate.js')
    this.tls = await loadTlsMaterial(home, this.domain, this.address.host, this.init.tls)
    await Promise.all([this.acks.load(), this.privateStorage.load(), this.roomNames.load()])
    this.hub = new XmppHub(node, this.jids, this.log, { acks: this.acks, privateStorage: this.privateStorage, roomNames: this.roomNames })
    this.hub.start()
    const server = net.createServer({ noDelay: true }, (socket) => { this.accept(socket) })
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(this.address.port, this.address.host, () => { server.off('error', reject); resolve() })
      })
    } catch (err: any) {
      this.hub.stop()
      throw new XmppListenError(formatAddress(this.address), err.code ?? err.message)
    }
    server.on('error', (err) => { this.log.error('listener error - %e', err) })
    const bound = server.address() as net.AddressInfo
    this.bound = { host: this.address.host, port: bound.port }
    this.server = server
    this.log('serving %s on %s', this.jids.ownerBare, formatAddress(this.bound))
  }

  async stop (): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server == null) return
    const closed = new Promise<void>(resolve => { server.close(() => { resolve() }) })
    this.hub?.stop()
    for (const conn of this.connections) conn.close('system-shutdown', 'the node is stopping')
    await Promise.race([
      Promise.all([...this.connections].map(async c => { await c.done })),
      new Promise(resolve => setTimeout(resolve, CLOSE_GRACE_MS * 2).unref?.())
    ])
    await closed
    await Promise.all([this.acks.flush(), this.privateStorage.flush(), this.roomNames.flush()])
  }

  info (): XmppInfo {
    const tls = this.tls
    return {
      address: formatAddress(this.bound ?? this.address),
      jid: this.jids.ownerBare,
      domain: this.domain,
      tlsRequired: this.requireTls,
      fingerprint: tls?.fingerprint,
      fingerprintSha1: tls?.fingerprintSha1,
      certFile: tls?.certFile,
      passwordFile: passwordFile(this.components.home),
      clients: this.hub?.sessions.all().map(s => s.session.resource) ?? []
    }
  }

  private accept (socket: net.Socket): void {
    socket.on('error', () => {})
    const unauthenticated = [...this.connections].filter(c => !c.authenticated && !c.closing)
    // a full house of slow talkers makes room: the one waiting longest goes (a real client logs in within milliseconds)
    if (unauthenticated.length >= MAX_UNAUTHENTICATED) unauthenticated[0].close('resource-constraint', 'too many connections not logged in')
    if (this.connections.size >= this.maxConnections + (unauthenticated.length >= MAX_UNAUTHENTICATED ? 1 : 0)) {
      this.log('refusing a connection: %d open', this.connections.size)
      socket.end(`<?xml version='1.0'?><stream:stream xmlns='${NS.client}' xmlns:stream='${NS.stream}' version='1.0'>` +
        `<stream:error><resource-constraint xmlns='${NS.streams}'/></stream:error></stream:stream>`)
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref?.()
      return
    }
    const home = this.components.home
    const account: SaslAccount = {
      username: OWNER_USERNAME,
      jid: this.jids.ownerBare,
      // read at every login: a rotated password counts at once
      password: async () => await readPassword(home) ?? await ensurePassword(home)
    }
    const conn = new C2sConnection(socket, {
      domain: this.domain,
      account,
      scramCache: this.scramCache,
      secureContext: this.tls?.secureContext,
      requireTls: this.requireTls,
      plainAllowed: isLoopback(socket.localAddress ?? '') && isLoopback(socket.remoteAddress ?? ''),
      host: this.hub!,
      log: this.log,
      negotiationTimeoutMs: this.init.negotiationTimeoutMs ?? NEGOTIATION_TIMEOUT_MS,
      onClose: (c) => { this.connections.delete(c) }
    })
    this.connections.add(conn)
  }
}

/**
 * One client connection (RFC 6120): the stream header, STARTTLS, SASL,
 * resource binding, then the owner's stanzas handed to the session host one
 * at a time. Every way a client can misbehave (bad XML, oversize stanzas,
 * stanzas before authentication, dawdling, not reading) ends this
 * connection with a stream error and nothing else.
 */
import { randomBytes } from 'node:crypto'
import tls from 'node:tls'
import { escapeXML, xml } from '@xmpp/xml'
import { sleep } from '../util/wait.js'
import {
  AUTH_FAILURE_DELAY_MS, CLOSE_GRACE_MS, IDLE_TIMEOUT_MS, MAX_AUTH_FAILURES, MAX_PREAUTH_STANZA_BYTES,
  MAX_STANZA_BYTES, MAX_WRITE_BUFFER_BYTES
} from './constants.js'
import { plain, scramSha1 } from './sasl.js'
import { errorReply, iqResult, NS, safeText } from './stanzas.js'
import { XmlStreamReader } from './xml-stream.js'
import type { SaslAccount, SaslMechanism, SaslStep, ScramKeyCache } from './sasl.js'
import type { StreamErrorCondition } from './xml-stream.js'
import type { Logger } from '@libp2p/interface'
import type { Element } from '@xmpp/xml'
import type net from 'node:net'

/** A bound resource of the owner, as the session host sees it. */
export interface OwnerSession {
  readonly resource: string
  readonly fullJid: string
  readonly secure: boolean
  send: (el: Element) => void
  /** Ends the stream with a stream error (conflict when replaced, system-shutdown on stop). */
  close: (condition: StreamErrorCondition, text?: string) => void
}

/** What a connection hands its bound resource to. */
export interface SessionHost {
  /** Binds a resource (the one asked for if it is usable) and returns it. */
  bind: (session: OwnerSession, requested: string | undefined) => string
  stanza: (session: OwnerSession, el: Element) => Promise<void>
  unbind: (session: OwnerSession) => void
}

export interface ConnectionOptions {
  domain: string
  account: SaslAccount
  scramCache: ScramKeyCache
  /** STARTTLS is offered when present. */
  secureContext?: tls.SecureContext
  /** No authentication before TLS. */
  requireTls: boolean
  /** PLAIN is offered (loopback only). */
  plainAllowed: boolean
  host: SessionHost
  log: Logger
  /** From TCP connect to a bound resource. */
  negotiationTimeoutMs: number
  onClose: (conn: C2sConnection) => void
}

/** Stanzas waiting to be handled before the connection stops reading. */
const MAX_QUEUED = 64

export class C2sConnection implements OwnerSession {
  resource = ''
  fullJid = ''
  secure = false
  authenticated = false
  private socket: net.Socket
  private reader!: XmlStreamReader
  private generation = 0
  private headerSent = false
  private bound = false
  private mechanism?: SaslMechanism
  private authFailures = 0
  private ending = false
  private closed = false
  private queue = Promise.resolve()
  private queued = 0
  private upgrading = false
  private readonly abort = new AbortController()
  private readonly closedPromise: { promise: Promise<void>, resolve: () => void }
  private readonly negotiationTimer: ReturnType<typeof setTimeout>
  private readonly onData = (chunk: Buffer): void => { this.reader.write(chunk) }

  constructor (socket: net.Socket, private readonly opts: ConnectionOptions) {
    let resolve = (): void => {}
    this.closedPromise = { promise: new Promise<void>(r => { resolve = r }), resolve }
    this.socket = socket
    socket.setNoDelay(true)
    this.attach(socket)
    this.newStream()
    this.negotiationTimer = setTimeout(() => { this.close('connection-timeout', `log in within ${opts.negotiationTimeoutMs / 1000} seconds`) }, opts.negotiationTimeoutMs)
    this.negotiationTimer.unref?.()
  }

  /** Its stream is ending (or ended): it no longer counts against the limits. */
  get closing (): boolean {
    return this.ending || this.closed
  }

  /** Resolves once the socket closed. */
  get done (): Promise<void> {
    return this.closedPromise.promise
  }

  send (el: Element): void {
    this.write(el.toString())
  }

  close (condition: StreamErrorCondition, text?: string): void {
    if (this.ending || this.closed) return
    this.opts.log('closing stream: %s %s', condition, text ?? '')
    const error = xml('stream:error', {}, xml(condition, { xmlns: NS.streams }), text != null ? xml('text', { xmlns: NS.streams }, safeText(text)) : null)
    this.end(error.toString())
  }

  private attach (socket: net.Socket): void {
    socket.on('data', this.onData)
    socket.on('error', (err) => { this.opts.log('connection error - %e', err) })
    socket.once('close', () => { this.onSocketClose() })
  }

  private detach (socket: net.Socket): void {
    socket.removeListener('data', this.onData)
    socket.removeAllListeners('close')
  }

  private newStream (): void {
    const gen = ++this.generation
    this.reader?.stop()
    this.headerSent = false
    const current = (): boolean => gen === this.generation && !this.ending
    this.reader = new XmlStreamReader({
      open: (root) => { if (current()) this.onOpen(root) },
      stanza: (el) => { if (current()) this.enqueue(el, gen) },
      close: () => { if (current()) this.end() },
      error: (condition, text) => { if (current()) this.close(condition, text) }
    }, { maxStanzaBytes: this.authenticated ? MAX_STANZA_BYTES : MAX_PREAUTH_STANZA_BYTES })
  }

  private sendHeader (): void {
    if (this.headerSent) return
    this.headerSent = true
    const id = randomBytes(12).toString('hex')
    this.write(`<?xml version='1.0'?><stream:stream xmlns='${NS.client}' xmlns:stream='${NS.stream}' id='${id}' from='${escapeXML(this.opts.domain)}' version='1.0' xml:lang='en'>`)
  }

  private onOpen (root: Element): void {
    // a stream error needs our header first (RFC 6120 §4.9.1.2), so it always goes out
    this.sendHeader()
    if (root.getName() !== 'stream' || root.getNS() !== NS.stream) return this.close('invalid-namespace', 'not an XMPP stream')
    if (root.attrs.xmlns !== NS.client) return this.close('invalid-namespace', 'this is a client-to-server port (jabber:client)')
    if ((root.attrs.to ?? '').toLowerCase() !== this.opts.domain) return this.close('host-unknown', `this node serves ${this.opts.domain}; your account is ${this.opts.account.jid}`)
    if (!/^1\.\d+$/.test(root.attrs.version ?? '')) return this.close('unsupported-version', 'XMPP 1.0 streams only')
    this.send(this.features())
  }

  private features (): Element {
    const features = xml('stream:features')
    if (this.authenticated) {
      features.append(xml('bind', { xmlns: NS.bind }))
      features.append(xml('session', { xmlns: NS.session }, xml('optional')))
      return features
    }
    const { secureContext, requireTls, plainAllowed } = this.opts
    if (secureContext != null && !this.secure) features.append(xml('starttls', { xmlns: NS.tls }, requireTls ? xml('required') : null))
    if (requireTls && !this.secure) return features
    features.append(xml('mechanisms', { xmlns: NS.sasl },
      xml('mechanism', {}, 'SCRAM-SHA-1'),
      plainAllowed ? xml('mechanism', {}, 'PLAIN') : null))
    return features
  }

  private enqueue (el: Element, gen: number): void {
    this.queued++
    if (this.queued >= MAX_QUEUED) this.socket.pause()
    this.queue = this.queue
      .then(async () => {
        if (gen === this.generation && !this.ending && !this.closed) await this.handle(el)
      })
      .catch((err) => {
        this.opts.log.error('stanza handling failed - %e', err)
        if (el.is('iq') && (el.attrs.type === 'get' || el.attrs.type === 'set')) this.send(errorReply(el, 'wait', 'internal-server-error'))
      })
      .finally(() => {
        if (--this.queued === 0 && !this.closed && !this.upgrading) this.socket.resume()
      })
  }

  private async handle (el: Element): Promise<void> {
    if (!this.authenticated) {
      if (el.is('starttls', NS.tls)) return this.startTls()
      if (el.getNS() === NS.sasl) return await this.onSasl(el)
      return this.close('not-authorized', 'log in first')
    }
    const ns = el.getNS()
    if (ns !== NS.client || !['iq', 'message', 'presence'].includes(el.name)) return this.close('unsupported-stanza-type', `<${el.name}> is not a stanza`)
    if (el.name === 'iq' && el.attrs.type === 'set' && el.getChild('bind', NS.bind) != null) return this.bind(el)
    if (el.name === 'iq' && el.attrs.type === 'set' && el.getChild('session', NS.session) != null) return this.send(iqResult(el, undefined))
    if (!this.bound) return this.close('not-authorized', 'bind a resource first')
    // the server says who sent it (RFC 6120 §8.1.2.1)
    el.attrs.from = this.fullJid
    await this.opts.host.stanza(this, el)
  }

  private startTls (): void {
    const { secureContext } = this.opts
    if (secureContext == null || this.secure) {
      this.end(xml('failure', { xmlns: NS.tls }).toString())
      return
    }
    // nothing the client sent after <starttls/> counts, not even stanzas already
    // parsed and queued from the same read (CVE-2011-0411): a new generation drops them
    this.generation++
    this.reader.stop()
    this.upgrading = true
    const raw = this.socket
    this.detach(raw)
    raw.pause()
    raw.write(xml('proceed', { xmlns: NS.tls }).toString(), () => {
      if (this.ending || this.closed) return
      const secured = new tls.TLSSocket(raw, { isServer: true, secureContext })
      this.socket = secured
      this.attach(secured)
      secured.once('secure', () => {
        this.secure = true
        this.upgrading = false
        this.newStream()
      })
    })
    raw.once('close', () => { if (this.socket === raw) this.onSocketClose() })
  }

  private async onSasl (el: Element): Promise<void> {
    if (el.name === 'abort') {
      this.mechanism = undefined
      return this.saslFailure({ kind: 'failure', condition: 'aborted' })
    }
    if (el.name === 'auth') {
      if (this.opts.requireTls && !this.secure) return this.saslFailure({ kind: 'failure', condition: 'encryption-required' })
      const name = el.attrs.mechanism
      this.mechanism = name === 'SCRAM-SHA-1'
        ? scramSha1(this.opts.account, this.opts.scramCache)
        : name === 'PLAIN' && this.opts.plainAllowed ? plain(this.opts.account) : undefined
      if (this.mechanism == null) return this.saslFailure({ kind: 'failure', condition: 'invalid-mechanism' })
      // no initial response: ask for it with an empty challenge
      if (el.text() === '') return this.send(xml('challenge', { xmlns: NS.sasl }))
    } else if (el.name !== 'response' || this.mechanism == null) {
      return this.saslFailure({ kind: 'failure', condition: 'malformed-request', text: `unexpected <${el.name}>` })
    }
    const input = decodeBase64(el.text())
    if (input == null) {
      this.mechanism = undefined
      return this.saslFailure({ kind: 'failure', condition: 'malformed-request', text: 'not base64' })
    }
    let step: SaslStep
    try {
      step = await this.mechanism.step(input)
    } catch (err: any) {
      // the password file cannot be read, say: the owner has to fix something, the client may retry
      this.opts.log.error('authentication failed - %e', err)
      step = { kind: 'failure', condition: 'temporary-auth-failure' }
    }
    if (this.ending || this.closed) return
    if (step.kind === 'challenge') return this.send(xml('challenge', { xmlns: NS.sasl }, step.data.toString('base64')))
    this.mechanism = undefined
    if (step.kind === 'failure') return await this.saslFailure(step)
    this.send(xml('success', { xmlns: NS.sasl }, step.data?.toString('base64')))
    this.authenticated = true
    this.opts.log('client authenticated')
    // the client restarts the stream (RFC 6120 §6.4.6)
    this.newStream()
  }

  private async saslFailure (step: SaslStep & { kind: 'failure' }): Promise<void> {
    if (step.condition === 'not-authorized') {
      this.authFailures++
      await sleep(AUTH_FAILURE_DELAY_MS, { signal: this.abort.signal })
      if (this.ending || this.closed) return
    }
    this.send(xml('failure', { xmlns: NS.sasl }, xml(step.condition), step.text != null ? xml('text', {}, step.text) : null))
    if (this.authFailures >= MAX_AUTH_FAILURES) this.close('policy-violation', 'too many failed logins')
  }

  private bind (iq: Element): void {
    if (this.bound) return this.send(errorReply(iq, 'cancel', 'not-allowed', 'a resource is bound already'))
    const asked = iq.getChild('bind', NS.bind)?.getChildText('resource')?.trim()
    const requested = asked != null && asked !== '' && asked.length <= 256 && safeText(asked) === asked ? asked : undefined
    this.resource = this.opts.host.bind(this, requested)
    this.fullJid = `${this.opts.account.jid}/${this.resource}`
    this.bound = true
    clearTimeout(this.negotiationTimer)
    this.socket.setTimeout(IDLE_TIMEOUT_MS, () => { this.close('connection-timeout', 'idle too long') })
    this.send(iqResult(iq, undefined, xml('bind', { xmlns: NS.bind }, xml('jid', {}, this.fullJid))))
  }

  private write (data: string): void {
    const socket = this.socket
    if (this.closed || socket.destroyed) return
    if (socket.writableLength > MAX_WRITE_BUFFER_BYTES) {
      this.opts.log('client reads too slowly; dropping it')
      socket.destroy()
      return
    }
    socket.write(data)
  }

  /** Ends our stream (after `last`, if given) and the socket; a client that does not close is cut off after a grace period. */
  private end (last = ''): void {
    if (this.ending || this.closed) return
    this.sendHeader()
    this.write(last + '</stream:stream>')
    this.ending = true
    this.reader.stop()
    this.socket.end()
    setTimeout(() => { this.socket.destroy() }, CLOSE_GRACE_MS).unref?.()
  }

  private onSocketClose (): void {
    if (this.closed) return
    this.closed = true
    this.ending = true
    this.reader.stop()
    clearTimeout(this.negotiationTimer)
    this.abort.abort()
    if (this.bound) this.opts.host.unbind(this)
    this.opts.onClose(this)
    this.closedPromise.resolve()
  }
}

function decodeBase64 (text: string): Buffer | undefined {
  const t = text.trim()
  if (t === '=') return Buffer.alloc(0)
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(t)) return undefined
  return Buffer.from(t, 'base64')
}

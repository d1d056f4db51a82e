/**
 * Identify and identify push that give this node's addresses only to peers
 * the ReachPolicy shows them to. Everyone else gets a full identify answer
 * (public key, protocols, the address it was seen at) without listen
 * addresses or a signed peer record, and no pushes. Both are js-libp2p's own
 * identify services, built over views of the components: nothing of theirs
 * is patched. Identify of each new connection is run here rather than by the
 * library, so that one that failed on a connection still open is run again.
 */
import { serviceCapabilities } from '@libp2p/interface'
import { identify, identifyPush } from '@libp2p/identify'
import { sharedController } from '../signals.js'
import { withView } from '../util/view.js'
import { Backoff, sleep } from '../util/wait.js'
import { IDENTIFY_RETRIES, IDENTIFY_RETRY_BASE_MS } from './constants.js'
import type { ReachPolicy } from './policy.js'
import type { Identify, IdentifyComponents, IdentifyInit, IdentifyPush, IdentifyPushComponents, IdentifyPushInit } from '@libp2p/identify'
import type { AbortOptions, Connection, IdentifyResult, Startable, StreamHandler } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'

class PrivateIdentify implements Identify, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:identify'
  readonly [serviceCapabilities] = ['@libp2p/identify']
  private readonly full: Identify & Startable
  private readonly bare: Identify & Startable
  private readonly protocol: string
  private bareHandler?: StreamHandler
  private started = false
  private readonly onConnect: boolean
  private readonly retry: { retries: number, baseMs: number }
  // every new connection's retries wait on it at once
  private stopping = sharedController()

  constructor (private readonly components: IdentifyComponents, private readonly policy: ReachPolicy, init: PrivateIdentifyInit = {}) {
    this.protocol = `/${init.protocolPrefix ?? 'ipfs'}/id/1.0.0`
    this.onConnect = init.runOnConnectionOpen ?? true
    this.retry = { retries: init.retries ?? IDENTIFY_RETRIES, baseMs: init.retryBaseMs ?? IDENTIFY_RETRY_BASE_MS }
    this.onConnectionOpen = this.onConnectionOpen.bind(this)
    this.full = identify({ ...init, runOnConnectionOpen: false })(components) as Identify & Startable
    const { peerStore, peerId } = components
    const captured: Pick<Registrar, 'handle' | 'unhandle'> = {
      handle: async (_protocol, handler) => { this.bareHandler = handler },
      unhandle: async () => { this.bareHandler = undefined }
    }
    this.bare = identify({ ...init, runOnConnectionOpen: false })(withView(components, {
      addressManager: withView(components.addressManager, { getAddresses: () => [] }),
      peerStore: withView(peerStore, {
        get: async (id, options) => {
          const peer = await peerStore.get(id, options)
          return id.equals(peerId) ? { ...peer, peerRecordEnvelope: undefined } : peer
        }
      }),
      registrar: withView(components.registrar, captured)
    })) as Identify & Startable
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    await this.bare.start()
    await this.full.start()
    const full = this.components.registrar.getHandler(this.protocol)
    await this.components.registrar.handle(this.protocol, async (stream, connection) => {
      const handler = this.policy.showsAddressesTo(connection.remotePeer) ? full.handler : this.bareHandler
      if (handler == null) {
        stream.abort(new Error('identify is stopping'))
        return
      }
      await handler(stream, connection)
    }, { ...full.options, force: true })
    this.stopping = sharedController()
    if (this.onConnect) this.components.events.addEventListener('connection:open', this.onConnectionOpen)
    this.started = true
  }

  async stop (): Promise<void> {
    this.components.events.removeEventListener('connection:open', this.onConnectionOpen)
    this.stopping.abort()
    await this.full.stop()
    await this.bare.stop()
    this.started = false
  }

  async identify (connection: Connection, options?: AbortOptions): Promise<IdentifyResult> {
    return await this.full.identify(connection, options)
  }

  private onConnectionOpen (evt: CustomEvent<Connection>): void {
    void this.identifyNew(evt.detail)
  }

  /** Identify of a new connection, run again with backoff while it fails and the connection stays open. */
  private async identifyNew (connection: Connection): Promise<void> {
    const backoff = new Backoff({ baseMs: this.retry.baseMs, capMs: this.retry.baseMs * 2 ** this.retry.retries, jitter: 0.5 })
    for (let attempt = 0; attempt <= this.retry.retries; attempt++) {
      if (attempt > 0) await sleep(backoff.next(), { signal: this.stopping.signal })
      if (!this.started || this.stopping.signal.aborted || connection.status !== 'open') return
      try {
        await this.full.identify(connection)
        return
      } catch (err: any) {
        // a peer that does not speak identify will not learn to
        if (err?.name === 'UnsupportedProtocolError') return
      }
    }
  }
}

export interface PrivateIdentifyInit extends IdentifyInit {
  /** Runs of identify after the first failed on a new connection. */
  retries?: number
  retryBaseMs?: number
}

/** js-libp2p's identify, answering with addresses only those the policy shows them to. */
export function privateIdentify (policy: ReachPolicy, init: PrivateIdentifyInit = {}): (components: IdentifyComponents) => Identify {
  return (components) => new PrivateIdentify(components, policy, init)
}

/**
 * js-libp2p's identify push, pushing only to connections whose peer the policy shows addresses to.
 * Its stop also ends the push's debounce timer, which the library leaves running: the listeners
 * closing at stop change the node's addresses, that arms a one-second timer, and a process whose
 * node stopped stayed up for that second (every `/quit`; docs/upstream/libp2p-stop-timers.md).
 */
export function privateIdentifyPush (policy: ReachPolicy, init: IdentifyPushInit = {}): (components: IdentifyPushComponents) => IdentifyPush {
  return (components) => {
    const service = identifyPush(init)(withView(components, {
      connectionManager: withView(components.connectionManager, {
        getConnections: (peer) => components.connectionManager.getConnections(peer).filter(c => policy.showsAddressesTo(c.remotePeer))
      })
    }))
    // members of the library's class, not of its exported interface: read defensively
    const lib = service as unknown as { _push?: (() => void) & { stop?: () => void }, isStarted?: () => boolean, stop?: () => Promise<void> }
    const debounced = lib._push
    const stop = lib.stop?.bind(service)
    if (typeof debounced === 'function') {
      // the addresses also change after the services stopped (the transports close last): no push is armed then
      lib._push = Object.assign(() => { if (lib.isStarted?.() !== false) debounced() }, { start: () => {}, stop: () => { debounced.stop?.() } })
    }
    lib.stop = async () => {
      await stop?.()
      debounced?.stop?.()
    }
    return service
  }
}

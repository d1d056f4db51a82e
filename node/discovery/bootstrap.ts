/**
 * Bootstrap peers: tagged keep-alive (libp2p redials those when a connection
 * drops) and dialed at start with bounded backoff, because libp2p dials a
 * keep-alive peer that is down at start only once.
 */
import { KEEP_ALIVE, serviceCapabilities } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { ConfigError } from '../errors.js'
import { toPeerId } from '../peer-ids.js'
import { sharedController } from '../signals.js'
import { Backoff, sleep } from '../util/wait.js'
import { BOOTSTRAP_MAX_ATTEMPTS, BOOTSTRAP_MAX_RETRY_MS, BOOTSTRAP_MIN_RETRY_MS, BOOTSTRAP_RETRY_JITTER } from './constants.js'
import type { ComponentLogger, Logger, PeerId, PeerStore, Startable } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'

/** The peer store tag that keeps bootstrap peers connected. */
const BOOTSTRAP_TAG = `${KEEP_ALIVE}-bootstrap`
const BOOTSTRAP_TAG_VALUE = 50

interface BootstrapPeer {
  addr: string
  peerId: PeerId
  ma: Multiaddr
  backoff: Backoff
}

export interface BootstrapDialerInit {
  /** Multiaddrs ending in /p2p/<peer id>; a bad one fails construction. */
  list?: string[]
  /** Dials per peer at start, failures included (default BOOTSTRAP_MAX_ATTEMPTS). */
  maxAttempts?: number
  minRetryMs?: number
  maxRetryMs?: number
}

export interface BootstrapDialerComponents {
  peerStore: Pick<PeerStore, 'merge'>
  connectionManager: Pick<ConnectionManager, 'getConnections' | 'openConnection'>
  logger: ComponentLogger
}

/** Nothing to call: it dials its list at start. */
export interface BootstrapDialer {}

export class DefaultBootstrapDialer implements BootstrapDialer, Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:bootstrap-dialer'
  readonly [serviceCapabilities] = ['@presence-mesh/bootstrap-dialer']

  private readonly log: Logger
  private readonly peers: BootstrapPeer[]
  private readonly maxAttempts: number
  private controller = sharedController()
  private started = false

  constructor (private readonly components: BootstrapDialerComponents, init: BootstrapDialerInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:bootstrap-dialer')
    this.maxAttempts = init.maxAttempts ?? BOOTSTRAP_MAX_ATTEMPTS
    const retry = { baseMs: init.minRetryMs ?? BOOTSTRAP_MIN_RETRY_MS, capMs: init.maxRetryMs ?? BOOTSTRAP_MAX_RETRY_MS, jitter: BOOTSTRAP_RETRY_JITTER }
    // fail at construction, not at the first dial, on a bad bootstrap address
    this.peers = (init.list ?? []).map(addr => ({ addr, ...bootstrapPeer(addr), backoff: new Backoff(retry) }))
  }

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    this.controller = sharedController()
    this.started = true
  }

  afterStart (): void {
    for (const peer of this.peers) void this.dial(peer)
  }

  stop (): void {
    this.started = false
    this.controller.abort()
  }

  private async dial ({ addr, peerId, ma, backoff }: BootstrapPeer): Promise<void> {
    const { connectionManager, peerStore } = this.components
    const signal = this.controller.signal
    try {
      await peerStore.merge(peerId, { multiaddrs: [ma], tags: { [BOOTSTRAP_TAG]: { value: BOOTSTRAP_TAG_VALUE } } })
    } catch (err) {
      this.log.error('could not store bootstrap peer %s - %e', addr, err)
    }
    backoff.reset()
    for (let attempt = 1; attempt <= this.maxAttempts && !signal.aborted; attempt++) {
      if (connectionManager.getConnections(peerId).length > 0) return
      try {
        await connectionManager.openConnection(peerId, { signal })
        this.log('connected to bootstrap peer %s', addr)
        return
      } catch (err) {
        if (signal.aborted) return
        if (attempt === this.maxAttempts) {
          this.log('bootstrap dial %d/%d to %s failed, giving up - %e', attempt, this.maxAttempts, addr, err)
          return
        }
        const delay = backoff.next()
        this.log('bootstrap dial %d/%d to %s failed, retry in %d ms - %e', attempt, this.maxAttempts, addr, delay, err)
        await sleep(delay, { signal })
      }
    }
  }
}

function bootstrapPeer (addr: string): { peerId: PeerId, ma: Multiaddr } {
  let ma: Multiaddr
  try {
    ma = multiaddr(addr)
  } catch (err: any) {
    throw new ConfigError('bootstrap', `${addr} is not a multiaddr (${err.message})`)
  }
  const id = ma.getComponents().findLast(c => c.name === 'p2p')?.value
  if (id == null) throw new ConfigError('bootstrap', `${addr} must end in /p2p/<peer id>`)
  return { peerId: toPeerId(id), ma }
}

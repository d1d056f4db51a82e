/**
 * Serves the DHT only while the node is public, or always on a relay (a
 * relay or bootstrap node is infrastructure, reachable by choice: the mesh's
 * DHT capacity comes from those). Outside public mode any other node answers
 * no DHT queries, so no DHT routing table holds its addresses (the factory
 * also starts the DHT in the mode the stored visibility implies).
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { ROSTER_CAPABILITY } from '../roster/constants.js'
import type { Roster, RosterChangeEvent } from '../roster/index.js'
import type { ComponentLogger, Logger, Startable } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

export interface DhtModeInit {
  /** Never serve, even when public (the user asked for DHT client mode). */
  clientOnly?: boolean
  /** Serve whatever the visibility (a relay); clientOnly still wins. */
  alwaysServe?: boolean
}

export interface DhtModeComponents {
  logger: ComponentLogger
  dht: KadDHT
  roster: Roster
}

class DhtModeService implements Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:dht-mode'
  readonly [serviceCapabilities] = ['@presence-mesh/dht-mode']
  readonly [serviceDependencies] = ['@libp2p/kad-dht', ROSTER_CAPABILITY]
  private readonly log: Logger
  private started = false

  constructor (private readonly components: DhtModeComponents, private readonly init: DhtModeInit = {}) {
    this.log = components.logger.forComponent('presence-mesh:dht-mode')
    this.onRosterChange = this.onRosterChange.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    this.started = true
  }

  async afterStart (): Promise<void> {
    this.components.roster.addEventListener('roster:change', this.onRosterChange)
    await this.apply()
  }

  stop (): void {
    this.components.roster.removeEventListener('roster:change', this.onRosterChange)
    this.started = false
  }

  private onRosterChange (evt: CustomEvent<RosterChangeEvent>): void {
    if (evt.detail.visibility != null) evt.detail.waitUntil(this.apply())
  }

  private async apply (): Promise<void> {
    const serve = this.init.alwaysServe === true || this.components.roster.visibility().mode === 'public'
    const want = serve && this.init.clientOnly !== true ? 'server' : 'client'
    if (this.components.dht.getMode() === want) return
    await this.components.dht.setMode(want).catch((err: unknown) => { this.log.error('could not switch the DHT to %s mode - %e', want, err) })
  }
}

export function dhtMode (init: DhtModeInit = {}): (components: DhtModeComponents) => Startable {
  return (components) => new DhtModeService(components, init)
}

/**
 * js-libp2p's address manager updates the node's own peer-store entry a
 * second after its addresses change (a debounce) and never cancels that at
 * stop: the transports closing at stop arm it, so a process whose node had
 * stopped stayed up for that second (every `/quit`), then wrote to a closed
 * datastore. Last of the stop, this cancels it (docs/upstream/libp2p-stop-timers.md).
 */
import type { Startable } from '@libp2p/interface'

export interface StopLeftoversComponents {
  addressManager: unknown
}

class StopLeftovers implements Startable {
  constructor (private readonly components: StopLeftoversComponents) {}

  start (): void {}
  stop (): void {}

  /** After every component stopped (the transports closed last). */
  afterStop (): void {
    // a member of the library's class, not of its exported interface: read defensively
    const update = (this.components.addressManager as { _updatePeerStoreAddresses?: { stop?: () => void } } | undefined)?._updatePeerStoreAddresses
    update?.stop?.()
  }
}

export function stopLeftovers (): (components: StopLeftoversComponents) => Startable {
  return (components) => new StopLeftovers(components)
}

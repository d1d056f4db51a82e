/**
 * Fixes for the relay server of @libp2p/circuit-relay-v2 4.2 (docs/operations.md).
 *
 * When a client does not take a reservation's confirmation (it gave up, or
 * its stream closed first), the server removes the reservation it has just
 * made but leaves that reservation's expiry timer armed, and the timer then
 * deletes whatever reservation the client holds by that time: one failed
 * attempt, one lifetime later, cuts the client's good reservation and every
 * relayed connection through it, and nobody can reach the client through
 * the relay until it renews (up to 25 minutes with RELAY_LIMITS).
 */
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'

/**
 * Lets a reservation leave the relay's table only when it has itself
 * expired. One the relay gave up on stays until its own expiry, and the
 * client's next request renews it instead of making a second one.
 */
export function guardReservations (relay: CircuitRelayService): void {
  const table = relay.reservations
  const remove = table.delete.bind(table)
  table.delete = (peer) => {
    const current = table.get(peer)
    if (current != null && !current.signal.aborted) return false
    return remove(peer)
  }
}

/**
 * Where contacts are, between the devices of one person (docs/protocol.md
 * §14.10, "Whereabouts"): a device tells its other devices the addresses it
 * holds of its contacts' devices, so a device that never met a contact (a
 * phone just linked, on a network without DHT servers to hold locator
 * records) can dial them. Taken only for current devices of unblocked
 * contacts; an address that does not parse is skipped.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { CODE_P2P } from '@multiformats/multiaddr'
import { MAX_LOCATOR_ADDR_BYTES, MAX_LOCATOR_ADDRS } from '../../protocol/locator-record.js'
import { MAX_WHEREABOUTS, stampBeats } from '../../protocol/contact-sync.js'
import { parseMultiaddrs, withoutOwnId } from '../util/multiaddrs.js'
import type { ContactSyncEntry, Whereabouts } from '../../protocol/contact-sync.js'
import type { Roster } from '../roster/index.js'
import type { Logger, PeerStore } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface WhereaboutsContext {
  self: string
  roster: Pick<Roster, 'contacts' | 'get' | 'isContact'>
  peerStore: Pick<PeerStore, 'get' | 'merge'>
  connectionManager: Pick<ConnectionManager, 'getConnections'>
  isOwnDevice: (peer: string) => boolean
  /** The contact entry this device holds (§14.10), if any. */
  held: (contact: string) => ContactSyncEntry | undefined
  log: Logger
}

/** A contact device's address as a snapshot carries it: binary, without the device's own /p2p suffix. */
function wireAddress (ma: Multiaddr, peer: string): Uint8Array | undefined {
  const bytes = withoutOwnId(ma, peer).bytes
  return bytes.byteLength > 0 && bytes.byteLength <= MAX_LOCATOR_ADDR_BYTES ? bytes : undefined
}

/** The whereabouts this device knows of its contacts' devices: those it is connected to first, at most MAX_WHEREABOUTS. */
export async function gatherWhereabouts (ctx: WhereaboutsContext): Promise<Whereabouts[]> {
  const connected = new Set(ctx.connectionManager.getConnections().map(c => c.remotePeer.toString()))
  const devices = ctx.roster.contacts()
    .filter(p => p.blockedSince == null)
    .flatMap(p => p.devices)
    .filter(d => d !== ctx.self && !ctx.isOwnDevice(d))
  const ordered = [...new Set([...devices.filter(d => connected.has(d)), ...devices])]
  const out: Whereabouts[] = []
  for (const peer of ordered) {
    if (out.length >= MAX_WHEREABOUTS) break
    let addrs: Uint8Array[]
    try {
      const known = await ctx.peerStore.get(peerIdFromString(peer))
      addrs = known.addresses.flatMap(a => wireAddress(a.multiaddr, peer) ?? []).slice(0, MAX_LOCATOR_ADDRS)
    } catch {
      continue
    }
    if (addrs.length > 0) out.push({ peer, addrs })
  }
  return out
}

/**
 * Whereabouts another own device told, with the entries of the same
 * snapshot: the addresses of a device of an unblocked contact (one of the
 * roster's, or one the entries make a contact) go into the peer store. Taken
 * before the entries, so a contact they add is dialled at its first attempt;
 * a contact already followed is dialled when its new addresses arrive.
 * Returns how many devices got addresses.
 */
export async function takeWhereabouts (ctx: WhereaboutsContext, told: Whereabouts[], received: ContactSyncEntry[]): Promise<number> {
  // only entries that will win here (newer than the one held) may make a contact's addresses welcome
  const entries = received.filter(e => { const held = ctx.held(e.contact); return held == null || stampBeats(e, held) })
  const joining = new Set(entries.filter(e => e.isContact && !e.blocked).flatMap(e => [e.contact, ...e.devices]))
  const leaving = new Set(entries.filter(e => !e.isContact || e.blocked).map(e => e.contact))
  const isContactDevice = (peer: string): boolean => {
    const person = ctx.roster.get(peer)
    if (person != null && leaving.has(person.id)) return false
    return joining.has(peer) || (person != null && ctx.roster.isContact(person.id) && person.devices.includes(peer))
  }
  let took = 0
  for (const w of told) {
    if (w.peer === ctx.self || ctx.isOwnDevice(w.peer) || !isContactDevice(w.peer)) continue
    // an address naming a peer at its end (§8.6: none does) would be another peer's
    const multiaddrs = parseMultiaddrs(w.addrs)
      .filter(ma => ma.getComponents().at(-1)?.code !== CODE_P2P)
    if (multiaddrs.length === 0) continue
    try {
      await ctx.peerStore.merge(peerIdFromString(w.peer), { multiaddrs })
      took++
    } catch (err) {
      ctx.log('could not keep the addresses of %s - %e', w.peer, err)
    }
  }
  return took
}

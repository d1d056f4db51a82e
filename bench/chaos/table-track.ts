/**
 * A diagnostic of the chaos hosts: what happens to a node's kad-dht routing
 * table. kad-dht 16 adds a peer (from identify or from a query's answer)
 * only after one ping to it succeeds (its k-bucket's `verify`); this wraps
 * that check to count the pings that failed and how long they took, and
 * counts the table's adds and removals. It reads runtime fields of kad-dht
 * (not its typed API) defensively: a version without them is only not counted.
 */
import { DHT_PROTOCOL } from '../../protocol/dht-presence.js'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

type Walk = (key: any, options?: any) => AsyncGenerator<{ name: string }>

interface KadInternals {
  findPeer?: Walk
  getClosestPeers?: Walk
  routingTable?: EventTarget & {
    size: number
    kb?: { verify?: (contact: { peerId: PeerId }, options?: unknown) => Promise<boolean> }
    routingTableUpdateQueue?: { size: number }
    pingNewContactQueue?: { size: number }
  }
}

export interface TableCounts {
  /** Routing-table size now. */
  table: number
  /** Connected peers that speak the DHT protocol (per the peer store). */
  dhtServersConnected: number
  connections: number
  /** Since the start: pings before an add that succeeded / failed, and the failed ones' longest duration. */
  pingsOk: number
  pingsFailed: number
  pingFailedMaxMs: number
  adds: number
  removes: number
  /** Since the start: DHT walks made (findPeer / getClosestPeers), and the findPeer walks that found the peer. */
  findPeers: number
  findPeersFound: number
  closestPeerWalks: number
  /** Every failed ping of the node's ping service since the start (kad-dht's and others), by error. */
  pingErrors: Record<string, number>
  /** kad-dht's queues now: routing-table updates waiting, pings of new contacts waiting or running. */
  updateQueue: number
  pingQueue: number
}

export class TableTracker {
  private pingsOk = 0
  private pingsFailed = 0
  private pingFailedMaxMs = 0
  private adds = 0
  private removes = 0
  private readonly pingErrors: Record<string, number> = {}
  private readonly walks = { findPeers: 0, findPeersFound: 0, closestPeerWalks: 0 }

  constructor (private readonly libp2p: Libp2p<{ dht: unknown, ping: Ping }>) {
    const ping = libp2p.services.ping
    const send = ping.ping.bind(ping)
    ping.ping = async (peer, options) => await send(peer, options).catch((err: Error) => {
      const key = `${err.name}: ${err.message.slice(0, 80)}`
      this.pingErrors[key] = (this.pingErrors[key] ?? 0) + 1
      throw err
    })
    const dht = libp2p.services.dht as KadInternals
    const walks = this.walks
    const findPeer = dht.findPeer?.bind(dht)
    if (findPeer != null) {
      dht.findPeer = async function * (key, options) {
        walks.findPeers++
        for await (const e of findPeer(key, options)) {
          if (e.name === 'FINAL_PEER') walks.findPeersFound++
          yield e
        }
      }
    }
    const closest = dht.getClosestPeers?.bind(dht)
    if (closest != null) {
      dht.getClosestPeers = async function * (key, options) {
        walks.closestPeerWalks++
        yield * closest(key, options)
      }
    }
    const table = dht.routingTable
    table?.addEventListener('peer:add', () => { this.adds++ })
    table?.addEventListener('peer:remove', () => { this.removes++ })
    const kb = table?.kb
    const verify = kb?.verify
    if (kb == null || verify == null) return
    kb.verify = async (contact, options) => {
      const at = Date.now()
      const ok = await verify(contact, options)
      if (ok) this.pingsOk++
      else {
        this.pingsFailed++
        this.pingFailedMaxMs = Math.max(this.pingFailedMaxMs, Date.now() - at)
      }
      return ok
    }
  }

  async counts (): Promise<TableCounts> {
    const table = (this.libp2p.services.dht as KadInternals).routingTable
    const peers = [...new Set(this.libp2p.getConnections().map(c => c.remotePeer))]
    const speaks = await Promise.all(peers.map(async p => await this.libp2p.peerStore.get(p).then(x => x.protocols.includes(DHT_PROTOCOL), () => false)))
    return {
      table: table?.size ?? 0,
      dhtServersConnected: speaks.filter(Boolean).length,
      connections: this.libp2p.getConnections().length,
      pingsOk: this.pingsOk,
      pingsFailed: this.pingsFailed,
      pingFailedMaxMs: this.pingFailedMaxMs,
      adds: this.adds,
      removes: this.removes,
      ...this.walks,
      pingErrors: this.pingErrors,
      updateQueue: table?.routingTableUpdateQueue?.size ?? 0,
      pingQueue: table?.pingNewContactQueue?.size ?? 0
    }
  }
}

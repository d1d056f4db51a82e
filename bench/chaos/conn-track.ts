/**
 * Connection bookkeeping for the chaos hosts: every connection a node had,
 * by its TCP ends (local and remote port), when it opened and closed, how
 * (closed here or by the far end, with which error) and who asked for the
 * close (a short stack of each close() or abort() call on the Connection).
 * A connection one node lists and its peer does not (a half-open one) is
 * then found by its ports, and the far end's record says what became of it
 * there (bench/chaos/cluster.ts oneSided).
 *
 * Reaches into libp2p's Connection (its maConn's socket) for the ports: a
 * diagnostic of the harness, never used by the product.
 */
import type { Connection, Libp2p } from '@libp2p/interface'

export interface ConnRecord {
  id: string
  peer: string
  direction: string
  localPort?: number
  remotePort?: number
  openAt: number
  closeAt?: number
  /** From the Connection's close event: closed from this side, and the error if it was not graceful. */
  closedLocally?: boolean
  closeError?: string
  /** Each close()/abort() call on the Connection: when, the error passed, and the caller. */
  calls: Array<{ at: number, what: string, stack: string }>
}

export interface ListedConn {
  id: string
  peer: string
  direction: string
  status: string
  localPort?: number
  remotePort?: number
  ageMs: number
  streams: number
  streamList: Array<{ id: string, label: string, ageMs: number }>
}

/** How many records a node keeps (open ones are never dropped). */
const KEEP = 4_000

function caller (): string {
  const lines = (new Error().stack ?? '').split('\n').slice(3)
  return lines.filter(l => !l.includes('conn-track')).slice(0, 6).map(l => l.trim().replace(/^at /, '').replace(/\(.*\/(node_modules\/|build[^/]*\/)?/, '(')).join(' < ')
}

export class ConnTracker {
  readonly records = new Map<string, ConnRecord>()
  private readonly seen = new WeakSet<Connection>()

  constructor (private readonly libp2p: Libp2p) {
    libp2p.addEventListener('connection:open', (evt) => { this.track(evt.detail) })
    for (const c of libp2p.getConnections()) this.track(c)
  }

  private track (c: Connection): void {
    if (this.seen.has(c)) return
    this.seen.add(c)
    const socket = (c as unknown as { maConn?: { socket?: { localPort?: number, remotePort?: number } } }).maConn?.socket
    const rec: ConnRecord = {
      id: c.id,
      peer: c.remotePeer.toString(),
      direction: c.direction,
      localPort: socket?.localPort,
      remotePort: socket?.remotePort,
      openAt: c.timeline.open,
      calls: []
    }
    this.records.set(c.id, rec)
    const close = c.close.bind(c)
    c.close = async (options) => {
      rec.calls.push({ at: Date.now(), what: 'close', stack: caller() })
      try {
        await close(options)
      } catch (err: any) {
        rec.calls.push({ at: Date.now(), what: `close failed: ${String(err?.name)} ${String(err?.message)}`, stack: '' })
        throw err
      }
    }
    const abort = c.abort.bind(c)
    c.abort = (err) => {
      rec.calls.push({ at: Date.now(), what: `abort: ${String(err?.name)} ${String(err?.message)}`, stack: caller() })
      abort(err)
    }
    // what the transport's own connection was told (libp2p aborts it directly, e.g. when an upgrade fails)
    const maConn = (c as unknown as { maConn?: { abort?: (err?: Error) => void } }).maConn
    if (typeof maConn?.abort === 'function') {
      const maAbort = maConn.abort.bind(maConn)
      maConn.abort = (err?: Error) => {
        rec.calls.push({ at: Date.now(), what: `transport abort: ${String(err?.name)} ${String(err?.message)}`, stack: caller() })
        maAbort(err)
      }
    }
    c.addEventListener('close', (evt: any) => {
      rec.closeAt = Date.now()
      rec.closedLocally = evt.local
      rec.closeError = evt.error == null ? undefined : `${String(evt.error.name)} ${String(evt.error.message)}`
    }, { once: true })
    if (this.records.size > KEEP) {
      for (const [id, r] of this.records) {
        if (this.records.size <= KEEP) break
        if (r.closeAt != null) this.records.delete(id)
      }
    }
  }

  /** The connections libp2p lists now, with their ports and state. */
  listed (): ListedConn[] {
    return this.libp2p.getConnections().map(c => {
      this.track(c)
      const r = this.records.get(c.id)
      return {
        id: c.id,
        peer: c.remotePeer.toString(),
        direction: c.direction,
        status: c.status,
        localPort: r?.localPort,
        remotePort: r?.remotePort,
        ageMs: Date.now() - c.timeline.open,
        streams: c.streams.length,
        // a muxed stream's id is the same at both ends of the connection
        streamList: c.streams.map(st => ({ id: st.id, label: `${st.direction === 'inbound' ? 'in' : 'out'}:${st.protocol ?? '?'} ${st.status}/${st.writeStatus}/${st.remoteWriteStatus}`, ageMs: Date.now() - st.timeline.open }))
      }
    })
  }

  /** The record of the connection with these TCP ends, if this node had one. */
  byPorts (localPort: number, remotePort: number): ConnRecord | undefined {
    let last: ConnRecord | undefined
    // ports come back (a restart, ephemeral ports): the latest record is the one that counts
    for (const r of this.records.values()) if (r.localPort === localPort && r.remotePort === remotePort) last = r
    return last
  }
}

/**
 * The device holding the person key's side of /presence-mesh/link/1.0.0
 * (docs/protocol.md §14.5): the live link codes (in memory only: a restart
 * ends them), which intake identities they admit, and answering one request.
 * A code works once: the first request through its intake identity that
 * opens uses it up, whatever the outcome.
 */
import { lpStream } from '@libp2p/utils'
import { formatLinkCode, linkIntakeIdentity, MAX_LINK_REQUEST_BYTES, MAX_LINK_RESPONSE_BYTES, newLinkSecret, encodeLinkResponse, openLinkRequest } from '../../protocol/link.js'
import { LINK_TIMEOUT_MS, MAX_LIVE_LINK_CODES } from './constants.js'
import type { LinkCodeInfo } from './index.js'
import type { LinkResponse } from '../../protocol/link.js'
import type { Connection, Logger, PeerId, Stream } from '@libp2p/interface'

interface LiveCode { expiresAt: number, timer: ReturnType<typeof setTimeout> }

export interface LinkCodesInit {
  self: PeerId
  ttlMs: number
  log: Logger
  /** Certifies `device` (`consent`: its signed request): resolves with its certificate and the new list; throws (DeviceChangeError) when it cannot be linked. */
  link: (device: PeerId, name: string, consent: Uint8Array) => Promise<{ list: Uint8Array, certificate: Uint8Array }>
}

export class LinkCodes {
  /** By intake peer id, oldest first. */
  private readonly live = new Map<string, LiveCode>()

  constructor (private readonly init: LinkCodesInit) {}

  async create (addrs: string[]): Promise<LinkCodeInfo> {
    const secret = newLinkSecret()
    const code = formatLinkCode({ peer: this.init.self, secret, addrs })
    const { peerId } = await linkIntakeIdentity(this.init.self, secret)
    while (this.live.size >= MAX_LIVE_LINK_CODES) this.drop([...this.live.keys()][0])
    const expiresAt = Date.now() + this.init.ttlMs
    const timer = setTimeout(() => { this.drop(peerId.toString()) }, this.init.ttlMs)
    timer.unref?.()
    this.live.set(peerId.toString(), { expiresAt, timer })
    return { code, expiresAt }
  }

  isIntake (peer: string): boolean {
    const c = this.live.get(peer)
    return c != null && c.expiresAt > Date.now()
  }

  clear (): void {
    for (const id of [...this.live.keys()]) this.drop(id)
  }

  private drop (id: string): void {
    const c = this.live.get(id)
    if (c == null) return
    clearTimeout(c.timer)
    this.live.delete(id)
  }

  /** One link stream: a request in, an answer out. `allowed`: this node holds the person key and was not revoked. */
  async handle (stream: Stream, conn: Connection, allowed: boolean): Promise<void> {
    const intake = conn.remotePeer.toString()
    const signal = AbortSignal.timeout(LINK_TIMEOUT_MS)
    try {
      const lp = lpStream(stream, { maxDataLength: Math.max(MAX_LINK_REQUEST_BYTES, MAX_LINK_RESPONSE_BYTES) })
      const bytes = (await lp.read({ signal })).subarray()
      const answer = await this.answer(bytes, intake, allowed)
      await lp.write(encodeLinkResponse(answer), { signal })
      await stream.close({ signal })
    } catch (err: any) {
      this.init.log('link stream of %s ended - %e', intake, err)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private async answer (bytes: Uint8Array, intake: string, allowed: boolean): Promise<LinkResponse> {
    if (!allowed || !this.isIntake(intake)) return { result: 'bad-code' }
    const req = openLinkRequest(bytes, { me: this.init.self, intake, now: Date.now() })
    if (!req.ok) {
      this.init.log('link request through %s refused: %s %s', intake, req.reason, req.detail ?? '')
      return { result: 'bad-code' }
    }
    // single use: whatever happens next, this code is spent
    this.drop(intake)
    try {
      // the request the device signed goes into its certificate: its own consent to be this person's device
      const { list, certificate } = await this.init.link(req.request.device, req.request.name, bytes)
      this.init.log('linked %p as %s', req.request.device, req.request.name)
      return { result: 'linked', certificate, deviceList: list }
    } catch (err: any) {
      this.init.log('linking %p refused - %e', req.request.device, err)
      return { result: 'refused' }
    }
  }
}

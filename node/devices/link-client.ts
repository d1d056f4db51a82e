/**
 * The new device's side of /presence-mesh/link/1.0.0 (docs/protocol.md
 * §14.5): over a node that holds the code's intake identity, ask the device
 * that showed the code to certify this device's own peer id, and check what
 * comes back (a certificate for exactly this device, a list of its person
 * naming this device and the one that linked it).
 */
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { openDeviceCertificate } from '../../protocol/device-cert.js'
import { openDeviceList } from '../../protocol/device-list.js'
import { decodeLinkResponse, MAX_LINK_RESPONSE_BYTES, sealLinkRequest } from '../../protocol/link.js'
import { LINK_PROTOCOL } from './constants.js'
import { LinkFailedError } from './errors.js'
import type { LinkCode } from '../../protocol/link.js'
import type { DeviceList } from '../../protocol/device-list.js'
import type { Libp2p, PrivateKey, Stream } from '@libp2p/interface'

export interface Linked {
  list: Uint8Array
  certificate: Uint8Array
  opened: DeviceList
}

/** `intakeNode` runs with the code's intake identity; `deviceKey` is the new device's own key. */
export async function requestLink (intakeNode: Libp2p, code: LinkCode, deviceKey: PrivateKey, name: string, signal: AbortSignal): Promise<Linked> {
  const device = peerIdFromPrivateKey(deviceKey)
  let stream: Stream | undefined
  let lastError: unknown
  for (const addr of code.addrs) {
    try {
      stream = await intakeNode.dialProtocol(multiaddr(`${addr}/p2p/${code.peer.toString()}`), LINK_PROTOCOL, { signal, runOnLimitedConnection: true })
      break
    } catch (err) {
      lastError = err
    }
  }
  // a used or expired code's intake identity is refused like any stranger: the joiner cannot tell that from a device that is off
  if (stream == null) throw new LinkFailedError('unreachable', (lastError as Error | undefined)?.message)
  const lp = lpStream(stream, { maxDataLength: MAX_LINK_RESPONSE_BYTES })
  let bytes: Uint8Array
  try {
    await lp.write(sealLinkRequest({ to: code.peer, intake: intakeNode.peerId, name, sentAt: Date.now() }, deviceKey), { signal })
    bytes = (await lp.read({ signal })).subarray()
    await stream.close({ signal }).catch(() => {})
  } catch (err: any) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw new LinkFailedError('unreachable', err?.message)
  }
  const res = decodeLinkResponse(bytes)
  if (!res.ok) throw new LinkFailedError('bad-answer', res.reason)
  if (res.response.result !== 'linked') throw new LinkFailedError(res.response.result)
  const cert = openDeviceCertificate(res.response.certificate, { expectedDevice: device })
  if (!cert.ok) throw new LinkFailedError('bad-answer', `certificate: ${cert.reason}`)
  const list = openDeviceList(res.response.deviceList, { expectedPerson: cert.cert.person })
  if (!list.ok) throw new LinkFailedError('bad-answer', `device list: ${list.reason}`)
  const ids = list.list.devices.map(d => d.device.toString())
  if (!ids.includes(device.toString()) || !ids.includes(code.peer.toString())) throw new LinkFailedError('bad-answer', 'the list does not name both devices')
  return { list: res.response.deviceList, certificate: res.response.certificate, opened: list.list }
}

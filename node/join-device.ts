/**
 * `presence-mesh join <code>`: makes a home a new device of the person whose
 * device showed the link code (docs/protocol.md §14.5). Runs with no node on
 * the home: a short-lived node with the code's intake identity asks for this
 * device's certificate; the certificate, the list and the addresses of the
 * device that linked it are stored, and the next start runs as that
 * person's device. The person's private key never comes here.
 */
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { linkIntakeIdentity, parseLinkCode } from '../protocol/link.js'
import { openDeviceList } from '../protocol/device-list.js'
import { openDatastore } from './datastore.js'
import { DeviceStore } from './devices/device-store.js'
import { LinkFailedError } from './devices/errors.js'
import { LINK_TIMEOUT_MS } from './devices/constants.js'
import { requestLink } from './devices/link-client.js'
import { claimHome, loadOrCreateIdentity, releaseHome } from './home.js'
import { createIntakeLibp2p } from './libp2p.js'
import type { LevelDatastore } from 'datastore-level'

export interface JoinOptions {
  home: string
  /** What this device is to be called (default: the host name, else "new device"). */
  name: string
  timeoutMs?: number
}

export interface JoinResult {
  /** This device's peer id. */
  device: string
  /** The person it now belongs to (the person key's peer id). */
  person: string
  devices: Array<{ peerId: string, name: string }>
}

export async function joinDevice (codeText: string, opts: JoinOptions): Promise<JoinResult> {
  const code = parseLinkCode(codeText)
  const { privateKey } = await loadOrCreateIdentity(opts.home)
  const self = peerIdFromPrivateKey(privateKey)
  await claimHome(opts.home)
  let datastore: LevelDatastore | undefined
  try {
    datastore = await openDatastore(opts.home)
    const store = new DeviceStore(datastore)
    const own = await store.loadOwn()
    if (own != null) {
      const held = openDeviceList(own.list)
      // a home that ran as a node is a device already (its own person's, maybe with contacts): never overwrite that
      if (!held.ok || held.list.person.toString() !== code.peer.toString() || !held.list.devices.some(d => d.device.equals(self))) {
        throw new LinkFailedError('already-a-device', 'this home already runs as a device; join with a new --home')
      }
    }
    const intake = await linkIntakeIdentity(code.peer, code.secret)
    const node = await createIntakeLibp2p(intake.key)
    await node.start()
    try {
      const linked = await requestLink(node, code, privateKey, opts.name, AbortSignal.timeout(opts.timeoutMs ?? LINK_TIMEOUT_MS))
      await store.saveOwn({ list: linked.list, certificate: linked.certificate })
      await store.saveHint(code.peer.toString(), code.addrs)
      return {
        device: self.toString(),
        person: linked.opened.person.toString(),
        devices: linked.opened.devices.map(d => ({ peerId: d.device.toString(), name: d.name }))
      }
    } finally {
      await stopQuietly(async () => { await node.stop() })
    }
  } finally {
    await stopQuietly(async () => { await datastore?.close() })
    await releaseHome(opts.home)
  }
}

async function stopQuietly (stop: () => Promise<void>): Promise<void> {
  try {
    await stop()
  } catch {}
}

/**
 * The node API's device methods (PresenceNodeApi: linkCode, devices,
 * revokeDevice) over the devices service (docs/protocol.md §14).
 * GroupCommands extends this, which keeps PresenceNode's own module short.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import type { DevicesOverview, PresenceNodeEvents } from './api.js'
import type { DeviceInfo, DevicesService, LinkCodeInfo } from './devices/index.js'

export abstract class DeviceCommands extends TypedEventEmitter<PresenceNodeEvents> {
  abstract get devicesService (): DevicesService

  /** A one-time code a new device joins with (`presence-mesh join <code>`); only on the device holding the person key. */
  async linkCode (): Promise<LinkCodeInfo> {
    return await this.devicesService.createLinkCode()
  }

  /** This node's person and its devices. */
  devices (): DevicesOverview {
    const d = this.devicesService
    return { person: d.person, holdsPersonKey: d.holdsPersonKey, revoked: d.revoked, devices: d.devices() }
  }

  /** Revokes a device (peer id, …short id or name): a new list goes to every device and contact, which refuse it from then on. */
  async revokeDevice (device: string): Promise<DeviceInfo> {
    return await this.devicesService.revoke(device)
  }
}

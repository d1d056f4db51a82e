/**
 * One person, several devices (docs/protocol.md §14). Every device keeps its
 * own identity key (its peer id); the person key certifies devices in a
 * signed device list. The person key is the first device's identity key and
 * never leaves it: only that device links new devices (one-time link codes,
 * /presence-mesh/link/1.0.0) and revokes them. Every change of the list goes
 * to the person's other devices and to contacts (/presence-mesh/devices/1.0.0);
 * a revoked device is refused by every node that holds the newer list.
 */
import { DevicesServiceImpl } from './devices-service.js'
import type { DevicesComponents } from './devices-service.js'
import type { TypedEventTarget } from '@libp2p/interface'

export type { DevicesComponents } from './devices-service.js'
export { DEVICES_CAPABILITY, DEVICES_PROTOCOL, LINK_PROTOCOL } from './constants.js'
export * from './errors.js'

export interface DevicesInit {
  /** What this device is called when it starts without a device list (default: the host name). */
  deviceName?: string
  /** How long a link code works (default LINK_CODE_TTL_MS). */
  linkCodeTtlMs?: number
}

/** One device of this node's person, for a person to read. */
export interface DeviceInfo {
  peerId: string
  name: string
  /** When the person key certified it (ms since the epoch). */
  linkedAt: number
  /** This device. */
  self: boolean
  /** It holds the person key (links and revokes). */
  personKey: boolean
  /** Connected to this node now (this device: true). */
  online: boolean
}

export interface LinkCodeInfo {
  code: string
  expiresAt: number
}

export interface DevicesEvents {
  /** The person's device list changed (a device linked or revoked, here or on the device holding the person key). */
  'devices:change': CustomEvent<{ devices: DeviceInfo[], linked?: DeviceInfo, revoked?: string }>
  /** This device was revoked: it is no device of its person any more. */
  'devices:revoked': CustomEvent<{ person: string }>
}

export interface DevicesService extends TypedEventTarget<DevicesEvents> {
  /** The person id (the person key's peer id): this node's own peer id on the first device. */
  readonly person: string
  readonly holdsPersonKey: boolean
  /** This device was revoked by its person. */
  readonly revoked: boolean
  devices: () => DeviceInfo[]
  /** A one-time link code for a new device (the device holding the person key only; NotPersonKeyHolderError else). */
  createLinkCode: () => Promise<LinkCodeInfo>
  /** Revokes a device by peer id, short id (…last 8) or name; resolves once the new list is stored. */
  revoke: (device: string) => Promise<DeviceInfo>
  /** A current device of this node's person (this one included). */
  isOwnDevice: (peer: string) => boolean
  /** Whether `peer` may connect for this service's sake: another current device, or the intake identity of a live link code. */
  admits: (peer: string) => boolean
  /** A device revoked by this node's person or by a contact's. */
  isRevoked: (peer: string) => boolean
}

export function devices (init: DevicesInit = {}): (components: DevicesComponents) => DevicesService {
  return (components) => new DevicesServiceImpl(components, init)
}

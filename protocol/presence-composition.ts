/**
 * One presence per person from the presence of each of their devices
 * (docs/protocol.md §14.9), as a watcher composes it (RFC 4479's idea of
 * one view over several tuples):
 * 1. a device counts while it is live: not offline, and its record not expired;
 * 2. no live device: the person is offline;
 * 3. a state chosen by hand on a live device overrides every automatic one
 *    (of several, the one issued last);
 * 4. otherwise the most available live device wins (online, away, busy,
 *    dnd), ties to the record issued last, then to the lower device id.
 * The note and activity are the winning device's. Pure and deterministic:
 * the same devices in any order compose the same.
 */
import type { StateSource } from './categories.js'
import type { PresenceStatus } from './presence-record.js'

export interface DevicePresence {
  /** The device's peer id. */
  device: string
  status: PresenceStatus
  /** How the device's state was chosen; absent (a version 1 record) counts as automatic. */
  source?: StateSource
  /** When the device's state was issued (its clock, ms since the epoch). */
  issuedAt: number
  /** When its record stops counting (the watcher's clock); absent: it does not expire. */
  expiresAt?: number
  note?: string
  activity?: string
}

export interface ComposedPresence {
  status: PresenceStatus
  /** The device whose state shows (absent while offline). */
  device?: string
  /** The state shown was chosen by hand. */
  manual: boolean
  note?: string
  activity?: string
  /** Each device, with whether it counts now: the per-device detail. */
  devices: Array<DevicePresence & { live: boolean }>
}

/** How available each status is: the higher, the more (rule 4). */
export const AVAILABILITY_RANK: Readonly<Record<PresenceStatus, number>> = { online: 4, away: 3, busy: 2, dnd: 1, offline: 0 }

export function isLive (d: DevicePresence, now: number): boolean {
  return d.status !== 'offline' && (d.expiresAt == null || d.expiresAt > now)
}

/** Rules 3 and 4 as one order: does `a` show before `b`? */
function before (a: DevicePresence, b: DevicePresence): boolean {
  const manualA = a.source === 'manual'
  const manualB = b.source === 'manual'
  if (manualA !== manualB) return manualA
  if (!manualA && AVAILABILITY_RANK[a.status] !== AVAILABILITY_RANK[b.status]) return AVAILABILITY_RANK[a.status] > AVAILABILITY_RANK[b.status]
  if (a.issuedAt !== b.issuedAt) return a.issuedAt > b.issuedAt
  return a.device < b.device
}

export function composePresence (devices: readonly DevicePresence[], now: number): ComposedPresence {
  const detail = devices.map(d => ({ ...d, live: isLive(d, now) }))
  let winner: DevicePresence | undefined
  for (const d of detail) if (d.live && (winner == null || before(d, winner))) winner = d
  if (winner == null) return { status: 'offline', manual: false, devices: detail }
  return {
    status: winner.status,
    device: winner.device,
    manual: winner.source === 'manual',
    ...(winner.note != null ? { note: winner.note } : {}),
    ...(winner.activity != null ? { activity: winner.activity } : {}),
    devices: detail
  }
}

/**
 * Who is who in XMPP terms. JID localparts are case-insensitive and base58
 * peer ids are not, so a contact's JID is the base32 CID of its peer id
 * (lowercase, like every CIDv1 in base32): `bafz…@<domain>`. Its resource is
 * the peer id of the device the presence comes from. The owner is
 * `me@<domain>`. Aliases are names only (the roster item's name): renaming
 * someone never changes their JID.
 */
import { peerIdFromCID, peerIdFromString } from '@libp2p/peer-id'
import { parse } from '@xmpp/jid'
import { CID } from 'multiformats/cid'
import type { JID } from '@xmpp/jid'

export type Address =
  | { kind: 'server' }
  | { kind: 'owner', resource?: string }
  | { kind: 'peer', peer: string, resource?: string }
  /** The groups service (XEP-0045 MUC), `groups.<domain>`. */
  | { kind: 'rooms' }
  /** A group as a room, `<group id>@groups.<domain>` (or the name a client made it under); `nick` an occupant of it. */
  | { kind: 'room', group: string, nick?: string }
  /** A room of the groups service that does not exist: joining it makes a group (XEP-0045 §10.1). */
  | { kind: 'new-room', name: string, nick?: string }
  | { kind: 'foreign', reason: string }

/** Group ids are 16 bytes in hex: a room's localpart. */
const GROUP_ID = /^[0-9a-f]{32}$/

/** Rooms clients made under names of their own (room-names.ts). */
export interface NamedRooms {
  groupOf: (name: string) => string | undefined
  nameOf: (group: string) => string | undefined
}

export class JidMapper {
  readonly ownerBare: string

  constructor (readonly domain: string, readonly username: string, private readonly named?: NamedRooms) {
    this.ownerBare = `${username}@${domain}`
  }

  /** The bare JID of a peer id. */
  bareOf (peer: string): string {
    return `${peerLocalpart(peer)}@${this.domain}`
  }

  /** The full JID of a device of a peer (today the peer itself). */
  fullOf (peer: string, device: string = peer): string {
    return `${this.bareOf(peer)}/${device}`
  }

  ownerFull (resource: string): string {
    return `${this.ownerBare}/${resource}`
  }

  /** The groups service: every group is a room of it. */
  get rooms (): string {
    return `groups.${this.domain}`
  }

  roomOf (group: string): string {
    return `${this.named?.nameOf(group) ?? group}@${this.rooms}`
  }

  occupantOf (group: string, nick: string): string {
    return `${this.roomOf(group)}/${nick}`
  }

  /** What a `to` (or `jid`) a client wrote stands for. Absent means the owner's account. */
  resolve (jid: string | undefined): Address {
    if (jid == null || jid === '') return { kind: 'owner' }
    let parsed: JID
    try {
      parsed = parse(jid)
    } catch {
      return { kind: 'foreign', reason: 'not a JID' }
    }
    if (parsed.domain === this.rooms) {
      if (parsed.local === '' || parsed.local == null) return parsed.resource !== '' ? { kind: 'foreign', reason: 'no such resource' } : { kind: 'rooms' }
      const nick = parsed.resource !== '' ? parsed.resource : undefined
      const group = this.named?.groupOf(parsed.local) ?? (GROUP_ID.test(parsed.local) ? parsed.local : undefined)
      return group != null ? { kind: 'room', group, nick } : { kind: 'new-room', name: parsed.local, nick }
    }
    if (parsed.domain !== this.domain) return { kind: 'foreign', reason: `only ${this.domain} and ${this.rooms} are served here` }
    if (parsed.local === '' || parsed.local == null) return parsed.resource !== '' ? { kind: 'foreign', reason: 'no such resource' } : { kind: 'server' }
    const resource = parsed.resource !== '' ? parsed.resource : undefined
    if (parsed.local === this.username.toLowerCase()) return { kind: 'owner', resource }
    const peer = peerOfLocalpart(parsed.local)
    if (peer == null) return { kind: 'foreign', reason: `${parsed.local} is not a peer id in base32 CID form (bafz…)` }
    return { kind: 'peer', peer, resource }
  }
}

/** The localpart of a peer id: its CID in base32. */
export function peerLocalpart (peer: string): string {
  return peerIdFromString(peer).toCID().toString()
}

/** The peer id (base58 string) a localpart names, if it is a peer id's CID. */
export function peerOfLocalpart (local: string): string | undefined {
  try {
    return peerIdFromCID(CID.parse(local.toLowerCase())).toString()
  } catch {
    return undefined
  }
}

/** A JID without its resource, as @xmpp/jid writes it (lowercased localpart and domain). */
export function bareJid (jid: string): string {
  return parse(jid).bare().toString()
}

/** What a PresenceNode is started with (PresenceNode.start). */
import type { ChatServiceInit } from './chat/index.js'
import type { ContactsServiceInit } from './contacts/index.js'
import type { DevicesInit } from './devices/index.js'
import type { GroupsServiceInit } from './groups/index.js'
import type { NodeOptions } from './libp2p.js'
import type { PresenceServiceInit } from './presence/index.js'
import type { RosterInit } from './roster/index.js'
import type { XmppServerInit } from './xmpp/index.js'

export interface PresenceNodeOptions {
  home: string
  /** Listen multiaddrs; default from config.json, else DEFAULT_LISTEN. */
  listen?: string[]
  /** Bootstrap multiaddrs, added to those of config.json and PRESENCE_MESH_BOOTSTRAP. */
  bootstrap?: string[]
  presence?: PresenceServiceInit
  /** The direct presence path; false sends every record by gossip. */
  notify?: NodeOptions['notify']
  chat?: ChatServiceInit
  groups?: GroupsServiceInit
  /** The visibility a new home starts with (default PRESENCE_MESH_VISIBILITY, else contacts). */
  roster?: Pick<RosterInit, 'defaultVisibility'>
  contacts?: ContactsServiceInit
  /** This device's name when it starts without a device list (default: the host name). */
  devices?: DevicesInit
  /** Many nodes on one host (tests, benchmarks). */
  sharedHost?: boolean
  /** Serve as a circuit relay for others (CLI --relay). */
  relay?: boolean
  /** Overrides RELAY_LIMITS for a relay (tests). */
  relayLimits?: NodeOptions['relayLimits']
  /** DHT client mode: query, never answer (CLI --dht-client). */
  dhtClientMode?: boolean
  /**
   * mDNS discovery on the LAN (CLI --no-mdns turns it off). Default on, except with sharedHost
   * (tests, benchmarks) or PRESENCE_MESH_MDNS=off.
   */
  mdns?: NodeOptions['mdns']
  /** Put this node's presence record in the DHT for fetchers (default true). */
  publishPresence?: boolean
  /** Connection cap; default CONNECTION_LIMITS.maxConnections (64). Public bootstrap/relay nodes raise it. */
  maxConnections?: number
  /** Dial the most recently connected known peers at start (default true). */
  rejoin?: boolean
  /** Open the control socket in the home directory (default true). */
  control?: boolean
  /** Passed to libp2p: refuses connections to chosen peers (tests, the chaos run). */
  connectionGater?: NodeOptions['connectionGater']
  /** Serve the owner's XMPP client (CLI --xmpp); docs/xmpp.md. */
  xmpp?: XmppServerInit
}

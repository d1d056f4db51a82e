/**
 * The single libp2p factory: every node, CLI or test, is wired here.
 */
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { identify } from '@libp2p/identify'
import { kadDHT } from '@libp2p/kad-dht'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { mdns } from '@libp2p/mdns'
import { ping } from '@libp2p/ping'
import { createLibp2p } from 'libp2p'
import { DHT_PROTOCOL } from '../protocol/dht-presence.js'
import { chat } from './chat/index.js'
import { contacts } from './contacts/index.js'
import { contactSync } from './devices/contact-sync.js'
import { devices } from './devices/index.js'
import { groups } from './groups/index.js'
import { instanceGuard } from './instance/index.js'
import { leanNoise, leanYamux } from './lean-transport.js'
import { tcpTransport } from './tcp-dial.js'
import { locator, LocatorDhtRules } from './locator/index.js'
import { migrate } from './migrations.js'
import { presenceNotify } from './notify/index.js'
import { roster, RosterStore } from './roster/index.js'
import { blockGater, combineGaters } from './roster/gater.js'
import { admissionGater, privateIdentify, privateIdentifyPush, reach, ReachPolicy, relayAnswers } from './reach/index.js'
import { DhtAddressPolicy, dhtPrivacy } from './discovery/dht-privacy.js'
import { DHT_DATASTORE_PREFIX, IDENTIFY_TIMEOUT_MS, MDNS_SERVICE_TAG } from './discovery/constants.js'
import { autoNAT } from './discovery/autonat.js'
import { bootstrapDialer, dhtMode, dhtRoutingRepair, dhtTableFill, discovery, lanOnly, mdnsDialer, rejoin, relayReservations } from './discovery/index.js'
import { stopLeftovers } from './stop-leftovers.js'
import { holePunch } from './discovery/hole-punch.js'
import { dhtPresence, presence, PresenceDhtRules } from './presence/index.js'
import { presenceQuery } from './presence/query.js'
import { createPubsub } from './pubsub.js'
import { guardReservations } from './relay-server.js'
import type { ChatService, ChatServiceInit } from './chat/index.js'
import type { ContactsService, ContactsServiceInit } from './contacts/index.js'
import type { ContactSync } from './devices/contact-sync.js'
import type { DevicesInit, DevicesService } from './devices/index.js'
import type { GroupsService, GroupsServiceInit } from './groups/index.js'
import type { InstanceGuard } from './instance/index.js'
import type { Locator } from './locator/index.js'
import type { PresenceNotify, PresenceNotifyInit } from './notify/index.js'
import type { Reach } from './reach/index.js'
import type { Roster, RosterInit } from './roster/index.js'
import type { BootstrapDialer, DiscoveryService, MdnsDialer, Rejoin, RelayReservations } from './discovery/index.js'
import type { HolePunch } from './discovery/hole-punch.js'
import type { DhtPresenceService, PresenceService, PresenceServiceInit } from './presence/index.js'
import type { PresenceQuery } from './presence/query.js'
import type { PubSub } from './pubsub.js'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { Identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { Datastore } from 'interface-datastore'

export type PresenceServices = {
  identify: Identify
  ping: Ping
  pubsub: PubSub
  roster: Roster
  /** Unless built with `notify: false`. */
  presenceNotify?: PresenceNotify
  presence: PresenceService
  presenceQuery: PresenceQuery
  chat: ChatService
  contacts: ContactsService
  groups: GroupsService
  /** This person's devices: the device list, linking, revoking (docs/protocol.md §14). */
  devices: DevicesService
  /** Contacts follow the person across their devices (docs/protocol.md §14.10). */
  contactSync: ContactSync
  reach: Reach
  dht: KadDHT
  locator: Locator
  discovery: DiscoveryService
  bootstrapDialer: BootstrapDialer
  rejoin: Rejoin
  /** Not on a relay (--relay): it has no use for slots on others. */
  relayReservations?: RelayReservations
  /** Only with mDNS on. */
  mdnsDialer?: MdnsDialer
  dhtPresence: DhtPresenceService
  holePunch: HolePunch
  /** Notices another live node with this node's key (docs/protocol.md §13). */
  instance: InstanceGuard
}

export type PresenceLibp2p = Libp2p<PresenceServices>

/**
 * Connection limits for a personal node (documented in docs/operations.md).
 * kad-dht dials every peer a lookup returns, so without a cap a node on a
 * sparse mesh ends up connected to most of it; above maxConnections the
 * pruner closes the least valuable connections (untagged first; watched
 * presentities, bootstrap and the DHT's closest peers are tagged).
 */
export const CONNECTION_LIMITS = {
  maxConnections: 64,
  maxIncomingPendingConnections: 16,
  maxDialQueueLength: 100,
  maxParallelDials: 20,
  /** A peer advertising dozens of addresses must not eat the dial budget. */
  maxPeerAddrsToDial: 8,
  dialTimeout: 10_000
}

/**
 * libp2p pings every connection every 10 s and by default aborts one whose
 * ping fails: not answered within an adaptive timeout (5 s at first), or
 * reset by the other side, whose own protocol negotiation and ping handler
 * give up after 10 s, or refused because an earlier ping stream of the
 * connection is still open. A node whose event loop stalls for seconds (a
 * busy or starved machine: the chaos run measured stalls of 2-5 s) then loses
 * working links, redials, stalls more and loses more: 30 nodes on a loaded
 * 2-core machine aborted about a thousand connections in 100 s and never
 * converged; without the aborts they converged in 72 s. So a failed ping only
 * measures: a link that died without closing (a NAT that forgot it, a machine
 * that vanished) is noticed where it matters, by the follow of a watched
 * presentity whose records stop (two record lifetimes, discovery/follow.ts),
 * and on every connection by the muxer's keep-alive ping, which needs no
 * stream and gives up only after 45 s (node/lean-transport.ts KEEPALIVE).
 *
 * And with nothing aborted, the monitor is off altogether: all it still did
 * was write `connection.rtt`, which nothing reads, at the price of a ping
 * stream per connection every 10 s, each a stream negotiation and a
 * peer-store write (libp2p records the protocol of every stream) at both
 * ends: 600 streams and LevelDB writes a minute for a node with 50 contacts
 * online, more than anything else it did while idle (presence.scale).
 */
export const CONNECTION_MONITOR = {
  enabled: false
}
/** A ping of the connection monitor and one of ours (PresenceNode.connect) may overlap: the ping service allows 1 outbound stream by default. */
export const PING_STREAMS = { maxInboundStreams: 4, maxOutboundStreams: 4 }

/**
 * Identify allows one stream each way per connection by default, so its run
 * again (node/reach/identify.ts) is refused while a first stream the peer
 * never answered is still open; under load a connection then stayed without
 * identify, and a new peer without gossip, for tens of seconds (the chaos run).
 */
export const IDENTIFY_STREAMS = { maxInboundStreams: 2, maxOutboundStreams: 2 }

/**
 * The peer store forgets addresses after an hour by default, which would
 * leave a node restarted the next day with nobody to dial. Keep them a week.
 */
export const PEER_STORE_LIMITS = {
  maxAddressAge: 7 * 24 * 3600_000,
  maxPeerAge: 30 * 24 * 3600_000
}

/** What a relay grants: see RELAY_LIMITS. */
export interface RelayLimits {
  /** Clients holding a slot at once; more are refused. */
  maxReservations: number
  /** A slot lasts this long unless its holder renews it (clients renew 5 minutes before the end, at least 30 s after reserving). */
  reservationTtl: number
  /** A relayed connection is cut after this many ms (the relay counts milliseconds; see docs/operations.md). */
  defaultDurationLimit: number
  /** ...or once this many bytes crossed it, both directions together. */
  defaultDataLimit: bigint
}

/**
 * What a relay (--relay) grants, sized for presence and chat
 * (docs/operations.md has the measurements). A pair that stays relayed (a
 * symmetric NAT on either side) reconnects through the relay at once when a
 * limit cuts their connection (the follow loop in discovery) and chat
 * resends what was not acknowledged. A reservation of a user who left
 * holds its slot until it expires: 30 minutes, renewed by its holder 5
 * minutes before the end.
 */
export const RELAY_LIMITS: RelayLimits = {
  maxReservations: 128,
  reservationTtl: 30 * 60_000,
  defaultDurationLimit: 2 * 60_000,
  defaultDataLimit: 1n << 20n
}

/** What every node built here can do: its capabilities category says so (docs/protocol.md §10.2). */
export const NODE_FEATURES = ['chat', 'receipts', 'typing', 'query']

export interface NodeOptions {
  privateKey: PrivateKey
  datastore: Datastore
  listen: string[]
  bootstrap?: string[]
  presence?: PresenceServiceInit
  /** The direct presence path (node/notify); false leaves it out (every record goes by gossip). */
  notify?: PresenceNotifyInit | false
  chat?: ChatServiceInit
  groups?: GroupsServiceInit
  /** Tuning for many nodes on one host (tests, benchmarks): see PubsubOptions. */
  sharedHost?: boolean
  roster?: Pick<RosterInit, 'defaultVisibility'>
  contacts?: ContactsServiceInit
  devices?: DevicesInit
  /**
   * Serve as a circuit relay v2 for others (a reachable node, e.g. a public
   * bootstrap node). A relay is infrastructure: it also serves the DHT and
   * admits every peer but blocked ones, whatever its user's visibility.
   */
  relay?: boolean
  /** Overrides RELAY_LIMITS for a relay (tests cross the limits in seconds instead of minutes). */
  relayLimits?: Partial<RelayLimits>
  /** Only query the DHT, never answer (a node that is not reachable, or on a metered link). */
  dhtClientMode?: boolean
  /** Discover peers on the LAN by mDNS (default true here; PresenceNode turns it off for sharedHost and PRESENCE_MESH_MDNS=off). */
  mdns?: boolean | { serviceTag?: string, interval?: number }
  /** Put this node's presence record in the DHT for fetchers (default true). */
  publishPresence?: boolean
  /** Overrides CONNECTION_LIMITS.maxConnections (a public bootstrap/relay node wants more). */
  maxConnections?: number
  /** Dial the most recently connected peers of the peer store at start (default true). */
  rejoin?: boolean
  /** Refuses connections to chosen peers (the chaos run partitions the mesh with it; the relay test forces a relay). Blocked peers are refused in any case. */
  connectionGater?: ConnectionGater
  /** Start the node before returning it (default true; PresenceNode starts it once it listens to the services' events). */
  start?: boolean
}

export async function createPresenceLibp2p (opts: NodeOptions): Promise<PresenceLibp2p> {
  const mdnsOn = opts.mdns !== false
  const mdnsInit = typeof opts.mdns === 'object' ? opts.mdns : {}
  const dhtRules = new PresenceDhtRules(opts.datastore, opts.presence?.maxClockSkewMs)
  const locatorRules = new LocatorDhtRules()
  await migrate(opts.datastore)
  // read before libp2p exists: the gater refuses blocked peers from the first connection on
  const rosterStore = await RosterStore.open(opts.datastore, opts.roster?.defaultVisibility)
  // a node that is neither public nor a relay never serves the DHT, from its first connection on
  const dhtClientMode = opts.dhtClientMode === true || (rosterStore.visibility().mode !== 'public' && opts.relay !== true)
  // who may connect and learn our addresses: the gater and identify ask it, the reach service decides
  const reachPolicy = new ReachPolicy()
  // kad-dht needs its peerInfoMapper up front; the dhtPrivacy service owns the rest of the policy
  const dhtPolicy = new DhtAddressPolicy(peerIdFromPrivateKey(opts.privateKey), DHT_PROTOCOL)
  const node = await createLibp2p({
    start: false,
    privateKey: opts.privateKey,
    datastore: opts.datastore,
    addresses: { listen: opts.listen },
    // a dial's abort signal ends with the dial: node/tcp-dial.ts
    transports: [tcpTransport(), circuitRelayTransport()],
    connectionEncrypters: [leanNoise()],
    streamMuxers: [leanYamux()],
    connectionGater: blockGater(peer => rosterStore.isBlocked(peer), combineGaters(admissionGater(reachPolicy), opts.connectionGater ?? {})),
    peerStore: PEER_STORE_LIMITS,
    connectionMonitor: CONNECTION_MONITOR,
    connectionManager: {
      ...CONNECTION_LIMITS,
      ...(opts.maxConnections != null ? { maxConnections: opts.maxConnections } : {}),
      // many local peers (tests, a LAN party) connect from one address at once
      inboundConnectionThreshold: opts.sharedHost === true ? 1000 : 20
    },
    services: {
      // our addresses go only to those the reach service shows them to (node/reach/identify.ts)
      identify: privateIdentify(reachPolicy, { timeout: IDENTIFY_TIMEOUT_MS, ...IDENTIFY_STREAMS }),
      // tells them (and through them the DHT) when our addresses change, e.g. a new relay slot
      identifyPush: privateIdentifyPush(reachPolicy),
      // libp2p's connection monitor pings every connection; with one outbound ping stream allowed, a
      // ping of ours (PresenceNode.connect) or the monitor's last one still closing would be refused
      ping: ping(PING_STREAMS),
      pubsub: createPubsub({ sharedHostMesh: opts.sharedHost }),
      roster: roster({ ...opts.roster, store: rosterStore }),
      // another live node with our key: the later one stops (node/instance)
      instance: instanceGuard(),
      // presence reads the direct path as a component, so it comes first
      ...(opts.notify !== false ? { presenceNotify: presenceNotify(opts.notify) } : {}),
      presence: presence({ capabilities: { features: NODE_FEATURES }, ...opts.presence }),
      presenceQuery: presenceQuery(),
      chat: chat(opts.chat),
      contacts: contacts(opts.contacts),
      groups: groups(opts.groups),
      // own devices and live link codes' intake identities are admitted, revoked devices refused (reach asks it)
      devices: devices(opts.devices),
      contactSync: contactSync(),
      reach: reach({ policy: reachPolicy, open: opts.relay === true, createIntakeNode: createIntakeLibp2p }),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        // LAN and loopback addresses are what a private mesh runs on, but only
        // DHT servers' addresses are given out: see node/discovery/dht-privacy.ts
        peerInfoMapper: dhtPolicy.map,
        clientMode: dhtClientMode,
        datastorePrefix: DHT_DATASTORE_PREFIX,
        validators: { ...dhtRules.validators, ...locatorRules.validators },
        selectors: { ...dhtRules.selectors, ...locatorRules.selectors }
      }),
      dhtPrivacy: dhtPrivacy({ policy: dhtPolicy }),
      dhtMode: dhtMode({ clientOnly: opts.dhtClientMode, alwaysServe: opts.relay === true }),
      dhtRoutingRepair: dhtRoutingRepair({ protocol: DHT_PROTOCOL }),
      // a small routing table asks the DHT again when a server joins it (kad-dht's self-query runs once, then every 5 minutes)
      dhtTableFill: dhtTableFill(),
      locator: locator({ rules: locatorRules }),
      discovery: discovery(),
      bootstrapDialer: bootstrapDialer({ list: opts.bootstrap }),
      rejoin: rejoin({ dialAtStart: opts.rejoin }),
      ...(opts.relay !== true ? { relayReservations: relayReservations() } : {}),
      // what js-libp2p leaves armed at stop (node/stop-leftovers.ts)
      stopLeftovers: stopLeftovers(),
      dhtPresence: dhtPresence({ rules: dhtRules, publish: opts.publishPresence, maxClockSkewMs: opts.presence?.maxClockSkewMs }),
      // dial-backs that dial (node/discovery/autonat.ts: the library's closed the asker's connection)
      autoNAT: autoNAT(),
      dcutr: dcutr(),
      // what DCUtR cannot do over TCP in Node: see node/discovery/hole-punch.ts
      holePunch: holePunch(),
      // a relay answers a refused connection as for a node that is not there (node/reach/relay-answers.ts)
      ...(opts.relay === true ? { relay: circuitRelayServer({ reservations: { ...RELAY_LIMITS, ...opts.relayLimits } }), relayAnswers: relayAnswers() } : {}),
      // the dialer listens to the mdns service, so it comes after it; only the dialer listens (lanOnly)
      ...(mdnsOn ? { mdns: lanOnly(mdns({ serviceTag: MDNS_SERVICE_TAG, ...mdnsInit })), mdnsDialer: mdnsDialer() } : {})
    }
  }) as PresenceLibp2p
  const relay = (node.services as { relay?: CircuitRelayService }).relay
  if (relay != null) guardReservations(relay)
  if (opts.start !== false) await node.start()
  return node
}

/**
 * The short-lived node a requester delivers a contact request with, through
 * the intake identity of the recipient's contact code (node/reach/intake.ts):
 * it dials (directly or through a relay), never listens, serves nothing.
 */
export async function createIntakeLibp2p (privateKey: PrivateKey): Promise<Libp2p> {
  return await createLibp2p({
    privateKey,
    start: false,
    addresses: { listen: [] },
    transports: [tcpTransport(), circuitRelayTransport()],
    connectionEncrypters: [leanNoise()],
    streamMuxers: [leanYamux()],
    services: { identify: identify({ runOnConnectionOpen: false }) }
  })
}

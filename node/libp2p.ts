/**
 * The single libp2p factory: every node, CLI or test, is wired here.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { bootstrap } from '@libp2p/bootstrap'
import { identify } from '@libp2p/identify'
import { KEEP_ALIVE } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { chat } from './chat/index.js'
import { BlockList, contacts } from './contacts/index.js'
import { presence } from './presence/index.js'
import { createPubsub } from './pubsub.js'
import type { ChatService, ChatServiceInit } from './chat/index.js'
import type { ContactsService, ContactsServiceInit } from './contacts/index.js'
import type { PresenceService, PresenceServiceInit } from './presence/index.js'
import type { PubSub } from './pubsub.js'
import type { Identify } from '@libp2p/identify'
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Datastore } from 'interface-datastore'

export type PresenceServices = {
  identify: Identify
  ping: Ping
  pubsub: PubSub
  presence: PresenceService
  chat: ChatService
  contacts: ContactsService
}

export type PresenceLibp2p = Libp2p<PresenceServices>

/** Connection limits for a personal node (documented in docs/architecture.md). */
export const CONNECTION_LIMITS = {
  maxConnections: 64,
  maxIncomingPendingConnections: 16,
  maxDialQueueLength: 100,
  maxParallelDials: 20
}

export interface NodeOptions {
  privateKey: PrivateKey
  datastore: Datastore
  listen: string[]
  bootstrap?: string[]
  presence?: PresenceServiceInit
  chat?: ChatServiceInit
  /** Tuning for many nodes on one host (tests, benchmarks): see PubsubOptions. */
  sharedHost?: boolean
  contacts?: Omit<ContactsServiceInit, 'blockList' | 'locatorRules' | 'dhtServerWhenPublic'>
  /** Refuses connections to chosen peers (the chaos run partitions the mesh with it). */
  connectionGater?: ConnectionGater
}

export async function createPresenceLibp2p (opts: NodeOptions): Promise<PresenceLibp2p> {
  const bootstrapList = opts.bootstrap ?? []
  // read before libp2p exists: the gater refuses blocked peers from the first connection on
  const blockList = await BlockList.load(opts.datastore)
  return await createLibp2p({
    privateKey: opts.privateKey,
    datastore: opts.datastore,
    addresses: { listen: opts.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: bootstrapList.length > 0
      ? [bootstrap({
          list: bootstrapList,
          timeout: 0,
          // keep-alive tagged peers are redialled by libp2p when the link drops
          tagName: `${KEEP_ALIVE}-bootstrap`
        })]
      : [],
    // blocked peers are refused whatever else the caller's gater says
    connectionGater: blockList.gater(opts.connectionGater),
    connectionManager: {
      ...CONNECTION_LIMITS,
      // many local peers (tests, a LAN party) connect from one address at once
      inboundConnectionThreshold: opts.sharedHost === true ? 1000 : 20
    },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: createPubsub({ sharedHostMesh: opts.sharedHost }),
      presence: presence(opts.presence),
      // after presence: services receive the ones before them as components
      chat: chat(opts.chat),
      contacts: contacts({ ...opts.contacts, blockList })
    }
  })
}

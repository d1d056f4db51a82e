/**
 * What the engine's unit tests share: two fixed identities, a datastore whose
 * commits can be held or made to fail, and a group of A with B as a member.
 */
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { logger } from '@libp2p/logger'
import { MemoryDatastore } from 'datastore-core'
import { GroupEngine } from '../../../node/groups/group-engine.js'
import { PairKeyring } from '../../../node/roster/pair-keyring.js'
import { MembershipLog } from '../../../protocol/group-log.js'
import { sealGroupOp } from '../../../protocol/group-op.js'
import type { EngineComponents } from '../../../node/groups/group-engine.js'
import type { GroupStore } from '../../../node/groups/group-store.js'
import type { GroupOp } from '../../../protocol/group-op.js'
import type { Batch, Key } from 'interface-datastore'

export function identity (fill: number): { key: ReturnType<typeof privateKeyFromRaw>, peer: ReturnType<typeof peerIdFromPrivateKey>, keyring: PairKeyring } {
  const seed = new Uint8Array(32).fill(fill)
  const key = privateKeyFromRaw(Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]))
  const peer = peerIdFromPrivateKey(key)
  return { key, peer, keyring: new PairKeyring(peer, key) }
}
export const [A, B] = [identity(1), identity(2)]

/** A datastore whose batch commits wait for `gate` (one never opened: the process ended first) and fail while `failing` is set. */
export class GatedDatastore extends MemoryDatastore {
  gate?: Promise<void>
  failing = false
  override batch (): Batch {
    const inner = super.batch()
    return {
      put: (key: Key, value: Uint8Array) => { inner.put(key, value) },
      delete: (key: Key) => { inner.delete(key) },
      commit: async () => {
        await this.gate
        if (this.failing) throw new Error('disk full')
        await inner.commit()
      }
    }
  }
}

/** The ops of `group`: A creates it and invites B, who joins. */
export function groupOfAAndB (group: Uint8Array): GroupOp[] {
  const all = [sealGroupOp({ group, kind: 'create', name: 'g', parents: [], createdAt: 1 }, A.key)]
  const add = (key: typeof A.key, f: Record<string, unknown>): void => {
    const l = new MembershipLog(all[0].id)
    for (const o of all) l.add(o)
    all.push(sealGroupOp({ ...f, group, parents: l.heads(), createdAt: 1 } as any, key))
  }
  add(A.key, { kind: 'invite', target: B.peer.toString() })
  add(B.key, { kind: 'join' })
  return all
}

/** B's engine over `store`, loaded, with no network (no connection, nobody hears what it publishes). */
export async function offlineEngineOfB (store: GroupStore): Promise<GroupEngine> {
  const components = {
    peerId: B.peer,
    privateKey: B.key,
    pubsub: { topicValidators: new Map(), subscribe: () => {}, unsubscribe: () => {}, publish: async () => ({ recipients: [] }) },
    roster: { keysFor: (p: string) => B.keyring.keysFor(p), isBlocked: () => false },
    connectionManager: { getConnections: () => [], openStream: async () => { throw new Error('no network') } }
  } as unknown as EngineComponents
  const engine = new GroupEngine(components, store, { messages: () => {}, changes: () => {}, states: () => {} }, logger('test:groups'), 600)
  await engine.load()
  return engine
}

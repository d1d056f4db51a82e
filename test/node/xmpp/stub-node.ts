/**
 * A node API with nobody on it, for tests of the endpoint's streams and
 * limits (the mesh side is tested in endpoint.test.ts with real nodes).
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import type { PresenceNodeApi, PresenceNodeEvents } from '../../../node/api.js'
import type { SelfPresence } from '../../../node/presence/index.js'
import type { PresenceUpdate } from '../../../protocol/presence-record.js'

export class StubNode extends TypedEventEmitter<PresenceNodeEvents> {
  presence: PresenceUpdate & { seq: bigint } = { status: 'online', seq: 1n }
  self = (): SelfPresence => ({ ...this.presence, auto: false, manual: { ...this.presence }, awayAfterMs: null })
  setPresence = async (update: PresenceUpdate): Promise<void> => { this.presence = { ...update, seq: this.presence.seq + 1n } }
  reportActivity = (): void => {}
  who = (): [] => []
  contacts = (): [] => []
  blocked = (): [] => []
  contactRequests = (): { incoming: [], outgoing: [] } => ({ incoming: [], outgoing: [] })
  person = (): undefined => undefined
  presenceOf = (): undefined => undefined
  isBlocked = (): boolean => false
  history = async (): Promise<[]> => []
  conversation = async (): Promise<[]> => []
  groups = (): [] => []
  groupInvitations = (): [] => []
}

export const stubComponents = (home: string): { node: PresenceNodeApi, logger: ReturnType<typeof defaultLogger>, home: string } =>
  ({ node: new StubNode() as unknown as PresenceNodeApi, logger: defaultLogger(), home })

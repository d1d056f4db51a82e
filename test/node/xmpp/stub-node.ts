/**
 * A node API with nobody on it, for tests of the endpoint's streams and
 * limits (the mesh side is tested in endpoint.test.ts with real nodes).
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { xmppServer } from '../../../node/xmpp/index.js'
import { testClient } from './client.js'
import type { TestClient } from './client.js'
import type { PresenceNodeApi, PresenceNodeEvents } from '../../../node/api.js'
import type { SelfPresence } from '../../../node/presence/index.js'
import type { PresenceUpdate } from '../../../protocol/presence-record.js'
import type { XmppServer } from '../../../node/xmpp/index.js'

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

/** Endpoints over stub nodes, each with a real client logged in; `closeAll` ends them all (after each test). */
export class StubEndpoints {
  private readonly open: Array<{ server: XmppServer, client?: TestClient }> = []

  /** An endpoint on `home` over a stub node that `setUp` fills in, and a client logged in to it. */
  async start (home: string, setUp: (node: any) => void): Promise<{ server: XmppServer, client: TestClient }> {
    const components = stubComponents(home)
    setUp(components.node)
    const server = xmppServer({ listen: '127.0.0.1:0' })(components)
    const entry: { server: XmppServer, client?: TestClient } = { server }
    this.open.push(entry)
    await server.start()
    const client = entry.client = testClient(server.info())
    await client.xmpp.start()
    return { server, client }
  }

  async closeAll (): Promise<void> {
    for (const { server, client } of this.open.splice(0)) {
      await client?.xmpp.stop().catch(() => {})
      await server.stop()
    }
  }
}

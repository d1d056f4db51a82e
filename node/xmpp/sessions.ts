/**
 * The owner's bound resources and what each asked for: whether it is
 * available (sent presence), its priority, and whether it wants roster and
 * block-list pushes. Plus the context every stanza handler shares.
 */
import { randomBytes } from 'node:crypto'
import type { OwnerSession } from './connection.js'
import type { JidMapper } from './jid.js'
import type { PresenceNodeApi } from '../api.js'
import type { Logger } from '@libp2p/interface'
import type { Element } from '@xmpp/xml'

export interface SessionState {
  readonly session: OwnerSession
  /** Sent available presence (and not unavailable since). */
  available: boolean
  /** RFC 6121 §4.7.2.3: messages to the bare JID go to resources with priority >= 0. */
  priority: number
  /** Asked for the roster: gets roster pushes. */
  roster: boolean
  /** Asked for the block list: gets block pushes (XEP-0191 §3.5). */
  blocklist: boolean
  /** Enabled message carbons (XEP-0280): gets copies of what the owner's other clients send. */
  carbons: boolean
  /** The last available presence it sent (show and status). */
  show?: string
  status?: string
}

export class Sessions {
  private readonly byResource = new Map<string, SessionState>()

  /** Binds a resource: the one asked for (replacing whoever holds it), or a fresh one. */
  bind (session: OwnerSession, requested: string | undefined): string {
    const resource = requested ?? `pm-${randomBytes(6).toString('hex')}`
    this.byResource.get(resource)?.session.close('conflict', 'replaced by a new login with the same resource')
    this.byResource.set(resource, { session, available: false, priority: 0, roster: false, blocklist: false, carbons: false })
    return resource
  }

  /** Forgets a closed resource; returns its state if it was the one bound. */
  unbind (session: OwnerSession): SessionState | undefined {
    const state = this.byResource.get(session.resource)
    if (state?.session !== session) return undefined
    this.byResource.delete(session.resource)
    return state
  }

  get (session: OwnerSession): SessionState | undefined {
    const state = this.byResource.get(session.resource)
    return state?.session === session ? state : undefined
  }

  all (): SessionState[] {
    return [...this.byResource.values()]
  }

  available (): SessionState[] {
    return this.all().filter(s => s.available)
  }

  /** Available resources that take messages sent to the bare JID. */
  messageable (): SessionState[] {
    return this.available().filter(s => s.priority >= 0)
  }

  /** Sends what `build` makes for each chosen resource (addressed to its full JID). */
  sendTo (states: SessionState[], build: (to: string) => Element): void {
    for (const s of states) s.session.send(build(s.session.fullJid))
  }
}

/** What every stanza handler works with. */
export interface XmppContext {
  node: PresenceNodeApi
  jids: JidMapper
  sessions: Sessions
  log: Logger
}

/** The person a device belongs to: a contact's texts, typing, receipts and invitations come from their person's JID. */
export function personOf (node: Pick<PresenceNodeApi, 'person'>, peer: string): string {
  return node.person(peer)?.id ?? peer
}

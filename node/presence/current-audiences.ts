/**
 * Who gets this node's presence now, and when that may have changed. The
 * presence service recomputes the audiences when it follows the roster; in
 * between, anything that may change who sees what (a roster change, where a
 * category is published, which categories exist) is counted here at once,
 * so an announcement that waited checks its audiences again before it sends
 * (docs/architecture.md, "The path of one presence change"), and the direct
 * path forgets what it last sent whoever sees otherwise now.
 */
import { audiencesOf, PUBLIC_AUDIENCE_ID, sameAudience } from './audience.js'
import type { Audience, Publication } from './audience.js'
import type { DirectPath } from './direct-path.js'
import type { Roster } from '../roster/index.js'
import type { PeerId } from '@libp2p/interface'

export class CurrentAudiences {
  /** The audiences as last computed (followed). */
  list: Audience[] = []
  /** Changes of who sees what so far; `listAt`: the count `list` was computed at. */
  private changes = 0
  private listAt = 0

  constructor (
    private readonly roster: Roster,
    private readonly self: PeerId,
    private readonly publication: () => Publication,
    private readonly direct: DirectPath
  ) {}

  /** The audiences now, from the roster, and the change count they reflect (for `set`). */
  compute (): { audiences: Audience[], at: number } {
    return { at: this.changes, audiences: audiencesOf(this.roster, this.self, this.publication()) }
  }

  set (audiences: Audience[], at: number): void {
    this.list = audiences
    this.listAt = at
  }

  /** The contacts among the audiences subscribed to their pair topic now (by gossipsub's `subscribers`). */
  subscribed (subscribers: (topic: string) => PeerId[]): string[] {
    return this.list.filter(a => a.id !== PUBLIC_AUDIENCE_ID && subscribers(a.topic).some(p => p.toString() === a.id)).map(a => a.id)
  }

  find (id: string): Audience | undefined {
    return this.list.find(a => a.id === id)
  }

  /**
   * Who sees what may have changed (for `peers`, or anyone): announcements
   * under way check their audiences again (`still`), and the direct path
   * forgets what it last sent them, so neither a re-subscription nor a
   * broken stream brings those bytes back.
   */
  changed (peers?: string[]): void {
    this.changes++
    this.direct.forget(peers)
  }

  /**
   * `audiences` less those that no longer see this node, or see other
   * categories now, when anything changed since the list was computed: a
   * block, a removal or a narrower view is never answered with a record
   * made for before it (following the roster sends the goodbye, or what
   * they see now).
   */
  still (audiences: Audience[]): Audience[] {
    if (this.changes === this.listAt) return audiences
    const now = new Map(this.compute().audiences.map(a => [a.id, a]))
    return audiences.filter(a => {
      const current = now.get(a.id)
      return current != null && sameAudience(a, current)
    })
  }
}

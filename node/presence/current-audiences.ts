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
import { droppedDevices } from './person-devices.js'
import type { Audience, Publication } from './audience.js'
import type { DirectPath } from './direct-path.js'
import type { Roster, RosterChange } from '../roster/index.js'
import type { PeerId } from '@libp2p/interface'

export class CurrentAudiences {
  /** The audiences as last computed (followed). */
  list: Audience[] = []
  /** Changes of who sees what so far; `listAt`: the count `list` was computed at. */
  private changes = 0
  private listAt = 0
  /** Contact devices their person's list dropped since the audiences were last followed. */
  private readonly dropped = new Set<string>()

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

  /** The contacts (people) with a device among the audiences subscribed to its pair topic now (by gossipsub's `subscribers`). */
  subscribed (subscribers: (topic: string) => PeerId[]): string[] {
    const devices = this.list.filter(a => a.id !== PUBLIC_AUDIENCE_ID && subscribers(a.topic).some(p => p.toString() === a.id))
    return [...new Set(devices.map(a => this.roster.get(a.id)?.id ?? a.id))]
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

  /** A roster change: each device of a changed person is an audience of its own. */
  rosterChanged ({ people, visibility }: RosterChange): void {
    this.changed(visibility != null ? undefined : people.flatMap(p => [p.id, ...p.before?.devices ?? [], ...p.after?.devices ?? []]))
    for (const d of droppedDevices(people)) this.dropped.add(d)
  }

  /**
   * Of the audiences that lost sight, those that get a goodbye: not a device
   * its contact's list dropped (revoked), which gets nothing more (§14.8).
   */
  owedGoodbye (lost: Audience[]): Audience[] {
    const out = lost.filter(a => !this.dropped.has(a.id))
    this.dropped.clear()
    return out
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

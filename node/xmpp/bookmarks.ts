/**
 * The owner's bookmarks (XEP-0048, `storage:bookmarks`, read and written
 * through private storage) as clients see them: every group this node is a
 * member of is a conference bookmark, so a client finds the groups and joins
 * them at login; what clients bookmarked themselves is kept as they stored it.
 *
 * - A group's bookmark carries the group's name now (renaming a bookmark
 *   renames nothing: the room's subject renames the group), the client's
 *   `autojoin` (true until a client says otherwise) and `nick`.
 * - A group's bookmark cannot be removed while this node is a member: a client
 *   that stores the list without it turns its autojoin off instead.
 * - A group this node left or was removed from has no bookmark; what a client
 *   stored for it is kept (a client cannot write it back, not seeing it) and
 *   comes back if the node rejoins.
 * - Names are made fit for XML (a group's name comes from the mesh).
 */
import { xml } from '@xmpp/xml'
import { copyElement, NS, safeText } from './stanzas.js'
import type { JidMapper } from './jid.js'
import type { GroupInfo } from '../groups/index.js'
import type { Element } from '@xmpp/xml'

/** The group a bookmark stands for, if it is a conference on one of the groups service's rooms. */
function groupOf (el: Element, jids: JidMapper): string | undefined {
  if (el.name !== 'conference') return undefined
  const address = jids.resolve(el.attrs.jid)
  return address.kind === 'room' && address.nick == null ? address.group : undefined
}

/** A group's bookmark as this node writes it when no client has said otherwise. */
const groupConference = (g: GroupInfo, jids: JidMapper, autojoin: boolean): Element =>
  xml('conference', { jid: jids.roomOf(g.id), name: safeText(g.name), autojoin: String(autojoin) })

const memberGroups = (groups: GroupInfo[]): Map<string, GroupInfo> => new Map(groups.filter(g => g.standing === 'member').map(g => [g.id, g]))

/** What a client reads: the stored bookmarks with the groups put in. */
export function bookmarksView (stored: Element | undefined, groups: GroupInfo[], jids: JidMapper): Element {
  const member = memberGroups(groups)
  const view = xml('storage', { xmlns: NS.bookmarks })
  const listed = new Set<string>()
  for (const el of stored?.getChildElements() ?? []) {
    const group = groupOf(el, jids)
    if (group == null) {
      view.append(copyElement(el))
      continue
    }
    const g = member.get(group)
    if (g == null || listed.has(group)) continue
    listed.add(group)
    const copy = copyElement(el)
    copy.attrs.jid = jids.roomOf(group)
    copy.attrs.name = safeText(g.name)
    view.append(copy)
  }
  for (const g of member.values()) {
    if (!listed.has(g.id)) view.append(groupConference(g, jids, true))
  }
  return view
}

/**
 * What is stored when a client writes `written` over `before`: its list, each
 * group it left out with autojoin off, and what was stored for groups this
 * node is no member of (the client did not see them).
 */
export function bookmarksToStore (written: Element, before: Element | undefined, groups: GroupInfo[], jids: JidMapper): Element {
  const stored = copyElement(written)
  const member = memberGroups(groups)
  const named = new Set(stored.getChildElements().map(el => groupOf(el, jids)))
  for (const g of member.values()) {
    if (!named.has(g.id)) stored.append(groupConference(g, jids, false))
  }
  for (const el of before?.getChildElements() ?? []) {
    const group = groupOf(el, jids)
    if (group != null && !member.has(group) && !named.has(group)) {
      named.add(group)
      stored.append(copyElement(el))
    }
  }
  return stored
}

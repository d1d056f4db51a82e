/**
 * What a room is asked besides joining and talking: the history a joining
 * client gets (XEP-0045 §7.2.15) and the room's owner form (§10.2).
 */
import { xml } from '@xmpp/xml'
import { errorReply, iqResult, NS, safeText } from './stanzas.js'
import type { PresenceNodeApi } from '../api.js'
import type { GroupInfo, GroupMessage } from '../groups/index.js'
import type { Element } from '@xmpp/xml'

/** Messages of a group's history a client gets when it joins, unless it asks for fewer. */
const JOIN_HISTORY = 20

const ROOM_CONFIG = 'http://jabber.org/protocol/muc#roomconfig'
const ROOM_NAME_FIELD = 'muc#roomconfig_roomname'

/** The history a joining client asked for (XEP-0045 §7.2.15: maxstanzas, maxchars 0, seconds, since), at most JOIN_HISTORY. */
export async function joinHistory (node: PresenceNodeApi, group: string, asked: Element | undefined): Promise<GroupMessage[]> {
  const count = (name: string): number | undefined => {
    const v = Number(asked?.attrs[name])
    return asked?.attrs[name] != null && Number.isInteger(v) && v >= 0 ? v : undefined
  }
  const max = Math.min(count('maxstanzas') ?? JOIN_HISTORY, JOIN_HISTORY)
  if (max === 0 || count('maxchars') === 0) return []
  const seconds = count('seconds')
  const since = asked?.attrs.since != null ? Date.parse(asked.attrs.since) : NaN
  const after = Math.max(seconds != null ? Date.now() - seconds * 1000 : -Infinity, Number.isNaN(since) ? -Infinity : since)
  return (await node.groupHistory(group, max)).filter(m => m.sentAt >= after)
}

/**
 * The room's configuration (XEP-0045 §10.2), which here is only its name:
 * the form shows the group's name, a submitted form renames the group (an
 * admin's), a cancelled one changes nothing. What a room made by joining
 * is (members-only, persistent, not anonymous) is what every group is.
 */
export async function ownerForm (node: PresenceNodeApi, iq: Element, type: 'get' | 'set', payload: Element, group: GroupInfo | undefined): Promise<Element> {
  if (group == null || group.standing !== 'member') return errorReply(iq, 'cancel', 'item-not-found')
  if (group.role !== 'admin') return errorReply(iq, 'auth', 'forbidden', 'only an admin of the group configures its room')
  const form = payload.getChild('x', NS.dataForms)
  if (type === 'get') {
    return iqResult(iq, iq.attrs.to, xml('query', { xmlns: NS.mucOwner },
      xml('x', { xmlns: NS.dataForms, type: 'form' },
        xml('title', {}, 'Group settings'),
        xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, ROOM_CONFIG)),
        xml('field', { var: ROOM_NAME_FIELD, type: 'text-single', label: 'Name of the group' }, xml('value', {}, safeText(group.name))))))
  }
  if (payload.getChild('destroy') != null) return errorReply(iq, 'cancel', 'feature-not-implemented', 'a group cannot be destroyed for its members: leave it instead')
  if (form?.attrs.type === 'submit') {
    const name = form.getChildren('field').find(f => f.attrs.var === ROOM_NAME_FIELD)?.getChildText('value')
    if (name != null && name !== '' && name !== group.name) {
      try {
        await node.renameGroup(group.id, name)
      } catch (err: any) {
        return errorReply(iq, 'modify', 'not-acceptable', String(err?.message ?? err))
      }
    }
    return iqResult(iq, iq.attrs.to)
  }
  if (form?.attrs.type === 'cancel') return iqResult(iq, iq.attrs.to)
  return errorReply(iq, 'modify', 'bad-request', 'a room configuration is a submitted or cancelled data form')
}

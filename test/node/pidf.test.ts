/**
 * PIDF documents: well-formed (read back with the same XML parser the
 * endpoint uses), RFC 3863 structure, RFC 4480 activities, the category
 * mappers as the one place a category is mapped.
 */
import { Parser } from '@xmpp/xml'
import { describe, expect, it } from 'vitest'
import { CATEGORY_MAPPERS, pidfDocument, PIDF_NS, presUri } from '../../node/pidf/index.js'
import type { Element } from '@xmpp/xml'

const PEER = '12D3KooWAnrU16fLHRYk2hp9qEa35RS9iZL1RMwu6iPsfv8SDGtE'

function parse (doc: string): Element {
  const p = new Parser()
  let root: Element | undefined
  let error: Error | undefined
  p.on('start', (el: Element) => { root = el })
  p.on('element', (el: Element) => { root!.append(el) })
  p.on('error', (err: Error) => { error = err })
  p.write(doc)
  if (error != null) throw error
  return root!
}

describe('PIDF', () => {
  it('an away contact with a note and a known activity', () => {
    const root = parse(pidfDocument({ peerId: PEER, status: 'away', note: 'back at 3 <maybe>', activity: 'Lunch', lastSeen: Date.UTC(2025, 0, 2, 3, 4, 5) }))
    expect(root.name).toBe('presence')
    expect(root.attrs).toMatchObject({ xmlns: PIDF_NS.pidf, 'xmlns:dm': PIDF_NS.dm, 'xmlns:rpid': PIDF_NS.rpid, entity: presUri(PEER) })
    expect(root.attrs.entity).toMatch(/^pres:bafz[a-z2-7]+@localhost$/)
    const tuple = root.getChild('tuple')!
    expect(tuple.getChild('status')!.getChildText('basic')).toBe('open')
    expect(tuple.getChildText('timestamp')).toBe('2025-01-02T03:04:05.000Z')
    const person = root.getChild('person', PIDF_NS.dm)!
    expect(person.getChild('activities', PIDF_NS.rpid)!.getChildElements().map(e => e.getName())).toEqual(['away', 'lunch'])
    expect(person.getChildText('note', PIDF_NS.dm)).toBe('back at 3 <maybe>')
    expect(person.attrs.id).toMatch(/^[A-Za-z_]/)
  })

  it('dnd is busy with a word; an unknown activity is rpid:other; offline is closed with no activities', () => {
    const dnd = parse(pidfDocument({ peerId: PEER, status: 'dnd', activity: 'knitting' })).getChild('person', PIDF_NS.dm)!.getChild('activities', PIDF_NS.rpid)!
    expect(dnd.getChildElements().map(e => [e.getName(), e.text()])).toEqual([['busy', ''], ['other', 'do not disturb'], ['other', 'knitting']])
    const off = parse(pidfDocument({ peerId: PEER, status: 'offline', activity: 'knitting' }, 'mesh.example'))
    expect(off.getChild('tuple')!.getChild('status')!.getChildText('basic')).toBe('closed')
    expect(off.getChild('person', PIDF_NS.dm)!.getChild('activities', PIDF_NS.rpid)).toBeUndefined()
    expect(off.attrs.entity).toMatch(/@mesh\.example$/)
  })

  it('maps each category once, in document order', () => {
    expect(Object.keys(CATEGORY_MAPPERS)).toEqual(['state', 'activity', 'note', 'userInput', 'activityUntil', 'calendar', 'card', 'capabilities'])
  })

  it('enhanced presence categories as docs/protocol.md §10.7 maps them', () => {
    const idle = Date.UTC(2025, 0, 2, 3, 0, 0)
    const end = Date.UTC(2025, 0, 2, 4, 0, 0)
    const root = parse(pidfDocument({
      peerId: PEER,
      status: 'away',
      activity: 'meeting',
      categories: {
        state: { kind: 'state', availability: 'away', source: 'automatic', idleSince: idle },
        activity: { kind: 'activity', activity: 'meeting', until: end + 60_000 },
        calendar: { kind: 'calendar', freeBusy: 'busy', until: end },
        card: { kind: 'card', displayName: 'Alice <A.>', url: 'https://example.org/alice', email: 'a@example.org' },
        capabilities: { kind: 'capabilities', features: ['chat', 'receipts'] }
      }
    }))
    const person = root.getChild('person', PIDF_NS.dm)!
    const activities = person.getChild('activities', PIDF_NS.rpid)!
    expect(activities.getChildElements().map(e => e.getName())).toEqual(['away', 'meeting', 'appointment'])
    // the earliest end of the activities
    expect(activities.attrs.until).toBe('2025-01-02T04:00:00.000Z')
    expect(person.getChild('user-input', PIDF_NS.rpid)!.attrs['last-input']).toBe('2025-01-02T03:00:00.000Z')
    expect(person.getChildText('user-input', PIDF_NS.rpid)).toBe('idle')
    expect(person.getChildText('display-name', PIDF_NS.cipid)).toBe('Alice <A.>')
    expect(person.getChildText('homepage', PIDF_NS.cipid)).toBe('https://example.org/alice')
    const servcaps = root.getChild('tuple')!.getChild('servcaps', PIDF_NS.caps)!
    expect(servcaps.getChildText('message', PIDF_NS.caps)).toBe('true')
    // a state chosen by hand says nothing of user input; out of office is a vacation
    const manual = parse(pidfDocument({ peerId: PEER, status: 'busy', categories: { state: { kind: 'state', availability: 'busy', source: 'manual' }, calendar: { kind: 'calendar', freeBusy: 'out-of-office' } } }))
    const p2 = manual.getChild('person', PIDF_NS.dm)!
    expect(p2.getChild('user-input', PIDF_NS.rpid)).toBeUndefined()
    expect(p2.getChild('activities', PIDF_NS.rpid)!.getChildElements().map(e => e.getName())).toEqual(['busy', 'vacation'])
  })
})

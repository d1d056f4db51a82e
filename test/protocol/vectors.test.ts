/**
 * Conformance: the implementation against every vector in docs/vectors/, both
 * ways. The committed JSON is the contract; this test never regenerates it
 * (bench/vectors/ does, on purpose, with `npm run vectors`).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CATEGORY_REJECT_REASONS } from '../../protocol/category-item.js'
import { QUERY_REJECT_REASONS } from '../../protocol/category-query.js'
import { CHAT_REJECT_REASONS } from '../../protocol/chat-frame.js'
import { CONTACT_CODE_REJECT_REASONS } from '../../protocol/contact-code.js'
import { CONTACT_REJECT_REASONS } from '../../protocol/contact-request.js'
import { LOCATOR_REJECT_REASONS } from '../../protocol/locator-record.js'
import { NOTIFY_REJECT_REASONS } from '../../protocol/notify-frame.js'
import { GROUP_ENTRY_REJECT_REASONS } from '../../protocol/group-entry.js'
import { GROUP_OP_REJECT_REASONS } from '../../protocol/group-op.js'
import { INSTANCE_REJECT_REASONS } from '../../protocol/instance.js'
import { DEVICE_REJECT_REASONS } from '../../protocol/device-cert.js'
import { LINK_CODE_REJECT_REASONS, LINK_REJECT_REASONS } from '../../protocol/link.js'
import { PAIR_KEY_REJECT_REASONS } from '../../protocol/pair-keys.js'
import { REJECT_REASONS } from '../../protocol/presence-record.js'
import { PUNCH_REJECT_REASONS } from '../../protocol/punch.js'
import { runCase } from './vectors/adapters.js'
import type { VectorFile } from './vectors/adapters.js'

const DIR = new URL('../../docs/vectors/', import.meta.url)
const files: VectorFile[] = readdirSync(DIR).filter(f => f.endsWith('.json')).sort()
  .map(f => JSON.parse(readFileSync(new URL(f, DIR), 'utf8')) as VectorFile)

/** Every wire type the spec defines has a vector file. A new wire type adds its name here (docs/protocol.md §9). */
const WIRE_TYPES = ['presence-envelope', 'sealed-presence', 'dht-presence', 'locator', 'contact', 'contact-code', 'chat', 'pair-keys', 'names', 'punch', 'categories', 'category-bundles', 'category-query', 'notify', 'group', 'instance', 'devices']

/** Every reason a decoder can give appears in some vector. */
const REASONS: Record<string, readonly string[]> = {
  'presence-envelope': REJECT_REASONS.filter(r => r !== 'undecryptable'),
  'sealed-presence': ['undecryptable'],
  locator: LOCATOR_REJECT_REASONS,
  contact: CONTACT_REJECT_REASONS,
  'contact-code': CONTACT_CODE_REJECT_REASONS,
  chat: CHAT_REJECT_REASONS,
  'pair-keys': PAIR_KEY_REJECT_REASONS,
  categories: CATEGORY_REJECT_REASONS.filter(r => !['undecryptable', 'missing-state', 'duplicate-category', 'too-many-items'].includes(r)),
  'category-bundles': ['undecryptable', 'oversize', 'malformed', 'too-many-items', 'missing-state', 'duplicate-category', 'replay', 'bad-signature'],
  'category-query': QUERY_REJECT_REASONS,
  group: [...new Set([...GROUP_OP_REJECT_REASONS, ...GROUP_ENTRY_REJECT_REASONS])],
  punch: PUNCH_REJECT_REASONS,
  notify: NOTIFY_REJECT_REASONS,
  instance: INSTANCE_REJECT_REASONS,
  devices: [...new Set([...DEVICE_REJECT_REASONS, ...LINK_REJECT_REASONS, ...LINK_CODE_REJECT_REASONS])]
}

describe('conformance vectors (docs/vectors/)', () => {
  it('cover every wire type and every reject reason', () => {
    expect(files.map(f => f.type).sort()).toEqual([...WIRE_TYPES].sort())
    for (const [type, reasons] of Object.entries(REASONS)) {
      const file = files.find(f => f.type === type)!
      const given = new Set(Object.values(file.sections).flat().flatMap(c => c.expect.ok ? [] : [c.expect.reason]))
      expect([...reasons].filter(r => !given.has(r)), `${type}: reasons without a vector`).toEqual([])
    }
  })

  for (const file of files) {
    describe(`${file.type} (${file.spec})`, () => {
      for (const [section, cases] of Object.entries(file.sections)) {
        it(`${section}: ${cases.length} cases, encoded and decoded`, async () => {
          expect(cases.length).toBeGreaterThan(0)
          for (const c of cases) {
            const got = await runCase(file, section, c)
            if (c.encode != null && c.bytes != null) expect(got.encoded, `${c.name}: encoder`).toBe(c.bytes)
            expect(got.outcome, `${c.name}: decoder`).toEqual(c.expect)
          }
        })
      }
    })
  }
})

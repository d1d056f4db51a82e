/**
 * Writes docs/vectors/*.json: `npm run vectors`. Deterministic (fixed seeds,
 * nonces and clock), so running it again changes nothing unless the wire
 * changed. Each generator states every outcome and refuses to write a file the
 * implementation disagrees with. The committed files are the contract: the
 * conformance test (test/protocol/vectors.test.ts) reads them, never this.
 */
import '../../node/polyfill.js'
import { writeVectors } from './common.js'
import { categoryBundleVectors, categoryQueryVectors, categoryVectors } from './categories.js'
import { chatVectors } from './chat.js'
import { contactVectors } from './contact.js'
import { contactCodeVectors } from './contact-code.js'
import { dhtPresenceVectors } from './dht-presence.js'
import { locatorVectors } from './locator.js'
import { nameVectors } from './names.js'
import { notifyVectors } from './notify.js'
import { pairKeyVectors } from './pair-keys.js'
import { presenceVectors } from './presence.js'
import { punchVectors } from './punch.js'
import { sealedPresenceVectors } from './sealed-presence.js'
import { groupVectors } from './group.js'
import { instanceVectors } from './instance.js'
import { deviceVectors } from './devices.js'
import type { VectorFile } from './common.js'

const GENERATORS: Array<[string, () => Promise<VectorFile>]> = [
  ['presence-envelope.json', presenceVectors],
  ['sealed-presence.json', sealedPresenceVectors],
  ['dht-presence.json', dhtPresenceVectors],
  ['locator.json', locatorVectors],
  ['contact.json', contactVectors],
  ['contact-code.json', contactCodeVectors],
  ['chat.json', chatVectors],
  ['notify.json', notifyVectors],
  ['pair-keys.json', pairKeyVectors],
  ['names.json', nameVectors],
  ['group.json', groupVectors],
  ['categories.json', categoryVectors],
  ['category-bundles.json', categoryBundleVectors],
  ['category-query.json', categoryQueryVectors],
  ['punch.json', punchVectors],
  ['instance.json', instanceVectors],
  ['devices.json', deviceVectors]
]

for (const [file, generate] of GENERATORS) {
  const doc = await generate()
  const cases = Object.values(doc.sections).reduce((n, s) => n + s.length, 0)
  writeVectors(new URL(`../../docs/vectors/${file}`, import.meta.url).pathname, doc)
  console.log(`docs/vectors/${file}: ${cases} cases`)
}

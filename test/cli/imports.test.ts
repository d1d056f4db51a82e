/**
 * cli/ is a thin shell over the package's entries: besides its own modules and
 * third-party packages, it imports node/index.ts (the node) and node/client.ts
 * (its light entry: what a one-shot command needs) and nothing else of ours.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { expect, it } from 'vitest'

const CLI = path.resolve(import.meta.dirname, '../../cli')

it('cli/ imports only the package\'s entries of the node', async () => {
  const offending: string[] = []
  for (const file of await fs.readdir(CLI)) {
    if (!file.endsWith('.ts')) continue
    const text = await fs.readFile(path.join(CLI, file), 'utf8')
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2] ?? m[3]
      if (!spec.startsWith('.')) continue
      if (spec.startsWith('./') && !spec.slice(2).includes('/')) continue
      if (spec === '../node/index.js' || spec === '../node/client.js') continue
      offending.push(`${file}: ${spec}`)
    }
  }
  expect(offending).toEqual([])
})

/**
 * What a node and the command load before they do anything: libraries only
 * some runs need are imported when they are needed (import()), so every
 * start and every one-shot command does not pay for them. Read from the
 * bundler's import graph: the modules reached from the entries through
 * static imports alone.
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import { expect, it } from 'vitest'
import { ROOT } from '../child-build.js'

/** Loaded only where used: X.509 and ASN.1 for the XMPP endpoint's certificate (node/xmpp/server.ts). */
const LAZY = ['@peculiar/x509', 'reflect-metadata']

/** The modules and packages reached from `entries` through static imports alone, and the packages only a dynamic import names. */
async function staticGraph (entries: string[]): Promise<{ inputs: string[], reached: Set<string>, packages: Set<string>, lazyPackages: Set<string> }> {
  const esbuild = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'))('esbuild') as typeof import('esbuild')
  // esbuild's service process goes when the build is read: the worker runs other files after this one
  const { metafile } = await esbuild.build({
    entryPoints: entries.map(f => path.join(ROOT, f)),
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    outdir: 'out',
    format: 'esm',
    platform: 'node',
    // our modules' imports of packages are the graph's leaves: a fraction of the work of bundling them
    packages: 'external',
    logLevel: 'error'
  }).finally(esbuild.stop)
  const reached = new Set<string>()
  const packages = new Set<string>()
  const lazyPackages = new Set<string>()
  const visit = (file: string): void => {
    if (reached.has(file)) return
    reached.add(file)
    for (const imp of metafile.inputs[file]?.imports ?? []) {
      if (imp.external === true) (imp.kind === 'dynamic-import' ? lazyPackages : packages).add(imp.path)
      else if (imp.kind !== 'dynamic-import') visit(imp.path)
    }
  }
  for (const entry of entries) visit(entry)
  return { inputs: Object.keys(metafile.inputs), reached, packages, lazyPackages }
}

it('a node and the command load no certificate library until an XMPP endpoint starts', async () => {
  const { inputs, reached, packages } = await staticGraph(['node/index.ts', 'cli/program.ts'])
  // the walk itself: the node's own modules and packages are reached
  expect(reached).toContain('node/presence-node.ts')
  expect(packages).toContain('libp2p')
  expect([...packages].filter(p => LAZY.includes(p))).toEqual([])
  // and they are imported somewhere: the certificate's module, itself imported when needed
  expect(inputs).toContain('node/xmpp/certificate.ts')
  expect(reached).not.toContain('node/xmpp/certificate.ts')
})

it('a one-shot command loads no node: the command line reaches neither libp2p nor the node until `start` (node/client.ts)', async () => {
  const { inputs, reached, packages } = await staticGraph(['cli/program.ts'])
  // the light entry and the commands' table are reached, and they are all a subcommand needs
  expect(reached).toContain('node/client.ts')
  expect(reached).toContain('cli/commands.ts')
  expect(reached).not.toContain('node/index.ts')
  expect(reached).not.toContain('node/presence-node.ts')
  expect([...packages].filter(p => p === 'libp2p' || p.startsWith('@libp2p/kad-dht') || p.startsWith('@libp2p/gossipsub') || p.startsWith('@chainsafe/'))).toEqual([])
  // what `start` runs is still there, behind a dynamic import
  expect(inputs).toContain('cli/interactive.ts')
  expect(reached).not.toContain('cli/interactive.ts')
})

#!/usr/bin/env node
/**
 * `npm start` runs this first: it compiles (tsc -p tsconfig.build.json) only
 * when a source is newer than the build, so a start with a current build
 * goes straight to the node. Plain JavaScript: it runs before anything is
 * compiled.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const BUILT = path.join(root, 'dist', 'cli', 'main.js')
const SOURCES = ['cli', 'node', 'protocol']
const CONFIGS = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']

/** The newest modification time of the sources and build settings. */
function newestSource () {
  let newest = 0
  const visit = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name)
      if (entry.isDirectory()) visit(file)
      else if (/\.(ts|mjs|json)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(file).mtimeMs)
    }
  }
  for (const dir of SOURCES) visit(path.join(root, dir))
  for (const file of CONFIGS) {
    try { newest = Math.max(newest, fs.statSync(path.join(root, file)).mtimeMs) } catch {}
  }
  return newest
}

function builtAt () {
  try { return fs.statSync(BUILT).mtimeMs } catch { return 0 }
}

if (builtAt() <= newestSource()) {
  process.stderr.write('building (a source changed since the last build)…\n')
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
  // tsc leaves an unchanged output alone on some systems: mark the build as current
  const now = new Date()
  fs.utimesSync(BUILT, now, now)
}

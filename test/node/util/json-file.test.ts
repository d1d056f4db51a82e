/**
 * The JSON state files of the home: an unreadable file is moved aside, not
 * overwritten by the next write; a write that failed is made again at the
 * next change; changes coalesce.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { defaultLogger } from '@libp2p/logger'
import { afterAll, describe, expect, it } from 'vitest'
import { JsonFile } from '../../../node/util/json-file.js'
import { cleanupHomes, tmpHome } from '../../helpers.js'

afterAll(cleanupHomes)

const log = defaultLogger().forComponent('test')

describe('JsonFile', () => {
  it('an unreadable file is read as missing and kept aside; the next write makes a new one', async () => {
    const home = await tmpHome('json-file')
    const file = path.join(home, 'state.json')
    await fs.writeFile(file, '{"rooms": {"team": "ab')
    let state: unknown = { rooms: {} }
    const f = new JsonFile(file, () => state, log)
    expect(await f.read()).toBeUndefined()
    const aside = (await fs.readdir(home)).filter(n => n.startsWith('state.json.unreadable-'))
    expect(aside).toHaveLength(1)
    expect(await fs.readFile(path.join(home, aside[0]), 'utf8')).toBe('{"rooms": {"team": "ab')
    state = { rooms: { club: 'cd' } }
    f.changed()
    await f.flush()
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual({ rooms: { club: 'cd' } })
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600)
  })

  it('a failed write is made again at the next change; a burst of changes ends in the last state', async () => {
    const home = await tmpHome('json-file')
    const dir = path.join(home, 'gone')
    const file = path.join(dir, 'state.json')
    let n = 0
    const f = new JsonFile(file, () => ({ n }), log)
    n = 1
    f.changed()
    await f.flush()
    await expect(fs.readFile(file, 'utf8')).rejects.toThrow()
    await fs.mkdir(dir)
    for (n = 2; n <= 5; n++) f.changed()
    n = 5
    await f.flush()
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual({ n: 5 })
  })
})

/**
 * The test client's SCRAM Hi (test/node/xmpp/client.ts replaces the client library's, which costs
 * ~0.6 CPU-s a login) is in effect and gives the library's bytes: RFC 5802's example (its
 * SaltedPassword) and another salt, password and count compared with the library's own function.
 */
import { describe, expect, it } from 'vitest'
import { libraryHi, scramBitops } from './client.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe("the test client's SCRAM Hi", () => {
  it('is the replacement, and gives what the library gives', async () => {
    expect(scramBitops.Hi).not.toBe(libraryHi)
    const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64')
    expect(hex(await scramBitops.Hi('pencil', salt, 4096))).toBe('1d96ee3a529b5a5f9e47c01f229a2cb8a6e15f7d')
    const other = Buffer.from('salt of another length, 31 byt')
    expect(hex(await scramBitops.Hi('pässwörd', other, 7))).toBe(hex(await libraryHi('pässwörd', other, 7)))
  })
})

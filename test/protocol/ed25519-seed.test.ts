import crypto from 'node:crypto'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import sodium from 'sodium-native'
import { describe, expect, it } from 'vitest'
import { ed25519KeyFromSeed, ed25519PublicKeyOfSeed, nodeEd25519, sodiumEd25519 } from '../../protocol/ed25519-fast.js'

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'))

describe('Ed25519 keys from a seed', () => {
  it('gives RFC 8032\'s public keys (§7.1 tests 1-3), by libsodium and by the node:crypto fallback', () => {
    const vectors = [
      ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'],
      ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'],
      ['c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7', 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025']
    ]
    for (const of of [ed25519PublicKeyOfSeed, sodiumEd25519(sodium).publicKeyOfSeed, nodeEd25519.publicKeyOfSeed]) {
      for (const [seed, pub] of vectors) expect(Buffer.from(of(hex(seed))).toString('hex')).toBe(pub)
    }
  })

  it('makes the key @libp2p/crypto makes from the same seed: same bytes, same peer, signatures that verify', async () => {
    for (let i = 0; i < 20; i++) {
      const seed = Uint8Array.from(crypto.randomBytes(32))
      const ours = ed25519KeyFromSeed(seed)
      const theirs = await generateKeyPairFromSeed('Ed25519', seed)
      expect(ours.type).toBe('Ed25519')
      expect(ours.raw).toEqual(theirs.raw)
      expect(ours.publicKey.raw).toEqual(theirs.publicKey.raw)
      expect(ours.equals(theirs)).toBe(true)
      const data = Uint8Array.from(crypto.randomBytes(40))
      expect(await theirs.publicKey.verify(data, await ours.sign(data))).toBe(true)
    }
  })

  it('refuses a seed that is not 32 bytes', () => {
    for (const n of [0, 31, 33, 64]) expect(() => ed25519PublicKeyOfSeed(new Uint8Array(n))).toThrow(/32 bytes/)
  })
})

/**
 * For meshes of node processes that are killed and restarted on the same
 * home and port: free loopback ports, and identities made before the first
 * start, so every bootstrap list can name any peer.
 */
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { IDENTITY_FILE } from '../node/home.js'

/** n loopback TCP ports that were free a moment ago. */
export async function freePorts (n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, async () => await new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => resolve(s))
  })))
  const ports = servers.map(s => (s.address() as net.AddressInfo).port)
  await Promise.all(servers.map(async s => await new Promise(resolve => s.close(resolve))))
  return ports
}

/** Writes a new identity into a home directory (created 0700); returns its peer id. */
export async function makeIdentity (home: string): Promise<string> {
  await fs.mkdir(home, { recursive: true, mode: 0o700 })
  const key = await generateKeyPair('Ed25519')
  await fs.writeFile(path.join(home, IDENTITY_FILE), privateKeyToProtobuf(key), { mode: 0o600 })
  return peerIdFromPrivateKey(key).toString()
}

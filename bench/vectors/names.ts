/** Vectors of the names on the wire: stream protocol ids and topics (docs/protocol.md §0.4). */
import { A, accepted, identityJson, verified } from './common.js'
import type { VectorCase, VectorFile } from './common.js'

const name = (n: string, fn: string, args: unknown[], value: string, why?: string): VectorCase =>
  ({ name: n, why, encode: { fn, args }, expect: accepted(value) })

export async function nameVectors (): Promise<VectorFile> {
  const names: VectorCase[] = [
    name('protocol id', 'protocolId', ['chat', '1.0.0'], '/presence-mesh/chat/1.0.0', '/<prefix>/<name>/<version>'),
    name('chat stream protocol', 'chatProtocol', [], '/presence-mesh/chat/1.0.0'),
    name('contact stream protocol', 'contactProtocol', [], '/presence-mesh/contact/1.0.0'),
    name('category query stream protocol', 'queryProtocol', [], '/presence-mesh/presence-query/1.0.0', '§10.6'),
    name('notify stream protocol', 'notifyProtocol', [], '/presence-mesh/notify/2.0.0'),
    name('private DHT protocol', 'dhtProtocol', [], '/presence-mesh/kad/1.0.0'),
    name('public presence topic of A', 'presenceTopic', [A.peerId.toString()], `/presence-mesh/presence/1/${A.peerId.toString()}`, 'the protocol id of presence/1, then / and the base58btc peer id'),
    name('pair topic prefix', 'pairTopicPrefix', [], '/presence-mesh/pair/1/', 'then 26 base32 characters (pair-keys.json)')
  ]
  return await verified({
    type: 'names',
    spec: 'docs/protocol.md §0.4',
    description: 'Names peers must agree on. encode.fn names the builder (protocolId(name, version) and the constants built with it); expect.decoded is the exact string.',
    identities: { A: identityJson(A) },
    sections: { names }
  })
}

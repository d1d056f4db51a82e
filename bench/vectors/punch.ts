/** Vectors of hole punch messages (docs/protocol.md §6.5). Multiaddr bytes are built by hand. */
import { A, accepted, hex, refused, utf8, verified } from './common.js'
import { encodeFields } from './envelopes.js'
import type { Field } from './envelopes.js'
import type { VectorCase, VectorFile } from './common.js'

const TYPE = { connect: 1, sync: 2 } as const

/** Multicodecs as unsigned varints (multiformats' table). */
const IP4 = [0x04]
const IP6 = [0x29]
const TCP = [0x06]
const UDP = [0x91, 0x02]
const DNS4 = [0x36]
const P2P = [0xa5, 0x03]

const port = (n: number): number[] => [n >> 8, n & 0xff]
const ip4 = (a: string, p: number, proto = TCP): Uint8Array => Uint8Array.from([...IP4, ...a.split('.').map(Number), ...proto, ...port(p)])
const ip6 = (groups: number[], p: number): Uint8Array => Uint8Array.from([...IP6, ...groups.flatMap(g => [g >> 8, g & 0xff]), ...TCP, ...port(p)])

const bytesOf = (f: Field[]): string => hex(encodeFields(f))
const connect = (addr: Uint8Array): Field[] => [{ n: 1, varint: BigInt(TYPE.connect) }, { n: 2, bytes: addr }]
const SYNC: Field[] = [{ n: 1, varint: BigInt(TYPE.sync) }]

const valid = (name: string, frame: { kind: 'connect', addr: string } | { kind: 'sync' }, f: Field[], why?: string): VectorCase =>
  ({ name, why, encode: { frame }, bytes: bytesOf(f), expect: accepted(frame) })
const refusal = (name: string, why: string, f: Field[] | Uint8Array, reason: string): VectorCase =>
  ({ name, why, bytes: f instanceof Uint8Array ? hex(f) : bytesOf(f), expect: refused(reason) })

export async function punchVectors (): Promise<VectorFile> {
  const publicV4 = ip4('16.0.0.5', 40123)
  const messages: VectorCase[] = [
    valid('CONNECT, IPv4', { kind: 'connect', addr: '/ip4/16.0.0.5/tcp/40123' }, connect(publicV4)),
    valid('CONNECT, IPv6', { kind: 'connect', addr: '/ip6/2001:4860::1/tcp/443' }, connect(ip6([0x2001, 0x4860, 0, 0, 0, 0, 0, 1], 443))),
    valid('SYNC', { kind: 'sync' }, SYNC),
    { name: 'unknown fields are ignored', bytes: bytesOf([...SYNC, { n: 7, varint: 1n }]), expect: accepted({ kind: 'sync' }) },
    refusal('129 bytes', 'a punch message is at most 128 bytes', [...SYNC, { n: 7, bytes: new Uint8Array(129 - 2 - 2) }], 'oversize'),
    refusal('not protobuf', 'does not decode', Uint8Array.of(0xff, 0xff), 'malformed'),
    refusal('type 3', 'an undeclared enum value is malformed', [{ n: 1, varint: 3n }], 'malformed'),
    refusal('type given twice', 'a singular field occurs at most once', [...SYNC, ...SYNC], 'malformed'),
    refusal('addr with the wrong wire type', 'field 2 is bytes', [{ n: 1, varint: 1n }, { n: 2, varint: 1n }], 'malformed'),
    refusal('type absent (0)', 'declared but unspecified', [{ n: 2, bytes: publicV4 }], 'invalid-field'),
    refusal('SYNC with an address', 'only CONNECT carries one', [...SYNC, { n: 2, bytes: publicV4 }], 'invalid-field'),
    refusal('CONNECT without an address', 'CONNECT carries one', [{ n: 1, varint: 1n }], 'invalid-field'),
    refusal('address not a multiaddr', 'the bytes must decode as a multiaddr', connect(Uint8Array.of(0xff, 0xff, 0xff)), 'invalid-field'),
    refusal('a private address', 'a peer cannot make us dial into a private network', connect(ip4('192.168.1.2', 4001)), 'invalid-field'),
    refusal('loopback', 'nor into our own host', connect(ip4('127.0.0.1', 4001)), 'invalid-field'),
    refusal('a UDP port', 'TCP only', connect(ip4('16.0.0.5', 4001, UDP)), 'invalid-field'),
    refusal('a DNS name', 'no names: one IP and one TCP port', connect(Uint8Array.from([...DNS4, 11, ...utf8('example.com'), ...TCP, ...port(443)])), 'invalid-field'),
    refusal('with a peer id', 'nothing after the port', connect(Uint8Array.from([...publicV4, ...P2P, A.multihash.length, ...A.multihash])), 'invalid-field')
  ]
  if (messages[4].bytes!.length / 2 !== 129) throw new Error(`the oversize message is ${messages[4].bytes!.length / 2} bytes`)
  return await verified({
    type: 'punch',
    spec: 'docs/protocol.md §6.5',
    description: 'PunchMessage without its unsigned-varint length prefix. encodePunch(frame) must give bytes (the address as a multiaddr string); decodePunch(bytes) must give expect.',
    sections: { messages }
  })
}

/** The conformance adapters of the instance protocol (docs/protocol.md §13, docs/vectors/instance.json). Registered in adapters.ts. */
import {
  decodeInstanceHello, decodeInstanceProbe, encodeInstanceHello, encodeInstanceProbe, openInstanceStatement, sealInstanceStatement
} from '../../../protocol/instance.js'
import { keyOf } from './adapters.js'
import type { Adapter, Expect } from './adapters.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const fail = (reason: string): Expect => ({ ok: false, reason })
const okay = (decoded: unknown): Expect => ({ ok: true, decoded })

const hellos: Adapter = async (c) => {
  const encoded = c.encode == null ? undefined : hex(encodeInstanceHello({ instance: unhex(c.encode.instance), challenge: unhex(c.encode.challenge) }))
  const res = decodeInstanceHello(unhex(c.bytes!))
  return { encoded, outcome: res.ok ? okay({ instance: hex(res.hello.instance), challenge: hex(res.hello.challenge) }) : fail(res.reason) }
}

const probes: Adapter = async (c) => {
  const e = c.encode
  const encoded = e == null
    ? undefined
    : hex(encodeInstanceProbe(e.kind === 'sign' ? { kind: 'sign', challenge: unhex(e.challenge) } : { kind: 'duplicate', statement: unhex(e.statement), otherAddr: e.otherAddr == null ? undefined : unhex(e.otherAddr) }))
  const res = decodeInstanceProbe(unhex(c.bytes!))
  if (!res.ok) return { encoded, outcome: fail(res.reason) }
  const p = res.probe
  return { encoded, outcome: okay(p.kind === 'sign' ? { kind: 'sign', challenge: hex(p.challenge) } : { kind: 'duplicate', statement: hex(p.statement), ...(p.otherAddr != null ? { otherAddr: hex(p.otherAddr) } : {}) }) }
}

const statements: Adapter = async (c, file) => {
  const e = c.encode
  const encoded = e == null
    ? undefined
    : hex(sealInstanceStatement({ instance: unhex(e.statement.instance), startedAt: e.statement.startedAt, challenge: unhex(e.statement.challenge) }, keyOf(file, e.signer)))
  const res = openInstanceStatement(unhex(c.bytes!), { expectedPeer: c.context.expectedPeer, challenge: unhex(c.context.challenge) })
  if (!res.ok) return { encoded, outcome: fail(res.reason) }
  const s = res.statement
  return { encoded, outcome: okay({ peer: s.peer.toString(), instance: hex(s.instance), startedAt: s.startedAt, challenge: hex(s.challenge) }) }
}

export const INSTANCE_ADAPTERS: Record<string, Adapter> = {
  'instance/hellos': hellos,
  'instance/probes': probes,
  'instance/statements': statements
}

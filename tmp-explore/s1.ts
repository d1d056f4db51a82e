import '../node/polyfill.js'
import { startNode, cleanupHomes, PUBLIC } from '../test/helpers.js'
import type { PresenceNode } from '../node/presence-node.js'

function ports (n: PresenceNode, other: PresenceNode): string[] {
  return n.libp2p.getConnections(other.peerId).map(c => {
    const s = (c as any).maConn?.socket
    return `${c.direction}:${s?.localPort}>${s?.remotePort}:${c.status}`
  })
}
function check (a: PresenceNode, b: PresenceNode, label: string): void {
  const pa = ports(a, b); const pb = ports(b, a)
  const ka = new Set(pa.map(x => x.split(':')[1])); const kb = new Set(pb.map(x => x.split(':')[1].split('>').reverse().join('>')))
  const onlyA = [...ka].filter(k => !kb.has(k)); const onlyB = [...kb].filter(k => !ka.has(k))
  console.log(label, 'A:', pa.join(' '), '| B:', pb.join(' '), onlyA.length + onlyB.length > 0 ? `ONE-SIDED A ${onlyA} B ${onlyB}` : 'ok')
}
const a = await startNode({ roster: PUBLIC })
const b = await startNode({ roster: PUBLIC })
const addrA = a.libp2p.getMultiaddrs()[0]; const addrB = b.libp2p.getMultiaddrs()[0]
// S1: simultaneous dials
await Promise.all([a.libp2p.dial(addrB), b.libp2p.dial(addrA)])
await new Promise(r => setTimeout(r, 1500))
check(a, b, 'S1 simultaneous')
// S2: close one from A, immediately dial again from both
for (const c of a.libp2p.getConnections(b.peerId)) await c.close()
await Promise.all([a.libp2p.dial(addrB), b.libp2p.dial(addrA)])
await new Promise(r => setTimeout(r, 1500))
check(a, b, 'S2 close+redial')
// S3: a dial aborted by its caller at various moments
for (const ms of [1, 3, 5, 8, 12, 20, 30]) {
  await a.libp2p.hangUp(b.peerId); await new Promise(r => setTimeout(r, 300))
  await a.libp2p.dial(addrB, { signal: AbortSignal.timeout(ms) }).catch(e => console.log('S3 dial', ms, e.name))
  await new Promise(r => setTimeout(r, 1500))
  check(a, b, `S3 abort after ${ms} ms`)
}
await a.stop(); await b.stop(); await cleanupHomes()
process.exit(0)

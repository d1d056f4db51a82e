/**
 * What one group text costs, stage by stage (a diagnostic, not a suite): a
 * sender and one member in ONE process on TCP loopback, a group of the two,
 * and beside each text a raw gossipsub publish of the same size on the same
 * nodes (as group.delivery compares them).
 *
 * Part 1, the real path, timed by hooks outside the product: at the sender
 * from `sendToGroup()` to gossipsub's `publish()` call and from it to the
 * first copy handed to a stream (`sendRpc`); at the member from gossipsub's
 * `handleReceivedMessage` to the topic validator, the validator itself, and
 * from its return to the `group:message` listener (raw: to the `message`
 * listener). In one process the sender's and the member's work never
 * overlap, so each span is one side's CPU (and the event loop's hops).
 *
 * Part 2, each stage of those paths alone: the product's own exported
 * functions on the bytes the real path made, one call at a time with a
 * sweep of 8 MiB of memory before each (the bench's nodes do other work
 * between two texts: caches are cold), so that the stages can be put against
 * the spans of part 1 and the rest is glue.
 *
 *   npx tsx bench/group-stages.ts [texts]
 * compiles the project to a temporary directory and runs the compiled copy
 * on plain node with the CLI's V8 settings.
 */
import '../node/polyfill.js'
import './as-product.js'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { RecordEnvelope } from '@libp2p/peer-record'
import { runCompiledCopy } from './compile.js'
import { percentileOf } from './result.js'

const texts = Number(process.argv[2] ?? 600)
const RAW_TOPIC = '/presence-mesh-bench/group-stages-raw/1'
const now = (): number => Number(process.hrtime.bigint()) / 1e3
const median = (xs: number[]): number => percentileOf(xs, 50)
const p90 = (xs: number[]): number => percentileOf(xs, 90)
const sweepBuf = new Uint8Array(8 * 2 ** 20)
/** Touches 8 MiB, a line at a time: what the process did between two texts. */
function sweep (): void {
  for (let i = 0; i < sweepBuf.length; i += 64) sweepBuf[i]++
}

async function main (): Promise<void> {
  const { PresenceNode } = await import('../node/presence-node.js')
  const ge = await import('../protocol/group-entry.js')
  const gc = await import('../protocol/group-crypto.js')
  const se = await import('../protocol/signed-envelope.js')
  const ed = await import('../protocol/ed25519-fast.js')
  const { GroupEntry: GroupEntryPb, GroupEntryKind } = await import('../protocol/pb/group.js')
  const { isUnicode } = await import('../protocol/text.js')
  const { ReadBatch } = await import('../node/groups/feed-reader.js')
  const { diffStates } = await import('../node/groups/group.js')
  const { OwnEntryJournal } = await import('../node/groups/own-journal.js')

  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pm-group-stages-'))
  const opts = (n: string): Parameters<typeof PresenceNode.start>[0] => ({
    home: path.join(root, n), listen: ['/ip4/127.0.0.1/tcp/0'], sharedHost: true, mdns: false, rejoin: false, control: false,
    groups: { sendsPerWindow: 1_000_000, receivesPerWindow: 1_000_000 }, roster: { defaultVisibility: 'public' }
  })
  const a = await PresenceNode.start(opts('a'))
  const b = await PresenceNode.start(opts('b'))
  try {
    await a.roster.addContact(b.peerId.toString())
    await b.roster.addContact(a.peerId.toString())
    await b.connect(a.addresses()[0])
    const group = (await a.createGroup('stages')).id
    await a.inviteToGroup(group, b.peerId.toString())
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      for (let i = 0; !cond(); i++) {
        if (i >= 600) throw new Error(`timed out waiting for ${what}`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
    await until(() => b.groupInvitations().length > 0, 'the invitation')
    await b.acceptGroup(group)
    await until(() => a.group(group).members.length === 2 && b.group(group).members.length === 2, 'the join')
    const apub = a.libp2p.services.pubsub
    const bpub = b.libp2p.services.pubsub
    bpub.subscribe(RAW_TOPIC)
    apub.subscribe(RAW_TOPIC)
    const topic = a.group(group).topic
    await until(() => apub.getSubscribers(topic).length === 1 && apub.getSubscribers(RAW_TOPIC).length === 1, 'the subscriptions')
    // a first text: the KEY entry goes out with it
    let hello = false
    const onHello = (): void => { hello = true }
    b.addEventListener('group:message', onHello)
    await a.sendToGroup(group, 'hello')
    await until(() => hello, 'the first text')
    b.removeEventListener('group:message', onHello)

    // ---- part 1: hooks at the boundaries ----
    const marks: Record<string, number> = {}
    const mark = (k: string): void => { marks[k] ??= now() }
    const publish = apub.publish.bind(apub)
    apub.publish = async (...x: Parameters<typeof publish>) => { mark('publish'); return await publish(...x) }
    const sendRpc = (apub as any).sendRpc.bind(apub)
    ;(apub as any).sendRpc = (...x: unknown[]) => { mark('sendRpc'); return sendRpc(...x) }
    const handle = (bpub as any).handleReceivedMessage.bind(bpub)
    ;(bpub as any).handleReceivedMessage = async (...x: unknown[]) => { mark('received'); return await handle(...x) }
    const validate = bpub.topicValidators.get(topic)!
    let lastData: Uint8Array | undefined
    bpub.topicValidators.set(topic, (from, msg) => {
      mark('validator')
      lastData = msg.data
      const r = validate(from, msg)
      mark('validated')
      return r
    })
    let arrived: (() => void) | undefined
    b.addEventListener('group:message', () => { mark('shown'); arrived?.() })
    bpub.addEventListener('message', (evt) => { if (evt.detail.topic === RAW_TOPIC) { mark('shown'); arrived?.() } })
    const spans: Record<string, number[]> = {}
    const keep = (k: string, v: number): void => { (spans[k] ??= []).push(v) }
    const bytes: Uint8Array[] = []
    const warm = Math.floor(texts / 10)
    for (let i = 0; i < texts + warm; i++) {
      for (const kind of i % 2 === 0 ? ['g', 'r'] : ['r', 'g']) {
        for (const k of Object.keys(marks)) delete marks[k]
        const got = new Promise<void>(resolve => { arrived = resolve })
        sweep()
        const t0 = now()
        if (kind === 'g') {
          await a.sendToGroup(group, `bench run ${String(i).padStart(6, '0')}`)
        } else {
          const data = new Uint8Array(lastData?.byteLength ?? 300)
          new DataView(data.buffer).setUint32(0, i)
          await apub.publish(RAW_TOPIC, data)
        }
        await Promise.race([got, new Promise((_resolve, reject) => setTimeout(() => { reject(new Error(`${kind} text ${i} did not arrive`)) }, 10_000).unref())])
        if (i < warm) continue
        keep(`${kind} call->publish`, marks.publish - t0)
        keep(`${kind} publish->sendRpc`, marks.sendRpc - marks.publish)
        keep(`${kind} received->shown`, marks.shown - marks.received)
        if (kind === 'g') {
          keep('g received->validator', marks.validator - marks.received)
          keep('g validator', marks.validated - marks.validator)
          keep('g validated->shown', marks.shown - marks.validated)
          if (lastData != null) bytes.push(lastData)
        }
        await new Promise(resolve => setTimeout(resolve, 2))
      }
    }

    // ---- part 2: each stage alone, on the bytes the real path made ----
    const ga = (a.groupsService as any)
    const gb = (b.groupsService as any)
    const sender = ga.engine.groups.get(group)
    const member = gb.engine.groups.get(group)
    const ctxA = ga.engine.ctx
    const ctxB = gb.engine.ctx
    const key = sender.ownKey
    const groupId: Uint8Array = sender.groupId
    const journal = (await OwnEntryJournal.open(path.join(root, 'stage-journal'))).journal
    const entries = bytes.map(x => { const r = ge.openGroupEntry(x, groupId); if (!r.ok) throw new Error(r.reason); return r.entry })
    const payloads = bytes.map(x => RecordEnvelope.createFromProtobuf(x))
    /** A stage: its name, the call timed, and what to make for it untimed (a fresh copy of the bytes: a digest is remembered per bytes object). */
    type Stage = [string, (i: number, x: Uint8Array) => unknown, ((i: number) => Uint8Array)?]
    const fresh = (i: number): Uint8Array => Uint8Array.from(bytes[i])
    const msgId = async (pub: typeof apub, data: Uint8Array): Promise<unknown> => await (pub as any).msgIdFn({ type: 'unsigned', topic, data })
    const text = (i: number): string => `bench run ${String(i).padStart(6, '0')}`
    const senderStages: Stage[] = [
      ['service: resolve, member, text check, send limit', (i) => { ga.resolve(group); ga.membership.member(group); isUnicode(text(i)); new TextEncoder().encode(text(i)); ga.sendLimiter.take(group) }],
      ['writer: recipients', () => sender.recipients(ctxA.me, ctxA.excluded)],
      ['seal: encode content', (i) => ge.encodeContent({ kind: 'text', text: text(i) })],
      ['seal: nonce (pool)', () => gc.randomNonce()],
      ['seal: AEAD (nonce, aad, XChaCha20-Poly1305)', (i) => gc.sealContent(key.key, { group: groupId, author: ctxA.meMultihash, seq: i + 10, keyId: key.keyId }, ge.encodeContent({ kind: 'text', text: text(i) }))],
      ['seal: entry protobuf', (i) => GroupEntryPb.encode({ group: Uint8Array.from(groupId), seq: BigInt(i + 10), lamport: BigInt(i + 10), sentAt: BigInt(Date.now()), prev: Uint8Array.from(entries[i].prev), kind: GroupEntryKind.CONTENT, keyId: Uint8Array.from(key.keyId), slots: [], sealed: (entries[i] as any).sealed })],
      ['sign: signing bytes', (i) => ed.envelopeSigningBytes(ge.GROUP_ENTRY_DOMAIN, ge.GROUP_ENTRY_PAYLOAD_TYPE, payloads[i].payload)],
      ['sign: Ed25519 sign', (i) => ed.signEd25519(ctxA.privateKey, ed.envelopeSigningBytes(ge.GROUP_ENTRY_DOMAIN, ge.GROUP_ENTRY_PAYLOAD_TYPE, payloads[i].payload))],
      ['sign: envelope marshal', (i) => new RecordEnvelope({ publicKey: ctxA.privateKey.publicKey, payloadType: ge.GROUP_ENTRY_PAYLOAD_TYPE, payload: payloads[i].payload, signature: payloads[i].signature }).marshal()],
      ['whole seal (sealContentEntry)', (i) => ge.sealContentEntry({ group: groupId, seq: i + 10, lamport: i + 10, sentAt: Date.now(), prev: entries[i].prev }, ctxA.meMultihash, key.keyId, key.key, { kind: 'text', text: text(i) }, ctxA.privateKey)],
      ['entry hash (prev of the next), then gossipsub\'s message id', (_i, x) => { ge.entryHash(x); void msgId(apub, x) }, fresh],
      ['journal append (one write())', (i) => { journal.append(groupId, [bytes[i]]) }]
    ]
    const memberStages: Stage[] = [
      ['blocked check', () => ctxB.store != null && gb.components.roster.isBlocked(a.peerId)],
      ['open: decode (envelope, payload scan, signer)', (i) => se.decodeSignedRecord(bytes[i], ge.GROUP_ENTRY_PAYLOAD_TYPE, ge.GROUP_ENTRY_RULES, ge.groupEntryFromScan)],
      ['open: Ed25519 verify (signing bytes + verify)', (i) => { const d = se.decodeSignedRecord(bytes[i], ge.GROUP_ENTRY_PAYLOAD_TYPE, ge.GROUP_ENTRY_RULES, ge.groupEntryFromScan); if (d.ok) se.verifySignedRecord(d, ge.GROUP_ENTRY_DOMAIN) }],
      ['open: whole openGroupEntry', (i) => ge.openGroupEntry(bytes[i], groupId)],
      ['membership accepts feed + receive limit', (i) => { member.log.acceptsFeed(entries[i].author, entries[i].seq); gb.engine.receiveLimit.take(`${member.id}/${entries[i].author}`) }],
      ['gossipsub\'s message id, then the read\'s entry hash', (_i, x) => { void msgId(bpub, x); ge.entryHash(x) }, fresh],
      ['read: AEAD open + content read (openEntryContent)', (i) => ge.openEntryContent(entries[i], member.keyFor(entries[i].author, Buffer.from(entries[i].keyId).toString('hex')))],
      ['read: batch + diffStates (no op)', () => { const batch = new ReadBatch(member.state); batch.changes = diffStates(batch.before, member.state) }]
    ]
    // decode + verify are timed together above: the verify alone is their difference
    const alone: Record<string, number[]> = {}
    const hot: Record<string, number[]> = {}
    const empty = new Uint8Array(0)
    for (let round = 0; round < Math.min(entries.length, texts); round++) {
      for (const [name, fn, prep] of [...senderStages, ...memberStages]) {
        let x = prep?.(round) ?? empty
        sweep()
        let t = now()
        fn(round, x)
        ;(alone[name] ??= []).push(now() - t)
        // at once again: caches hot (the lower bound)
        x = prep?.(round) ?? empty
        t = now()
        fn(round, x)
        ;(hot[name] ??= []).push(now() - t)
      }
      if (round % 50 === 0) await new Promise(resolve => setTimeout(resolve, 1))
    }
    // readEntry itself moves the member's positions: the validator span of part 1 stands for the whole read
    journal.close()

    console.log(`${texts} texts of each kind after ${warm} (one process, sender and member; 8 MiB swept before each), load ${os.loadavg().map(l => l.toFixed(2)).join(' ')}`)
    console.log('\npart 1, the real path: p50 (p90) µs')
    for (const [k, v] of Object.entries(spans)) console.log(`  ${k.padEnd(28)} ${median(v).toFixed(1).padStart(8)} (${p90(v).toFixed(1)})`)
    console.log('\npart 2, each stage alone: p50 (p90) µs after the 8 MiB sweep; p50 at once again (hot)')
    const row = (who: string, name: string): string => `  ${who}  ${name.padEnd(60)} ${median(alone[name]).toFixed(1).padStart(8)} (${p90(alone[name]).toFixed(1)})  hot ${median(hot[name]).toFixed(1)}`
    for (const [name] of senderStages) console.log(row('sender', name))
    for (const [name] of memberStages) console.log(row('member', name))
  } finally {
    await Promise.all([a.stop(), b.stop()])
    await fs.rm(root, { recursive: true, force: true })
  }
}

if (import.meta.url.endsWith('.js')) {
  await main()
} else {
  // under tsx: compile, then run the compiled copy of this file on plain node
  await runCompiledCopy('group-stages', [String(texts)])
}

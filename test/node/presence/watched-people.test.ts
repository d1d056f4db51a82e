/**
 * The watcher with people of several devices: each device's records on its
 * own channel, one composed view per person (docs/protocol.md §15). Stubbed
 * roster (every device a watched non-contact: its public topic), real signed
 * records, an in-memory datastore.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../../helpers.js'
import { WatchedPresentities } from '../../../node/presence/watched.js'
import { WatchStore } from '../../../node/presence/watch-store.js'
import { presenceTopic } from '../../../protocol/topics.js'
import { sealPresenceNow } from '../../../protocol/presence-record.js'
import type { PresenceEventDetail } from '../../../node/presence/index.js'
import type { Roster } from '../../../node/roster/index.js'
import type { PresenceStatus } from '../../../protocol/presence-record.js'
import type { PrivateKey } from '@libp2p/interface'

const roster = {
  isBlocked: () => false,
  isContact: () => false,
  get: (peer: string) => peer === 'alice' ? { id: 'alice', alias: 'Alice', devices: [], watched: true } : undefined,
  alias: (peer: string) => peer === 'alice' ? 'Alice' : undefined
} as unknown as Roster

let seq = BigInt(Date.now())
function record (key: PrivateKey, status: PresenceStatus, note?: string, ttlMs = 60_000): Uint8Array {
  const now = Date.now()
  return sealPresenceNow({ presentity: peerIdFromPrivateKey(key), status, note, seq: ++seq, issuedAt: now, expiresAt: now + ttlMs }, key)
}

describe('watched people of several devices', () => {
  let watched: WatchedPresentities | undefined
  afterEach(() => { watched?.stop() })

  async function setup (): Promise<{ w: WatchedPresentities, events: PresenceEventDetail[], laptop: PrivateKey, phone: PrivateKey, send: (key: PrivateKey, status: PresenceStatus, note?: string, ttlMs?: number) => TopicValidatorResult }> {
    const events: PresenceEventDetail[] = []
    const w = watched = new WatchedPresentities({
      roster,
      store: new WatchStore(new MemoryDatastore()),
      log: defaultLogger().forComponent('test'),
      maxClockSkewMs: 30_000,
      onPresence: detail => { events.push(detail) },
      onRejected: () => {},
      onVersion: () => {}
    })
    await w.load()
    const laptop = await generateKeyPair('Ed25519')
    const phone = await generateKeyPair('Ed25519')
    await w.sync(new Map([['alice', [peerIdFromPrivateKey(laptop).toString(), peerIdFromPrivateKey(phone).toString()]]]))
    const send = (key: PrivateKey, status: PresenceStatus, note?: string, ttlMs?: number): TopicValidatorResult =>
      w.validate(presenceTopic(peerIdFromPrivateKey(key).toString()), record(key, status, note, ttlMs))
    return { w, events, laptop, phone, send }
  }

  it('listens to each device and shows one person; a device leaving while another is online never shows offline', async () => {
    const { w, events, laptop, phone, send } = await setup()
    expect(w.topics(() => false).sort()).toEqual([laptop, phone].map(k => presenceTopic(peerIdFromPrivateKey(k).toString())).sort())
    const [laptopId, phoneId] = [laptop, phone].map(k => peerIdFromPrivateKey(k).toString())
    const unheard = { condition: 'unheard', availability: 'offline', winner: false }
    expect(w.list()).toEqual([{ peerId: 'alice', status: 'offline', alias: 'Alice', categories: undefined, devices: [{ device: laptopId, ...unheard }, { device: phoneId, ...unheard }].sort((a, b) => a.device < b.device ? -1 : 1) }])
    expect(send(laptop, 'online', 'laptop')).toBe(TopicValidatorResult.Accept)
    expect(send(phone, 'away', 'phone')).toBe(TopicValidatorResult.Accept)
    expect(w.get('alice')).toMatchObject({ peerId: 'alice', alias: 'Alice', status: 'online', note: 'laptop' })
    expect(w.get('alice')?.devices?.find(d => d.winner)).toMatchObject({ device: laptopId, condition: 'live', availability: 'online' })
    // a device's id finds its person
    expect(w.get(peerIdFromPrivateKey(phone).toString())).toEqual(w.get('alice'))
    // the laptop's goodbye: the phone is still there
    send(laptop, 'offline')
    expect(w.get('alice')).toMatchObject({ status: 'away', note: 'phone' })
    send(phone, 'offline')
    expect(w.get('alice')).toMatchObject({ status: 'offline' })
    expect(events.map(e => [e.view.peerId, e.view.status, e.changed, e.device])).toEqual([
      ['alice', 'online', true, peerIdFromPrivateKey(laptop).toString()],
      ['alice', 'online', false, peerIdFromPrivateKey(phone).toString()],
      ['alice', 'away', true, peerIdFromPrivateKey(laptop).toString()],
      ['alice', 'offline', true, peerIdFromPrivateKey(phone).toString()]
    ])
    expect(w.devices('alice')?.map(d => d.condition)).toEqual(['offline', 'offline'])
  })

  it('a device removed from the person (revoked) is no longer listened to, and the view is taken from the others at once', async () => {
    const { w, events, laptop, phone, send } = await setup()
    const [laptopId, phoneId] = [laptop, phone].map(k => peerIdFromPrivateKey(k).toString())
    send(laptop, 'online', 'laptop')
    send(phone, 'away', 'phone')
    await w.sync(new Map([['alice', [phoneId]]]))
    expect(events.at(-1)).toMatchObject({ cause: 'devices', changed: true, view: { peerId: 'alice', status: 'away', note: 'phone' } })
    // one device left: the view is that device's, with no per-device detail
    expect(w.get('alice')?.devices).toBeUndefined()
    expect(w.topics(() => false)).toEqual([presenceTopic(phoneId)])
    expect(send(laptop, 'online', 'laptop')).toBe(TopicValidatorResult.Ignore)
    expect(w.get(laptopId)).toBeUndefined()
    expect(w.get('alice')?.status).toBe('away')
  })

  it('a device whose record expires while another is live: the person stays shown online', async () => {
    const { w, events, laptop, phone, send } = await setup()
    send(laptop, 'online', undefined, 1_000)
    send(phone, 'online', undefined, 60_000)
    await waitFor(() => w.devices('alice')?.some(d => d.condition === 'expired') === true, 'the laptop\'s record to expire', 10_000)
    const expired = events.find(e => e.cause === 'expired')
    expect(expired).toMatchObject({ view: { peerId: 'alice', status: 'online' }, changed: false, device: peerIdFromPrivateKey(laptop).toString() })
    expect(events.every(e => e.view.status === 'online')).toBe(true)
    expect(w.get('alice')?.status).toBe('online')
  })

  it('a record on a device\'s public topic is not verified when it came over that device\'s own connection, and is from anyone else', async () => {
    const { w, laptop, phone } = await setup()
    const device = peerIdFromPrivateKey(laptop).toString()
    const topic = presenceTopic(device)
    const forged = (status: PresenceStatus): Uint8Array => {
      const bytes = Uint8Array.from(record(laptop, status))
      bytes[bytes.length - 1] ^= 1
      return bytes
    }
    // relayed by another peer (or no sender named): the signature is checked
    expect(w.validate(topic, forged('busy'), peerIdFromPrivateKey(phone).toString())).toBe(TopicValidatorResult.Reject)
    expect(w.validate(topic, forged('busy'))).toBe(TopicValidatorResult.Reject)
    expect(w.getRejections()['bad-signature']).toBe(2)
    // from the device itself (Noise proved the peer; a presentity forwards nothing on its own topic): no verify
    expect(w.validate(topic, forged('away'), device)).toBe(TopicValidatorResult.Accept)
    expect(w.get('alice')?.status).toBe('away')
    // the other checks still hold on that path: an older seq is a replay
    const older = sealPresenceNow({ presentity: peerIdFromPrivateKey(laptop), status: 'online', seq: 1n, issuedAt: Date.now(), expiresAt: Date.now() + 60_000 }, laptop)
    expect(w.validate(topic, older, device)).toBe(TopicValidatorResult.Ignore)
  })
})

import { afterAll, expect, it } from 'vitest'
import { cleanupHomes, startNode, waitFor } from '../helpers.js'

afterAll(cleanupHomes)

it('smoke: A sees B', async () => {
  const b = await startNode()
  const a = await startNode({ bootstrap: [b.addresses()[0]] })
  const t0 = Date.now()
  await a.watch(b.peerId, 'bob')
  await waitFor(() => a.presence.get(b.peerId)?.status === 'online', 'online')
  console.log('online after', Date.now() - t0)
  const t1 = Date.now()
  await b.setPresence({ status: 'away', note: 'lunch' })
  await waitFor(() => a.presence.get(b.peerId)?.status === 'away', 'away')
  console.log('away after', Date.now() - t1)
  const t2 = Date.now()
  await b.stop()
  await waitFor(() => a.presence.get(b.peerId)?.status === 'offline', 'offline')
  console.log('offline after', Date.now() - t2, a.presence.get(b.peerId))
  await a.stop()
  expect(true).toBe(true)
})

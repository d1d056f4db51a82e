/**
 * The backup's key derivation (node/backup/backup-file.ts) runs on libuv's
 * thread pool: a node or a prompt deriving a key (a second or so at the
 * documented cost) keeps its event loop free meanwhile.
 */
import { performance } from 'node:perf_hooks'
import { expect, it } from 'vitest'
import { openBackupFile, sealBackupFile } from '../../node/backup/backup-file.js'

it('sealing and opening a backup leave the event loop free while scrypt runs', async () => {
  const plain = new TextEncoder().encode('{"hello":"world"}')
  // 2^15: long enough that a derivation on the loop would fill it, cheap enough for a unit test
  const cost = { log2N: 15 }
  const before = performance.eventLoopUtilization()
  const file = await sealBackupFile(plain, 'correct horse battery', cost)
  expect(await openBackupFile(file, 'correct horse battery')).toEqual(plain)
  const { utilization } = performance.eventLoopUtilization(before)
  // off the loop it is a few hundredths (the cipher, the callbacks); on it, nearly 1
  expect(utilization).toBeLessThan(0.5)
})

/**
 * vitest runs many files in one worker process (isolate: false in
 * vitest.config.ts): fake timers a file leaves installed would be the next
 * file's clock (and its first vi.useFakeTimers() throws "twice"). The file
 * that leaves them fails here, and the next one starts with the real clock.
 */
import { afterAll, expect, vi } from 'vitest'

afterAll(() => {
  if (!vi.isFakeTimers()) return
  vi.useRealTimers()
  throw new Error(`${expect.getState().testPath ?? 'this file'} left fake timers installed: restore them (vi.useRealTimers()) after each test that installs them`)
})

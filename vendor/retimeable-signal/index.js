/**
 * retimeable-signal 1.0.1 (Apache-2.0 OR MIT, by Alex Potsides), with reset()
 * fixed. Upstream, reset() removes the *original* abort handler from the
 * current timer signal; after the first reset the current timer carries a
 * new handler, so every later reset leaves the previous timer armed and the
 * signal aborts at "first reset + ms" whatever happens after. circuit relay
 * v2's server resets a reservation's signal on each renewal, so renewed
 * reservations were dropped (and their relayed connections cut) one lifetime
 * after their first renewal. Here the handler is one function, always
 * removed from the timer it was added to.
 */
class AbortError extends Error {
  type
  code
  constructor (message, code, name) {
    super(message ?? 'The operation was aborted')
    this.type = 'aborted'
    this.name = name ?? 'AbortError'
    this.code = code ?? 'ABORT_ERR'
  }
}

export function retimeableSignal (ms, opts) {
  const error = new AbortError(opts?.errorMessage, opts?.errorCode, opts?.errorName)
  const controller = new AbortController()
  const abortHandler = () => {
    controller.abort(error)
  }
  let timer = AbortSignal.timeout(ms)
  timer.addEventListener('abort', abortHandler, { once: true })
  const signal = controller.signal
  signal.reset = (newMs) => {
    timer?.removeEventListener('abort', abortHandler)
    timer = AbortSignal.timeout(newMs ?? ms)
    timer.addEventListener('abort', abortHandler, { once: true })
  }
  signal.clear = () => {
    timer?.removeEventListener('abort', abortHandler)
    timer = undefined
  }
  return signal
}

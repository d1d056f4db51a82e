import { setMaxListeners } from '@libp2p/interface'

/**
 * Marks a signal that many operations listen to at once (libp2p adds a
 * listener per dial and per stream) so Node does not print its
 * "possible EventTarget memory leak" warning to the user's terminal.
 * The listeners go away with the operations; this only lifts the warning.
 */
export function sharedSignal<S extends AbortSignal> (signal: S): S {
  setMaxListeners(Infinity, signal)
  return signal
}

/** An AbortController whose signal is shared as above. */
export function sharedController (): AbortController {
  const controller = new AbortController()
  sharedSignal(controller.signal)
  return controller
}

const SOURCES = Symbol('presence-mesh.anySignal.sources')

/**
 * `anySignal(signals)` that holds its sources. Node 20's holds them
 * only weakly, and a source nothing else refers to, typically an inline
 * `AbortSignal.timeout()`, is collected at the next GC: its timer then
 * aborts nothing and the combined signal never ends (a lookup parked on it
 * stays parked for good). Holding the sources from the result keeps them
 * exactly as long as someone still waits on it. (The `any-signal` package
 * libp2p uses has the same gap: its result refers to no source either, only
 * each source's listener to the result.)
 */
export function anySignal (signals: AbortSignal[]): AbortSignal {
  const signal = AbortSignal.any(signals)
  Object.defineProperty(signal, SOURCES, { value: signals })
  return signal
}

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

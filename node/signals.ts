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
const CONTROLLER = Symbol('presence-mesh.anySignal.controller')

type Dependants = Set<WeakRef<AbortSignal>>

/**
 * The combined signals that depend on each source, held weakly; a set that
 * empties is dropped (a JavaScript Set keeps the capacity it once reached).
 */
const dependants = new WeakMap<AbortSignal, Dependants>()
/** Sources with the one abort listener that ends their dependants. */
const hooked = new WeakSet<AbortSignal>()

/** A combined signal nobody waits on any more is collected: it leaves its sources' sets. */
const collected = new FinalizationRegistry<{ ref: WeakRef<AbortSignal>, sources: AbortSignal[] }>(({ ref, sources }) => { leave(ref, sources) })

/**
 * Combined signals someone waits on (an abort listener on them), held
 * strongly until they end or lose their last listener, as Node holds its
 * own: a waiter that nothing else refers to (a promise resolved only by the
 * abort) would otherwise be collected with the signal and never resume.
 */
const waitedOn = new Set<AbortSignal>()

/** Tracks the abort listeners added to `signal` from now on (by callback and capture, as EventTarget keys them). */
function holdWhileWaitedOn (signal: AbortSignal): void {
  const listeners = [new Set<unknown>(), new Set<unknown>()]
  const capture = (options?: boolean | { capture?: boolean }): number => (options === true || (typeof options === 'object' && options?.capture === true)) ? 1 : 0
  const add = signal.addEventListener
  const remove = signal.removeEventListener
  signal.addEventListener = function (this: AbortSignal, ...[type, listener, options]: Parameters<AbortSignal['addEventListener']>) {
    add.call(this, type, listener, options)
    // a listener tied to a signal that has ended is not added at all
    if (type !== 'abort' || listener == null || signal.aborted || (typeof options === 'object' && options.signal?.aborted === true)) return
    listeners[capture(options)].add(listener)
    waitedOn.add(signal)
  }
  signal.removeEventListener = function (this: AbortSignal, ...[type, listener, options]: Parameters<AbortSignal['removeEventListener']>) {
    remove.call(this, type, listener, options)
    if (type !== 'abort' || listener == null) return
    listeners[capture(options)].delete(listener)
    if (listeners[0].size === 0 && listeners[1].size === 0) waitedOn.delete(signal)
  }
}

function join (ref: WeakRef<AbortSignal>, source: AbortSignal): void {
  let deps = dependants.get(source)
  if (deps == null) dependants.set(source, deps = new Set())
  deps.add(ref)
  if (hooked.has(source)) return
  hooked.add(source)
  // past an anySignal result's own addEventListener: this listener is no waiter (an outer combined signal that
  // is waited on holds this one through its sources)
  EventTarget.prototype.addEventListener.call(source, 'abort', () => { endDependants(source) }, { once: true })
}

/** How many combined signals still depend on `source` (diagnostics; the memory benchmark measures the bytes). */
export function dependantsOf (source: AbortSignal): number {
  return dependants.get(source)?.size ?? 0
}

function endDependants (source: AbortSignal): void {
  const deps = dependants.get(source)
  dependants.delete(source)
  for (const ref of deps ?? []) {
    (ref.deref() as { [CONTROLLER]?: AbortController } | undefined)?.[CONTROLLER]?.abort(source.reason)
  }
}

function leave (ref: WeakRef<AbortSignal>, sources: AbortSignal[]): void {
  for (const source of sources) {
    const deps = dependants.get(source)
    if (deps?.delete(ref) === true && deps.size === 0) dependants.delete(source)
  }
}

/**
 * A signal that ends when any of `signals` ends, with its reason.
 *
 * Not Node 20's `AbortSignal.any`, for two faults of it:
 * - it holds its sources only weakly, and a source nothing else refers to,
 *   typically an inline `AbortSignal.timeout()`, is collected at the next
 *   GC: its timer then aborts nothing and the combined signal never ends (a
 *   lookup parked on it stays parked for good). Here the result holds its
 *   sources, so they live exactly as long as someone still waits on it;
 * - each call leaves a WeakRef in a set on every source that is never
 *   pruned in Node 20: about 53 bytes for good on a long-lived
 *   signal (a service's shutdown signal, a follow's) per combined signal,
 *   hundreds of MiB a day for a node that follows 950 offline contacts.
 *   Here the WeakRef leaves the set when the result ends or is collected;
 *   a result with an abort listener is held strongly until it ends, as
 *   Node holds its own.
 * One abort listener per source, not per result: Node's EventTarget walks
 * its listeners on every add and remove. (The `any-signal` package libp2p
 * uses has both faults: its result refers to no source, and its listeners
 * stay on the sources until `clear()`.)
 */
export function anySignal (signals: AbortSignal[]): AbortSignal {
  const ended = signals.find(s => s.aborted)
  if (ended != null) return AbortSignal.abort(ended.reason)
  const controller = new AbortController()
  const signal = controller.signal
  // the signal holds its controller (and sources): one lives as long as the other
  Object.defineProperty(signal, CONTROLLER, { value: controller })
  Object.defineProperty(signal, SOURCES, { value: signals })
  const ref = new WeakRef(signal)
  for (const source of signals) join(ref, source)
  // no unregister token: V8's table of them keeps its peak size; a finalizer after an abort finds nothing to do
  collected.register(signal, { ref, sources: signals })
  signal.addEventListener('abort', () => {
    leave(ref, signals)
    waitedOn.delete(signal)
  }, { once: true })
  holdWhileWaitedOn(signal)
  return signal
}

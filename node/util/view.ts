/**
 * A view of an object with some members replaced: how a service is handed a
 * narrower or adjusted component (a stream whose first write is rewritten,
 * identify's registrar, AutoNAT's connection manager) without a wrapper class
 * that must forward every member.
 */

/** `target` with some members replaced; the others are the target's own (methods bound to it). */
export function withView<T extends object> (target: T, view: Partial<T>): T {
  return new Proxy(target, {
    get: (t, key) => {
      if (key in view) return (view as any)[key]
      const value = Reflect.get(t, key)
      // methods are bound to the target; a function held as a property (a stream's
      // logger, with .error and .trace on it) is passed on as it is
      return typeof value === 'function' && !Object.hasOwn(t, key) ? value.bind(t) : value
    }
  })
}

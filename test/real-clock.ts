/** The global Date as the worker started with it (a module is evaluated once per worker: isolate: false). */
export const REAL_DATE: DateConstructor = globalThis.Date

/** The timer functions fake timers replace, as the worker started with them. */
export const TIMER_NAMES = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'] as const
export const REAL_TIMERS: Record<typeof TIMER_NAMES[number], unknown> = Object.fromEntries(TIMER_NAMES.map(n => [n, globalThis[n]])) as Record<typeof TIMER_NAMES[number], unknown>

/** The global Date as the worker started with it (a module is evaluated once per worker: isolate: false). */
export const REAL_DATE: DateConstructor = globalThis.Date

/** JSON that survives bigints (sequence numbers, as decimal strings) and bytes (as base64). */
export const toJson = (v: unknown): string => JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString('base64') : x)

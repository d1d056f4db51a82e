/** Drops the oldest entries of an insertion-ordered Map or Set beyond `max` (a bounded memory of recent things). */
export function trimOldest (c: Map<string, unknown> | Set<string>, max: number): void {
  while (c.size > max) c.delete(c.keys().next().value as string)
}

/**
 * What services read of kad-dht's routing table (a runtime field of the
 * service): its size, and its 'peer:add' event, which tells when a DHT
 * server becomes known.
 */
export type RoutingTableView = { size: number } & Partial<Pick<EventTarget, 'addEventListener' | 'removeEventListener'>>

/**
 * True while the table knows no DHT server (a put or lookup could store or
 * find nothing); `then` runs once the first one is added. Asking again adds
 * no second listener: an EventTarget keeps one per callback.
 */
export function awaitFirstDhtServer (table: RoutingTableView | undefined, then: () => void): boolean {
  if (table == null || table.size > 0 || table.addEventListener == null) return false
  table.addEventListener('peer:add', then, { once: true })
  return true
}

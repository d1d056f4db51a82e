/**
 * Reading history as a whole: search across conversations. History is
 * stored per conversation, newest first; a search reads it all once.
 */
import type { ChatMessage } from './chat-store.js'
import type { PeerId } from '@libp2p/interface'

export interface SearchOptions {
  /** Only this conversation. */
  peer?: PeerId | string
  /** At most this many matches, the newest (default 50). */
  limit?: number
}

export const DEFAULT_SEARCH_LIMIT = 50

/** Case-insensitive: every word of the query must occur in the text (in any order). */
export function matcher (query: string): (text: string) => boolean {
  const words = query.normalize('NFKC').toLocaleLowerCase().split(/\s+/).filter(w => w !== '')
  return (text) => {
    if (words.length === 0) return false
    const t = text.normalize('NFKC').toLocaleLowerCase()
    return words.every(w => t.includes(w))
  }
}

/** The newest `limit` messages matching `query`, oldest first. */
export async function searchMessages (all: AsyncIterable<ChatMessage>, query: string, options: SearchOptions = {}): Promise<ChatMessage[]> {
  const limit = options.limit ?? DEFAULT_SEARCH_LIMIT
  const peer = options.peer?.toString()
  const matches = matcher(query)
  const found: ChatMessage[] = []
  for await (const m of all) {
    if (peer != null && m.peer !== peer) continue
    if (matches(m.text)) found.push(m)
  }
  return found.sort((a, b) => a.seq - b.seq).slice(-limit)
}

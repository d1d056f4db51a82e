/**
 * The node API's chat methods (PresenceNodeApi: send ... setReadReceipts) over
 * the chat service: people named by alias or peer id. PresenceNode extends
 * this (which extends the group methods), which keeps its own module short.
 */
import { InvalidMessageError } from './chat/errors.js'
import { GroupCommands } from './group-commands.js'
import type { ChatMessage, ChatService, ConversationRange, SearchOptions } from './chat/index.js'
import type { PeerId } from '@libp2p/interface'

export abstract class ChatCommands extends GroupCommands {
  abstract get chat (): ChatService

  /** Queues a text for a contact (alias or peer id); resolves with its id once it is on disk. */
  async send (to: PeerId | string, text: string): Promise<string> {
    const peer = this.resolvePeer(to)
    // a text of nothing but white space would show as an empty message
    if (typeof text === 'string' && text.trim() === '') throw new InvalidMessageError('empty')
    return (await this.chat.send(peer, text)).id
  }

  /** The newest `limit` messages with a contact, both directions, oldest first. */
  async history (peer: PeerId | string, limit?: number): Promise<ChatMessage[]> {
    return await this.chat.history(this.resolvePeer(peer), limit)
  }

  /** The conversation with a contact person, the same on every device of this person; anyone else: history(). */
  async conversation (peer: PeerId | string, limit?: number): Promise<ChatMessage[]> {
    return await this.chat.conversation(this.resolvePeer(peer), limit)
  }

  async conversationPage (peer: PeerId | string, range: ConversationRange & { limit: number }): Promise<ChatMessage[]> {
    return await this.chat.conversationPage(this.resolvePeer(peer), range)
  }

  async conversationSize (peer: PeerId | string, range?: Pick<ConversationRange, 'after' | 'before'>): Promise<number> {
    return await this.chat.conversationSize(this.resolvePeer(peer), range)
  }

  /** Marks a contact's messages read and sends the read receipt; returns how many changed. */
  async markRead (peer: PeerId | string): Promise<number> {
    return await this.chat.markRead(this.resolvePeer(peer))
  }

  async requests (): Promise<ChatMessage[]> {
    return await this.chat.requests()
  }

  typing (peer: PeerId | string): void {
    this.chat.typing(this.resolvePeer(peer))
  }

  async unread (): Promise<Record<string, number>> {
    return await this.chat.unread()
  }

  undelivered (): ChatMessage[] {
    return this.chat.undelivered()
  }

  async unsend (peer: PeerId | string, id: string): Promise<ChatMessage | undefined> {
    return await this.chat.unsend(this.resolvePeer(peer), id)
  }

  async search (query: string, options?: SearchOptions): Promise<ChatMessage[]> {
    return await this.chat.search(query, { ...options, peer: options?.peer == null ? undefined : this.resolvePeer(options.peer) })
  }

  async conversations (): Promise<string[]> {
    return await this.chat.conversations()
  }

  readReceipts (): boolean {
    return this.chat.getReadReceipts()
  }

  async setReadReceipts (on: boolean): Promise<void> {
    await this.chat.setReadReceipts(on)
  }
}

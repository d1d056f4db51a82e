/** Commands about messages: sending, history, search, the outbox, read receipts, the current conversation. */
import { MAX_CHAT_BODY_BYTES } from '../node/client.js'
import { BadArguments, lines, peerArg, textAfter } from './command.js'
import { UsageError } from './errors.js'
import { count, messageLine, shortId } from './format.js'
import { safe } from './safe-text.js'
import type { CommandSpec, Ctx } from './command.js'
import type { ChatMessage } from '../node/index.js'

/** How many messages /open shows of a conversation. */
const OPEN_BACKLOG = 10

/** A message checked where it is typed: nothing but white space, or over the limit, never reaches the node. */
export function checkText (text: string): void {
  if (text.trim() === '') throw new BadArguments('a message needs some text')
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > MAX_CHAT_BODY_BYTES) throw new UsageError(`a message holds at most ${count(MAX_CHAT_BODY_BYTES)} bytes of UTF-8; this one has ${count(bytes)}`)
}

/** Sends and returns the line of the message as it stands (queued, or already further). */
export async function sendText (ctx: Ctx, peer: string, text: string): Promise<{ data: ChatMessage | { id: string }, line: string }> {
  checkText(text)
  const id = await ctx.node.send(peer, text)
  const m = (await ctx.node.conversation(peer, 5)).find(x => x.id === id)
  // the echo says it is in the outbox; going out (✓) and arriving (✓✓) are told as they happen,
  // after the echo, even when a fast receipt came first (the README's walkthrough shows exactly that)
  const shown = m == null ? undefined : { ...m, state: 'queued' as const }
  return { data: m ?? { id }, line: shown == null ? `queued for ${ctx.names.of(peer)}` : messageLine(shown, ctx.names.of(peer), ctx.paint, ctx.now) }
}

const msg = (name: string): CommandSpec => ({
  name,
  args: '<name> <text...>',
  help: `send a message (kept and retried until delivered; at most ${count(MAX_CHAT_BODY_BYTES)} bytes)`,
  run: async (ctx, { args, rest }) => {
    const text = textAfter(rest, 1)
    if (args[0] == null) throw new BadArguments()
    if (text === '') throw new BadArguments('a message needs some text')
    const peer = await peerArg(ctx, args[0])
    const { data, line } = await sendText(ctx, peer, text)
    return lines(data, line)
  }
})

/** The conversation with a person (whichever of their devices or of yours wrote), marked read on all of your devices. */
async function historyOf (ctx: Ctx, peer: string, limit: number): Promise<ChatMessage[]> {
  const messages = await ctx.node.conversation(peer, limit)
  await ctx.node.markRead(peer)
  return messages
}

/** Your other devices by peer id, named as /devices names them, to say which one wrote a message of yours. */
export async function otherDevices (node: Pick<Ctx['node'], 'devices'>): Promise<Map<string, string>> {
  const { devices } = await node.devices()
  return new Map(devices.filter(d => !d.self).map(d => [d.peerId, d.name]))
}

export const chatCommands: CommandSpec[] = [
  msg('msg'),
  { ...msg('send'), help: 'the same as msg' },
  {
    name: 'history',
    args: '<name> [n]',
    help: 'the last n messages with someone, from any of their devices and yours (default 20); marks them read everywhere',
    run: async (ctx, { args }) => {
      const limit = args[1] == null ? 20 : Number(args[1])
      if (!Number.isInteger(limit) || limit < 1) throw new BadArguments(`${safe(args[1])} is not a positive whole number`)
      const peer = await peerArg(ctx, args[0])
      const messages = await historyOf(ctx, peer, limit)
      const name = ctx.names.of(peer)
      const mine = await otherDevices(ctx.node)
      return lines(messages, ...(messages.length === 0 ? [`no messages with ${name} yet`] : messages.map(m => messageLine(m, name, ctx.paint, ctx.now, mine.get(m.author ?? '')))))
    }
  },
  {
    name: 'requests',
    help: 'messages held from people who are not your contacts',
    run: async (ctx) => {
      const held = await ctx.node.requests()
      const { incoming } = await ctx.node.contactRequests()
      const asking = new Set(incoming.map(r => r.peerId))
      const out = held.map(m => `${messageLine(m, ctx.names.of(m.peer), ctx.paint, ctx.now)} ${ctx.paint('dim', asking.has(m.peer) ? '(asks to be a contact: /accept or /deny)' : '(not a contact)')}`)
      return lines(held, ...(out.length === 0 ? ['no held messages'] : out))
    }
  },
  {
    name: 'search',
    args: '<words...>',
    help: 'messages containing every word, the newest 50 (a word in:<name> keeps to one conversation)',
    run: async (ctx, { args }) => {
      let peer: string | undefined
      const words = args.filter(w => {
        if (!w.startsWith('in:')) return true
        peer = w.slice(3)
        return false
      })
      if (words.length === 0) throw new BadArguments()
      const found = await ctx.node.search(words.join(' '), { peer: peer == null ? undefined : await peerArg(ctx, peer) })
      const out = found.map(m => messageLine(m, ctx.names.of(m.peer), ctx.paint, ctx.now))
      return lines(found, ...(out.length === 0 ? [`nothing found for ${safe(words.join(' '))}`] : out))
    }
  },
  {
    name: 'outbox',
    args: '[cancel] [n]',
    help: 'messages not delivered yet; cancel takes one back if it has not gone out',
    run: async (ctx, { args }) => {
      const waiting = await ctx.node.undelivered()
      if (args[0] === 'cancel') {
        const key = args[1]
        if (key == null) throw new BadArguments()
        const n = /^#?\d+$/.test(key) ? Number(key.replace('#', '')) : NaN
        const m = Number.isInteger(n) ? waiting[n - 1] : waiting.find(x => x.id.startsWith(key))
        if (m == null) throw new UsageError(`no message ${safe(key)} in the outbox (/outbox lists them)`)
        const taken = await ctx.node.unsend(m.peer, m.id)
        if (taken == null) throw new UsageError(`that message to ${ctx.names.of(m.peer)} is already on its way; it cannot be taken back`)
        return lines(taken, `took back your message to ${ctx.names.of(m.peer)}: "${safe(m.text)}"`)
      }
      if (args[0] != null) throw new BadArguments()
      const out = waiting.map((m, i) => `  #${i + 1} ${messageLine(m, ctx.names.of(m.peer), ctx.paint, ctx.now)}`)
      return lines(waiting, ...(out.length === 0 ? ['the outbox is empty: everything was delivered'] : out))
    }
  },
  {
    name: 'receipts',
    args: '[on|off]',
    help: 'whether reading a conversation tells the sender (read receipts)',
    run: async (ctx, { args }) => {
      if (args[0] != null) {
        if (args[0] !== 'on' && args[0] !== 'off') throw new BadArguments()
        await ctx.node.setReadReceipts(args[0] === 'on')
      }
      const on = await ctx.node.readReceipts()
      return lines({ readReceipts: on }, on ? 'read receipts are on: people see when you read their messages' : 'read receipts are off: nobody sees when you read')
    }
  },
  {
    name: 'open',
    args: '<name>',
    help: 'talk to someone: plain lines go to them until /close (//text sends a line starting with /)',
    promptOnly: true,
    run: async (ctx, { args }) => {
      const peer = await peerArg(ctx, args[0])
      const messages = await historyOf(ctx, peer, OPEN_BACKLOG)
      ctx.session?.open(peer)
      const name = ctx.names.of(peer)
      const mine = await otherDevices(ctx.node)
      return lines(messages, ...messages.map(m => messageLine(m, name, ctx.paint, ctx.now, mine.get(m.author ?? ''))), `talking to ${name} (${shortId(peer)}): type to send, /close to stop`)
    }
  },
  {
    name: 'close',
    help: 'stop talking to the current person',
    promptOnly: true,
    run: async (ctx) => {
      const peer = ctx.session?.current()
      ctx.session?.close()
      return lines({}, peer == null ? 'no conversation is open' : `closed the conversation with ${ctx.names.of(peer)}`)
    }
  }
]

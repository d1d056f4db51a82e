/** Commands about people: contacts, requests, names, blocks and mutes. */
import { looksLikeContactCode } from '../node/client.js'
import { BadArguments, lines, peerArg, textAfter } from './command.js'
import { UsageError } from './errors.js'
import { pad, shortId, stamp } from './format.js'
import { safe } from './safe-text.js'
import type { CommandSpec, Ctx } from './command.js'

/** The peer of a pending incoming request: the one named, else the only one. */
async function pendingFrom (ctx: Ctx, named: string | undefined): Promise<string> {
  if (named != null) return await peerArg(ctx, named)
  const { incoming } = await ctx.node.contactRequests()
  if (incoming.length === 1) return incoming[0].peerId
  throw new UsageError(incoming.length === 0 ? 'no contact requests are waiting for you' : 'several requests are waiting: name whose (/contacts lists them)')
}

/**
 * `/accept <word>` with one request waiting: the word names the requester if
 * it is them, else it is the name to give them (`/accept alice`).
 */
async function acceptWords (ctx: Ctx, args: string[]): Promise<[string | undefined, string | undefined]> {
  if (args.length !== 1) return [args[0], args[1]]
  const { incoming } = await ctx.node.contactRequests()
  if (incoming.length !== 1) return [args[0], undefined]
  const named = await peerArg(ctx, args[0]).catch(() => undefined)
  return named === incoming[0].peerId ? [args[0], undefined] : [undefined, args[0]]
}

const quoted = (greeting: string | undefined): string => greeting != null ? ` "${safe(greeting)}"` : ''

/** A command that does one thing to one person: find them, ask the node, say what happened. */
function onePerson (spec: Pick<CommandSpec, 'name' | 'args' | 'help'> & {
  /** How the person is found (default: as named; the pending requester for answers). */
  find?: (ctx: Ctx, word: string | undefined) => Promise<string>
  act: (ctx: Ctx, peer: string) => Promise<unknown>
  /** The line, given how the person was named before the action. */
  said: (name: { of: string, full: string }, peer: string) => string
}): CommandSpec {
  return {
    name: spec.name,
    args: spec.args,
    help: spec.help,
    run: async (ctx, { args }) => {
      const peer = await (spec.find ?? peerArg)(ctx, args[0])
      const name = { of: ctx.names.of(peer), full: ctx.names.full(peer) }
      await spec.act(ctx, peer)
      return lines({ peerId: peer, name: name.of }, spec.said(name, peer))
    }
  }
}

export const contactCommands: CommandSpec[] = [
  {
    name: 'contacts',
    help: 'your contacts, and the requests waiting on either side',
    run: async (ctx) => {
      const contacts = await ctx.node.contacts()
      const { incoming, outgoing } = await ctx.node.contactRequests()
      const people = await ctx.node.people()
      const muted = new Set(people.filter(p => p.muted === true).map(p => p.id))
      const out = contacts.map(c => {
        const state = c.blocked ? ctx.paint('red', 'blocked') : `sees ${c.view === 'full' ? 'everything' : 'status only'}`
        return `  ${pad(ctx.paint('bold', ctx.names.of(c.peerId)), 16)} ${state}${muted.has(c.peerId) ? ', muted' : ''}  ${ctx.paint('dim', `since ${stamp(c.since, ctx.now)}  ${shortId(c.peerId)}`)}`
      })
      if (out.length === 0) out.push('no contacts yet: /request <code> [greeting] asks someone (/code shows yours)')
      for (const r of incoming) out.push(`  ${ctx.paint('cyan', 'asks you')}: ${ctx.names.full(r.peerId)}${quoted(r.greeting)} (/accept ${shortId(r.peerId)} [name] or /deny)`)
      for (const r of outgoing) out.push(`  ${ctx.paint('dim', 'you asked')}: ${ctx.names.full(r.peerId)} (${r.delivered === true ? 'delivered, waiting for an answer' : r.busy === true ? 'not delivered yet: they cannot take requests now, it is tried again later' : 'not delivered yet'})`)
      const named = (peerId: string): { name: string } => ({ name: ctx.names.of(peerId) })
      return {
        data: {
          contacts: contacts.map(c => ({ ...c, ...named(c.peerId), muted: muted.has(c.peerId) })),
          incoming: incoming.map(r => ({ ...r, ...named(r.peerId) })),
          outgoing: outgoing.map(r => ({ ...r, ...named(r.peerId) }))
        },
        lines: out
      }
    }
  },
  {
    name: 'request',
    args: '<code|peer> [greeting...]',
    help: 'ask someone to become a contact, with the contact code they gave you (by peer id only a public node, or someone asking you too, gets it); retried until it reaches them',
    run: async (ctx, { args, rest }) => {
      if (args[0] == null) throw new BadArguments()
      const target = looksLikeContactCode(args[0]) ? args[0] : await peerArg(ctx, args[0])
      const greeting = textAfter(rest, 1)
      const req = await ctx.node.requestContact(target, greeting === '' ? undefined : greeting)
      return lines(req, `asked ${ctx.names.full(req.peerId)} to be a contact; the request is retried until it reaches them`)
    }
  },
  {
    name: 'code',
    args: '[rotate [drop]]',
    help: 'your contact code: whoever has it can find you and ask to become a contact; rotate: a new one (the old one stops working), drop: and the pending requests that came with the old one go',
    run: async (ctx, { args }) => {
      const [verb, drop] = args
      if (verb == null) return lines({ code: await ctx.node.contactCode() }, 'your contact code (whoever has it can find you and ask to become a contact):', `  ${await ctx.node.contactCode()}`)
      if (verb !== 'rotate' || (drop != null && drop !== 'drop') || args.length > 2) throw new BadArguments()
      const code = await ctx.node.rotateContactCode({ dropPending: drop === 'drop' })
      return lines({ code }, `new contact code (the old one no longer works${drop === 'drop' ? ', and the requests it brought are gone' : ''}):`, `  ${code}`)
    }
  },
  {
    name: 'accept',
    args: '[peer] [name]',
    help: 'accept a contact request and name the person (the only one waiting if none is named: /accept <name> then names them)',
    run: async (ctx, { args }) => {
      const [who, name] = await acceptWords(ctx, args)
      const peer = await pendingFrom(ctx, who)
      const contact = await ctx.node.accept(peer, name)
      return lines(contact, `${name != null ? safe(name) : ctx.names.of(peer)} is now a contact: you see each other's presence`)
    }
  },
  onePerson({
    name: 'deny',
    args: '[peer]',
    help: 'decline a contact request (what they sent meanwhile is deleted)',
    find: pendingFrom,
    act: async (ctx, peer) => { await ctx.node.deny(peer) },
    said: (n) => `declined ${n.full}`
  }),
  onePerson({
    name: 'cancel',
    args: '<peer>',
    help: 'withdraw a contact request you sent',
    act: async (ctx, peer) => { await ctx.node.cancel(peer) },
    said: (n) => `withdrew your request to ${n.full}`
  }),
  onePerson({
    name: 'remove',
    args: '<name>',
    help: 'end a contact: neither of you sees the other any more (they are told); history stays',
    act: async (ctx, peer) => { await ctx.node.removeContact(peer) },
    said: (n) => `${n.of} is no longer a contact; your history with them stays (/request ${n.of} to ask again)`
  }),
  {
    name: 'name',
    args: '<peer> [name]',
    help: 'give someone a name (or, without one, take it away)',
    run: async (ctx, { args }) => {
      const peer = await peerArg(ctx, args[0])
      const before = ctx.names.full(peer)
      const p = await ctx.node.setAlias(peer, args[1])
      return lines(p, args[1] == null ? `${before} has no name now` : `${shortId(peer)} is now called ${safe(args[1])}`)
    }
  },
  onePerson({
    name: 'block',
    args: '<name>',
    help: 'block someone: to them you look offline; what they send is dropped for good',
    act: async (ctx, peer) => { await ctx.node.block(peer) },
    said: (n) => `blocked ${n.full}: to them you look offline`
  }),
  onePerson({
    name: 'unblock',
    args: '<name>',
    help: 'undo a block (what they sent while blocked stays dropped)',
    act: async (ctx, peer) => { await ctx.node.unblock(peer) },
    said: (n) => `unblocked ${n.full}`
  }),
  {
    name: 'blocked',
    help: 'the people you blocked',
    run: async (ctx) => {
      const list = await ctx.node.blocked()
      return lines(list.map(b => ({ ...b, name: ctx.names.of(b.peerId) })),
        ...(list.length === 0 ? ['nobody is blocked'] : list.map(b => `  ${pad(ctx.names.of(b.peerId), 16)} since ${stamp(b.since, ctx.now)}  ${ctx.paint('dim', shortId(b.peerId))}`)))
    }
  },
  {
    name: 'watchers',
    help: 'who asked to watch you and what became of it; who watches now',
    run: async (ctx) => {
      const w = await ctx.node.watchers()
      const now = w.watching.length === 0 ? ['nobody is watching right now'] : [`watching now: ${w.watching.map(p => ctx.names.of(p)).join(', ')}`]
      return lines(w, ...now, ...w.asked.map(a => `  ${a.direction === 'incoming' ? 'asked you' : 'you asked'}: ${pad(ctx.names.of(a.peerId), 16)} ${a.outcome}${quoted(a.greeting)}  ${ctx.paint('dim', stamp(a.at, ctx.now))}`))
    }
  },
  ...(['mute', 'unmute'] as const).map(verb => onePerson({
    name: verb,
    args: '<name>',
    help: verb === 'mute' ? 'no bell or desktop notification for someone (their messages still arrive)' : 'notifications for someone again',
    act: async (ctx, peer) => { await ctx.node.setMuted(peer, verb === 'mute') },
    said: (n) => `${n.of} is ${verb === 'mute' ? 'muted: no notifications' : 'unmuted'}`
  }))
]


/** Commands about the network: addresses, finding a peer, open connections. */
import { lines, peerArg } from './command.js'
import { lookupTime, withDeadline } from './cmd-presence.js'
import { pad, shortId, stamp } from './format.js'
import { safe } from './safe-text.js'
import type { CommandSpec } from './command.js'

export const networkCommands: CommandSpec[] = [
  {
    name: 'locate',
    args: '<name> [seconds]',
    help: 'find where someone is and connect (the DHT if needed; gives up after 20 s or the seconds given)',
    slow: ({ args }) => `locating ${args[0] ?? '…'}`,
    run: async (ctx, { args }) => {
      const peer = await peerArg(ctx, args[0])
      const name = ctx.names.of(peer)
      const found = await withDeadline(`locating ${name}`, lookupTime(args[1]), async (o) => await ctx.node.locate(peer, o))
      const via = found.via === 'connected' ? 'already connected' : found.via === 'peer-store' ? 'at a known address' : 'through the DHT'
      return lines(found, `${name} found ${via} in ${found.ms} ms:`, ...found.addresses.map(a => `  ${safe(a)}`))
    }
  },
  {
    name: 'connections',
    help: 'the peers this node is connected to right now',
    run: async (ctx) => {
      const conns = await ctx.node.connections()
      const out = conns.map(c => `  ${pad(ctx.names.of(c.peerId), 16)} ${c.direction === 'inbound' ? 'in ' : 'out'} ${c.relayed ? 'relayed' : 'direct '} since ${stamp(c.since, ctx.now)}  ${ctx.paint('dim', safe(c.address))}`)
      return lines(conns.map(c => ({ ...c, name: ctx.names.of(c.peerId) })), ...(out.length === 0 ? ['no connections'] : out))
    }
  },
  {
    name: 'id',
    help: 'your peer id and the addresses others can use to reach you',
    run: async (ctx) => {
      const addresses = await ctx.node.addresses()
      return lines({ peerId: ctx.self, addresses }, `peer id: ${ctx.self} (${shortId(ctx.self)})`, 'addresses:', ...addresses.map(a => `  ${safe(a)}`))
    }
  }
]

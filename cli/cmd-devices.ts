/** Commands about this person's devices: link a new one, list them, revoke one (docs/protocol.md §14). */
import { BadArguments, lines } from './command.js'
import { pad, shortId, stamp } from './format.js'
import { safe } from './safe-text.js'
import type { CommandSpec } from './command.js'

export const deviceCommands: CommandSpec[] = [
  {
    name: 'link',
    help: 'a one-time code (10 minutes) that makes a new device yours: on it run presence-mesh join <code> --home <dir>',
    run: async (ctx, { args }) => {
      if (args.length > 0) throw new BadArguments()
      const { code, expiresAt } = await ctx.node.linkCode()
      return lines({ code, expiresAt },
        `link code (works once, until ${stamp(expiresAt, ctx.now)}; whoever has it can make a device yours, so give it to nobody else):`,
        `  ${code}`,
        'on the new device: presence-mesh join <code> --home <dir> [--name <device name>], then presence-mesh start --home <dir>')
    }
  },
  {
    name: 'devices',
    help: 'your devices: name, short id, when linked, online now',
    run: async (ctx, { args }) => {
      if (args.length > 0) throw new BadArguments()
      const d = await ctx.node.devices()
      const head = d.revoked
        ? ctx.paint('red', `this device was revoked by ${shortId(d.person)}: it is none of their devices any more`)
        : d.holdsPersonKey
          ? 'your devices (this one holds your person key: it links and revokes; /link adds one):'
          : `your devices, as ${shortId(d.person)} (your person key is on the device marked *: link and revoke there):`
      const out = d.devices.map(x => `  ${x.personKey ? '*' : ' '} ${pad(safe(x.name), 16)} ${pad(shortId(x.peerId), 11)} linked ${stamp(x.linkedAt, ctx.now)}  ${x.self ? 'this device' : x.online ? ctx.paint('green', 'online') : 'not connected'}`)
      return lines(d, head, ...out)
    }
  },
  {
    name: 'revoke',
    args: '<device>',
    help: 'revoke one of your devices (its name or short id): your other devices and contacts refuse it from then on',
    run: async (ctx, { args }) => {
      if (args.length !== 1) throw new BadArguments()
      const gone = await ctx.node.revokeDevice(args[0])
      return lines(gone, `revoked ${safe(gone.name)} (${shortId(gone.peerId)}): your other devices and your contacts refuse it from now on`)
    }
  }
]

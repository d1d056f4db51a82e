/** `/accept` with a stub node: one word is the requester when it names them, else the name to give the only one waiting. */
import { describe, expect, it } from 'vitest'
import { runCommand } from '../../cli/command.js'
import { contactCommands } from '../../cli/cmd-contacts.js'
import { Names } from '../../cli/names.js'
import { painter } from '../../cli/style.js'
import type { Api } from '../../cli/api.js'
import type { Ctx } from '../../cli/command.js'

const SELF = '12D3KooWSELFSELFSELFSELFSELFSELFSELFSELFSELFSELFSEL'
const CAROL = '12D3KooWCarolCarolCarolCarolCarolCarolCarolCarolCar'
const DAVE = '12D3KooWDaveDaveDaveDaveDaveDaveDaveDaveDaveDaveDav'
const BOB = '12D3KooWBobBobBobBobBobBobBobBobBobBobBobBobBobBobB'

async function stub (waiting: string[]): Promise<{ ctx: Ctx, accepted: Array<[string, string | undefined]> }> {
  const accepted: Array<[string, string | undefined]> = []
  const node = {
    people: () => [{ id: BOB, alias: 'bob' }, ...waiting.map(id => ({ id }))],
    contactRequests: () => ({ incoming: waiting.map(peerId => ({ peerId })), outgoing: [] }),
    resolvePeer: async (word: string) => { throw new Error(`${word} is neither a name you gave nor a peer id`) },
    accept: async (peer: string, alias?: string) => { accepted.push([peer, alias]); return { peerId: peer } },
    who: () => [],
    unread: () => ({}),
    blocked: () => [],
    requests: () => []
  } as unknown as Api
  return { ctx: { node, names: await Names.load(node), paint: painter(false), now: 0, self: SELF }, accepted }
}

const accept = contactCommands.find(c => c.name === 'accept')!
const run = async (ctx: Ctx, words: string): Promise<string[]> =>
  (await runCommand(accept, ctx, { args: words.split(' ').filter(w => w !== ''), rest: ` ${words}` }, true)).lines

describe('/accept', () => {
  it('takes a lone word that names nobody waiting as the name for the only request', async () => {
    const { ctx, accepted } = await stub([CAROL])
    expect(await run(ctx, 'carol')).toEqual(['carol is now a contact: you see each other\'s presence'])
    expect(accepted).toEqual([[CAROL, 'carol']])
  })

  it('takes a lone word that names the requester as them, and two words as requester and name', async () => {
    const { ctx, accepted } = await stub([CAROL])
    await run(ctx, `…${CAROL.slice(-8)}`)
    await run(ctx, `…${CAROL.slice(-8)} caz`)
    expect(accepted).toEqual([[CAROL, undefined], [CAROL, 'caz']])
  })

  it('with several waiting, a lone word must name one of them', async () => {
    const { ctx, accepted } = await stub([CAROL, DAVE])
    await expect(run(ctx, 'carol')).rejects.toThrow('carol is neither a name you gave nor a peer id')
    await run(ctx, `…${DAVE.slice(-8)}`)
    expect(accepted).toEqual([[DAVE, undefined]])
  })
})

import { describe, expect, it } from 'vitest'
import { LocalArrivals, sameSendOrder, spreadNodes } from '../../bench/group-layout.js'

describe('group bench layout', () => {
  it('spreads nodes round-robin, the sender in process 0, never an empty process', () => {
    expect(spreadNodes(10, 4)).toEqual([[0, 4, 8], [1, 5, 9], [2, 6], [3, 7]])
    expect(spreadNodes(10, 1)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]])
    expect(spreadNodes(3, 4)).toEqual([[0], [1], [2]])
    const fifty = spreadNodes(50, 4)
    expect(fifty.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(fifty.map(p => p.length)).toEqual([13, 13, 12, 12])
    expect(() => spreadNodes(1, 4)).toThrow(RangeError)
    expect(() => spreadNodes(10, 0)).toThrow(RangeError)
  })

  it('reports a key once, when every local member has it, with the latest time', () => {
    const done: Array<[string, number]> = []
    const a = new LocalArrivals(3, (key, t) => done.push([key, t]))
    a.arrive('g1', 1, 5)
    a.arrive('g1', 1, 9) // the same member again: neither a second member nor a later time
    a.arrive('r1', 2, 1)
    a.arrive('g1', 2, 7)
    expect(done).toEqual([])
    a.arrive('g1', 3, 6)
    expect(done).toEqual([['g1', 7]])
    a.arrive('g1', 4, 20) // after it finished: ignored
    a.arrive('r1', 1, 2)
    a.arrive('r1', 3, 3)
    expect(done).toEqual([['g1', 7], ['r1', 3]])
  })

  it('subscribes the members to the raw topic in the order the sender holds them on the group\'s topic', () => {
    const members = [1, 2, 3, 4, 5].map(i => ({ index: i, peerId: `p${i}` }))
    // learned as the invitations were accepted, processes racing: not by index, nor by process
    expect(sameSendOrder(['p3', 'p1', 'p5', 'p2', 'p4'], members)).toEqual([3, 1, 5, 2, 4])
    // a peer on the topic that is not a member (none in the bench) is not subscribed for it
    expect(sameSendOrder(['p2', 'x', 'p1', 'p3', 'p4', 'p5'], members)).toEqual([2, 1, 3, 4, 5])
    expect(() => sameSendOrder(['p1', 'p2', 'p3', 'p4'], members)).toThrow(/4 of 5/)
  })
})

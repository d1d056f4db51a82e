/**
 * On a relay (--relay): a node that refuses a relayed connection looks, to
 * the one who asked, like a node that is not there. The circuit relay v2
 * server answers a HOP CONNECT with NO_RESERVATION when the target holds no
 * slot (it stopped), but with CONNECTION_FAILED when the target refused the
 * STOP request (it blocks the asker, or does not admit strangers): that told
 * blocked from stopped. This relay answers the second case as the first.
 *
 * The server's HOP handler gets the stream through a view whose first write,
 * if it is exactly the status message CONNECTION_FAILED (the canonical
 * protobuf of HopMessage {type: STATUS, status: CONNECTION_FAILED}, framed),
 * is sent as NO_RESERVATION. Everything after (the relayed bytes) passes as is.
 */
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { withView } from '../util/view.js'
import type { ComponentLogger, Logger, Startable, Stream } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'
import type { Uint8ArrayList } from 'uint8arraylist'

export const RELAY_HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop'
/** varint length 5, then type (1) = STATUS (2), status (5) = CONNECTION_FAILED (203). */
const CONNECTION_FAILED = Uint8Array.from([0x05, 0x08, 0x02, 0x28, 0xcb, 0x01])
/** The same with status NO_RESERVATION (204). */
const NO_RESERVATION = Uint8Array.from([0x05, 0x08, 0x02, 0x28, 0xcc, 0x01])

export interface RelayAnswersComponents {
  registrar: Registrar
  logger: ComponentLogger
}

/** The hop stream as the relay server writes it: its first message, if a refused STOP's status, says "no reservation". */
export function answerRefusalsAsOffline (stream: Stream, onRewrite?: () => void): Stream {
  let first = true
  return withView(stream, {
    send: (data: Uint8Array | Uint8ArrayList): boolean => {
      if (first) {
        first = false
        if (uint8ArrayEquals(data.subarray(), CONNECTION_FAILED)) {
          onRewrite?.()
          return stream.send(NO_RESERVATION)
        }
      }
      return stream.send(data)
    }
  })
}

class RelayAnswers implements Startable {
  readonly [Symbol.toStringTag] = 'presence-mesh:relay-answers'
  private readonly log: Logger
  private started = false
  private rewritten = 0

  constructor (private readonly components: RelayAnswersComponents) {
    this.log = components.logger.forComponent('presence-mesh:relay-answers')
  }

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    this.started = true
  }

  /** The relay server (the factory adds it with this service) registered its handler in start(); ours goes in front of it. */
  async afterStart (): Promise<void> {
    const { registrar } = this.components
    const server = registrar.getHandler(RELAY_HOP_PROTOCOL)
    await registrar.handle(RELAY_HOP_PROTOCOL, async (stream, connection) => {
      await server.handler(answerRefusalsAsOffline(stream, () => {
        this.rewritten++
        this.log.trace('answered a refused connection from %p as no reservation (%d so far)', connection.remotePeer, this.rewritten)
      }), connection)
    }, { ...server.options, force: true })
  }

  stop (): void {
    this.started = false
  }
}

export function relayAnswers (): (components: RelayAnswersComponents) => Startable {
  return (components) => new RelayAnswers(components)
}

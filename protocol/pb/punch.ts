import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface PunchMessage {
  type: PunchMessage.Type
  addr?: Uint8Array<ArrayBuffer>
}

export namespace PunchMessage {
  export enum Type {
    TYPE_UNSPECIFIED = 'TYPE_UNSPECIFIED',
    CONNECT = 'CONNECT',
    SYNC = 'SYNC'
  }

  enum __TypeValues {
    TYPE_UNSPECIFIED = 0,
    CONNECT = 1,
    SYNC = 2
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<PunchMessage>

  export const codec = (): Codec<PunchMessage> => {
    if (_codec == null) {
      _codec = message<PunchMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          PunchMessage.Type.codec().encode(obj.type, w)
        }

        if (obj.addr != null) {
          w.uint32(18)
          w.bytes(obj.addr)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.TYPE_UNSPECIFIED
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = PunchMessage.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.addr = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.type`,
                value: PunchMessage.Type.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.addr`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PunchMessageTypeFieldEvent {
    field: '$.type'
    value: PunchMessage.Type
  }

  export interface PunchMessageAddrFieldEvent {
    field: '$.addr'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<PunchMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PunchMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PunchMessage>): PunchMessage {
    return decodeMessage(buf, PunchMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PunchMessage>): Generator<PunchMessageTypeFieldEvent | PunchMessageAddrFieldEvent> {
    return streamMessage(buf, PunchMessage.codec(), opts)
  }
}

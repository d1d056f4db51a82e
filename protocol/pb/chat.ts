import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum ChatKind {
  KIND_UNSPECIFIED = 'KIND_UNSPECIFIED',
  TEXT = 'TEXT',
  DELIVERED = 'DELIVERED',
  READ = 'READ',
  TYPING = 'TYPING'
}

enum __ChatKindValues {
  KIND_UNSPECIFIED = 0,
  TEXT = 1,
  DELIVERED = 2,
  READ = 3,
  TYPING = 4
}

export namespace ChatKind {
  export const codec = (): Codec<ChatKind> => {
    return enumeration<ChatKind>(__ChatKindValues)
  }
}

export interface ChatFrame {
  id: Uint8Array<ArrayBuffer>
  kind: ChatKind
  sentAt: bigint
  body: Uint8Array<ArrayBuffer>
  ref: Uint8Array<ArrayBuffer>
}

export namespace ChatFrame {
  let _codec: Codec<ChatFrame>

  export const codec = (): Codec<ChatFrame> => {
    if (_codec == null) {
      _codec = message<ChatFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.id)
        }

        if (obj.kind != null && __ChatKindValues[obj.kind] !== 0) {
          w.uint32(16)
          ChatKind.codec().encode(obj.kind, w)
        }

        if ((obj.sentAt != null && obj.sentAt !== 0n)) {
          w.uint32(24)
          w.uint64(obj.sentAt)
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.body)
        }

        if ((obj.ref != null && obj.ref.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.ref)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: uint8ArrayAlloc(0),
          kind: ChatKind.KIND_UNSPECIFIED,
          sentAt: 0n,
          body: uint8ArrayAlloc(0),
          ref: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.bytes()
              break
            }
            case 2: {
              obj.kind = ChatKind.codec().decode(reader)
              break
            }
            case 3: {
              obj.sentAt = reader.uint64()
              break
            }
            case 4: {
              obj.body = reader.bytes()
              break
            }
            case 5: {
              obj.ref = reader.bytes()
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
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.kind`,
                value: ChatKind.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.sentAt`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.ref`,
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

  export interface ChatFrameIdFieldEvent {
    field: '$.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChatFrameKindFieldEvent {
    field: '$.kind'
    value: ChatKind
  }

  export interface ChatFrameSentAtFieldEvent {
    field: '$.sentAt'
    value: bigint
  }

  export interface ChatFrameBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChatFrameRefFieldEvent {
    field: '$.ref'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ChatFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChatFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChatFrame>): ChatFrame {
    return decodeMessage(buf, ChatFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChatFrame>): Generator<ChatFrameIdFieldEvent | ChatFrameKindFieldEvent | ChatFrameSentAtFieldEvent | ChatFrameBodyFieldEvent | ChatFrameRefFieldEvent> {
    return streamMessage(buf, ChatFrame.codec(), opts)
  }
}

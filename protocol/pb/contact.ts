import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum ContactKind {
  KIND_UNSPECIFIED = 'KIND_UNSPECIFIED',
  REQUEST = 'REQUEST',
  ACCEPT = 'ACCEPT',
  DENY = 'DENY',
  CANCEL = 'CANCEL',
  REMOVE = 'REMOVE'
}

enum __ContactKindValues {
  KIND_UNSPECIFIED = 0,
  REQUEST = 1,
  ACCEPT = 2,
  DENY = 3,
  CANCEL = 4,
  REMOVE = 5
}

export namespace ContactKind {
  export const codec = (): Codec<ContactKind> => {
    return enumeration<ContactKind>(__ContactKindValues)
  }
}

export interface ContactMessage {
  kind: ContactKind
  requestId: Uint8Array<ArrayBuffer>
  from: Uint8Array<ArrayBuffer>
  to: Uint8Array<ArrayBuffer>
  greeting?: string
  sentAt: bigint
  replyAddrs: Uint8Array<ArrayBuffer>[]
}

export namespace ContactMessage {
  let _codec: Codec<ContactMessage>

  export const codec = (): Codec<ContactMessage> => {
    if (_codec == null) {
      _codec = message<ContactMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __ContactKindValues[obj.kind] !== 0) {
          w.uint32(8)
          ContactKind.codec().encode(obj.kind, w)
        }

        if ((obj.requestId != null && obj.requestId.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.requestId)
        }

        if ((obj.from != null && obj.from.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.from)
        }

        if ((obj.to != null && obj.to.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.to)
        }

        if (obj.greeting != null) {
          w.uint32(42)
          w.string(obj.greeting)
        }

        if ((obj.sentAt != null && obj.sentAt !== 0n)) {
          w.uint32(48)
          w.uint64(obj.sentAt)
        }

        if (obj.replyAddrs != null && obj.replyAddrs.length > 0) {
          for (const value of obj.replyAddrs) {
            w.uint32(58)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: ContactKind.KIND_UNSPECIFIED,
          requestId: uint8ArrayAlloc(0),
          from: uint8ArrayAlloc(0),
          to: uint8ArrayAlloc(0),
          sentAt: 0n,
          replyAddrs: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = ContactKind.codec().decode(reader)
              break
            }
            case 2: {
              obj.requestId = reader.bytes()
              break
            }
            case 3: {
              obj.from = reader.bytes()
              break
            }
            case 4: {
              obj.to = reader.bytes()
              break
            }
            case 5: {
              obj.greeting = reader.string()
              break
            }
            case 6: {
              obj.sentAt = reader.uint64()
              break
            }
            case 7: {
              if (opts.limits?.replyAddrs != null && obj.replyAddrs.length === opts.limits.replyAddrs) {
                throw new MaxLengthError('Decode error - repeated field "replyAddrs" had too many elements')
              }

              obj.replyAddrs.push(reader.bytes())
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
        const obj = {
          replyAddrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.kind`,
                value: ContactKind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.requestId`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.from`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.to`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.greeting`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.sentAt`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              if (opts.limits?.replyAddrs != null && obj.replyAddrs === opts.limits.replyAddrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "replyAddrs" had too many elements')
              }

              yield {
                field: `${prefix}.replyAddrs[]`,
                index: obj.replyAddrs,
                value: reader.bytes()
              }

              obj.replyAddrs++

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

  export interface ContactMessageKindFieldEvent {
    field: '$.kind'
    value: ContactKind
  }

  export interface ContactMessageRequestIdFieldEvent {
    field: '$.requestId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContactMessageFromFieldEvent {
    field: '$.from'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContactMessageToFieldEvent {
    field: '$.to'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContactMessageGreetingFieldEvent {
    field: '$.greeting'
    value: string
  }

  export interface ContactMessageSentAtFieldEvent {
    field: '$.sentAt'
    value: bigint
  }

  export interface ContactMessageReplyAddrsFieldEvent {
    field: '$.replyAddrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ContactMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ContactMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContactMessage>): ContactMessage {
    return decodeMessage(buf, ContactMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContactMessage>): Generator<ContactMessageKindFieldEvent | ContactMessageRequestIdFieldEvent | ContactMessageFromFieldEvent | ContactMessageToFieldEvent | ContactMessageGreetingFieldEvent | ContactMessageSentAtFieldEvent | ContactMessageReplyAddrsFieldEvent> {
    return streamMessage(buf, ContactMessage.codec(), opts)
  }
}

export interface ContactReceipt {
  requestId: Uint8Array<ArrayBuffer>
  kind: ContactKind
  accepted: boolean
  retryLater: boolean
}

export namespace ContactReceipt {
  let _codec: Codec<ContactReceipt>

  export const codec = (): Codec<ContactReceipt> => {
    if (_codec == null) {
      _codec = message<ContactReceipt>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.requestId)
        }

        if (obj.kind != null && __ContactKindValues[obj.kind] !== 0) {
          w.uint32(16)
          ContactKind.codec().encode(obj.kind, w)
        }

        if ((obj.accepted != null && obj.accepted !== false)) {
          w.uint32(24)
          w.bool(obj.accepted)
        }

        if ((obj.retryLater != null && obj.retryLater !== false)) {
          w.uint32(32)
          w.bool(obj.retryLater)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: uint8ArrayAlloc(0),
          kind: ContactKind.KIND_UNSPECIFIED,
          accepted: false,
          retryLater: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.bytes()
              break
            }
            case 2: {
              obj.kind = ContactKind.codec().decode(reader)
              break
            }
            case 3: {
              obj.accepted = reader.bool()
              break
            }
            case 4: {
              obj.retryLater = reader.bool()
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
                field: `${prefix}.requestId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.kind`,
                value: ContactKind.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.accepted`,
                value: reader.bool()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.retryLater`,
                value: reader.bool()
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

  export interface ContactReceiptRequestIdFieldEvent {
    field: '$.requestId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContactReceiptKindFieldEvent {
    field: '$.kind'
    value: ContactKind
  }

  export interface ContactReceiptAcceptedFieldEvent {
    field: '$.accepted'
    value: boolean
  }

  export interface ContactReceiptRetryLaterFieldEvent {
    field: '$.retryLater'
    value: boolean
  }

  export function encode (obj: Partial<ContactReceipt>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ContactReceipt.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContactReceipt>): ContactReceipt {
    return decodeMessage(buf, ContactReceipt.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContactReceipt>): Generator<ContactReceiptRequestIdFieldEvent | ContactReceiptKindFieldEvent | ContactReceiptAcceptedFieldEvent | ContactReceiptRetryLaterFieldEvent> {
    return streamMessage(buf, ContactReceipt.codec(), opts)
  }
}

export interface LocatorRecord {
  publisher: Uint8Array<ArrayBuffer>
  audience: Uint8Array<ArrayBuffer>
  addrs: Uint8Array<ArrayBuffer>[]
  seq: bigint
  issuedAt: bigint
  expiresAt: bigint
}

export namespace LocatorRecord {
  let _codec: Codec<LocatorRecord>

  export const codec = (): Codec<LocatorRecord> => {
    if (_codec == null) {
      _codec = message<LocatorRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.publisher != null && obj.publisher.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.publisher)
        }

        if ((obj.audience != null && obj.audience.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.audience)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(32)
          w.uint64(obj.seq)
        }

        if ((obj.issuedAt != null && obj.issuedAt !== 0n)) {
          w.uint32(40)
          w.uint64(obj.issuedAt)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0n)) {
          w.uint32(48)
          w.uint64(obj.expiresAt)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          publisher: uint8ArrayAlloc(0),
          audience: uint8ArrayAlloc(0),
          addrs: [],
          seq: 0n,
          issuedAt: 0n,
          expiresAt: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.publisher = reader.bytes()
              break
            }
            case 2: {
              obj.audience = reader.bytes()
              break
            }
            case 3: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.bytes())
              break
            }
            case 4: {
              obj.seq = reader.uint64()
              break
            }
            case 5: {
              obj.issuedAt = reader.uint64()
              break
            }
            case 6: {
              obj.expiresAt = reader.uint64()
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
        const obj = {
          addrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.publisher`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.audience`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.bytes()
              }

              obj.addrs++

              break
            }
            case 4: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.issuedAt`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64()
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

  export interface LocatorRecordPublisherFieldEvent {
    field: '$.publisher'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LocatorRecordAudienceFieldEvent {
    field: '$.audience'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LocatorRecordAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface LocatorRecordSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface LocatorRecordIssuedAtFieldEvent {
    field: '$.issuedAt'
    value: bigint
  }

  export interface LocatorRecordExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: bigint
  }

  export function encode (obj: Partial<LocatorRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LocatorRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LocatorRecord>): LocatorRecord {
    return decodeMessage(buf, LocatorRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LocatorRecord>): Generator<LocatorRecordPublisherFieldEvent | LocatorRecordAudienceFieldEvent | LocatorRecordAddrsFieldEvent | LocatorRecordSeqFieldEvent | LocatorRecordIssuedAtFieldEvent | LocatorRecordExpiresAtFieldEvent> {
    return streamMessage(buf, LocatorRecord.codec(), opts)
  }
}

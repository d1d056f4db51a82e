import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface HistoryCursor {
  device: Uint8Array<ArrayBuffer>
  seq: bigint
}

export namespace HistoryCursor {
  let _codec: Codec<HistoryCursor>

  export const codec = (): Codec<HistoryCursor> => {
    if (_codec == null) {
      _codec = message<HistoryCursor>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.device != null && obj.device.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.device)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(16)
          w.uint64(obj.seq)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          device: uint8ArrayAlloc(0),
          seq: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.device = reader.bytes()
              break
            }
            case 2: {
              obj.seq = reader.uint64()
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
                field: `${prefix}.device`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.seq`,
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

  export interface HistoryCursorDeviceFieldEvent {
    field: '$.device'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HistoryCursorSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export function encode (obj: Partial<HistoryCursor>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, HistoryCursor.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HistoryCursor>): HistoryCursor {
    return decodeMessage(buf, HistoryCursor.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HistoryCursor>): Generator<HistoryCursorDeviceFieldEvent | HistoryCursorSeqFieldEvent> {
    return streamMessage(buf, HistoryCursor.codec(), opts)
  }
}

export interface ReadMark {
  contact: Uint8Array<ArrayBuffer>
  sentAt: bigint
  author: Uint8Array<ArrayBuffer>
  id: Uint8Array<ArrayBuffer>
}

export namespace ReadMark {
  let _codec: Codec<ReadMark>

  export const codec = (): Codec<ReadMark> => {
    if (_codec == null) {
      _codec = message<ReadMark>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.contact != null && obj.contact.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.contact)
        }

        if ((obj.sentAt != null && obj.sentAt !== 0n)) {
          w.uint32(16)
          w.uint64(obj.sentAt)
        }

        if ((obj.author != null && obj.author.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.author)
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.id)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          contact: uint8ArrayAlloc(0),
          sentAt: 0n,
          author: uint8ArrayAlloc(0),
          id: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.contact = reader.bytes()
              break
            }
            case 2: {
              obj.sentAt = reader.uint64()
              break
            }
            case 3: {
              obj.author = reader.bytes()
              break
            }
            case 4: {
              obj.id = reader.bytes()
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
                field: `${prefix}.contact`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.sentAt`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.author`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.id`,
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

  export interface ReadMarkContactFieldEvent {
    field: '$.contact'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReadMarkSentAtFieldEvent {
    field: '$.sentAt'
    value: bigint
  }

  export interface ReadMarkAuthorFieldEvent {
    field: '$.author'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReadMarkIdFieldEvent {
    field: '$.id'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ReadMark>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReadMark.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReadMark>): ReadMark {
    return decodeMessage(buf, ReadMark.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReadMark>): Generator<ReadMarkContactFieldEvent | ReadMarkSentAtFieldEvent | ReadMarkAuthorFieldEvent | ReadMarkIdFieldEvent> {
    return streamMessage(buf, ReadMark.codec(), opts)
  }
}

export interface HistoryHello {
  have: HistoryCursor[]
  read: ReadMark[]
}

export namespace HistoryHello {
  let _codec: Codec<HistoryHello>

  export const codec = (): Codec<HistoryHello> => {
    if (_codec == null) {
      _codec = message<HistoryHello>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.have != null && obj.have.length > 0) {
          for (const value of obj.have) {
            w.uint32(10)
            HistoryCursor.codec().encode(value, w)
          }
        }

        if (obj.read != null && obj.read.length > 0) {
          for (const value of obj.read) {
            w.uint32(18)
            ReadMark.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          have: [],
          read: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.have != null && obj.have.length === opts.limits.have) {
                throw new MaxLengthError('Decode error - repeated field "have" had too many elements')
              }

              obj.have.push(HistoryCursor.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.have$
              }))
              break
            }
            case 2: {
              if (opts.limits?.read != null && obj.read.length === opts.limits.read) {
                throw new MaxLengthError('Decode error - repeated field "read" had too many elements')
              }

              obj.read.push(ReadMark.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.read$
              }))
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
          have: 0,
          read: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.have != null && obj.have === opts.limits.have) {
                throw new MaxLengthError('Streaming decode error - repeated field "have" had too many elements')
              }

              for (const evt of HistoryCursor.codec().stream(reader, reader.uint32(), `${prefix}.have[]`, {
                limits: opts.limits?.have$
              })) {
                yield {
                  ...evt,
                  index: obj.have
                }
              }

              obj.have++

              break
            }
            case 2: {
              if (opts.limits?.read != null && obj.read === opts.limits.read) {
                throw new MaxLengthError('Streaming decode error - repeated field "read" had too many elements')
              }

              for (const evt of ReadMark.codec().stream(reader, reader.uint32(), `${prefix}.read[]`, {
                limits: opts.limits?.read$
              })) {
                yield {
                  ...evt,
                  index: obj.read
                }
              }

              obj.read++

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

  export interface HistoryHelloHaveDeviceFieldEvent {
    field: '$.have[].device'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface HistoryHelloHaveSeqFieldEvent {
    field: '$.have[].seq'
    value: bigint
    index: number
  }

  export interface HistoryHelloReadContactFieldEvent {
    field: '$.read[].contact'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface HistoryHelloReadSentAtFieldEvent {
    field: '$.read[].sentAt'
    value: bigint
    index: number
  }

  export interface HistoryHelloReadAuthorFieldEvent {
    field: '$.read[].author'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface HistoryHelloReadIdFieldEvent {
    field: '$.read[].id'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export function encode (obj: Partial<HistoryHello>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, HistoryHello.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HistoryHello>): HistoryHello {
    return decodeMessage(buf, HistoryHello.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HistoryHello>): Generator<HistoryHelloHaveDeviceFieldEvent | HistoryHelloHaveSeqFieldEvent | HistoryHelloReadContactFieldEvent | HistoryHelloReadSentAtFieldEvent | HistoryHelloReadAuthorFieldEvent | HistoryHelloReadIdFieldEvent> {
    return streamMessage(buf, HistoryHello.codec(), opts)
  }
}

export interface HistoryRecord {
  origin: Uint8Array<ArrayBuffer>
  seq: bigint
  contact: Uint8Array<ArrayBuffer>
  id: Uint8Array<ArrayBuffer>
  outgoing: boolean
  author: Uint8Array<ArrayBuffer>
  sentAt: bigint
  text: string
}

export namespace HistoryRecord {
  let _codec: Codec<HistoryRecord>

  export const codec = (): Codec<HistoryRecord> => {
    if (_codec == null) {
      _codec = message<HistoryRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.origin != null && obj.origin.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.origin)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(16)
          w.uint64(obj.seq)
        }

        if ((obj.contact != null && obj.contact.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.contact)
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.id)
        }

        if ((obj.outgoing != null && obj.outgoing !== false)) {
          w.uint32(40)
          w.bool(obj.outgoing)
        }

        if ((obj.author != null && obj.author.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.author)
        }

        if ((obj.sentAt != null && obj.sentAt !== 0n)) {
          w.uint32(56)
          w.uint64(obj.sentAt)
        }

        if ((obj.text != null && obj.text !== '')) {
          w.uint32(66)
          w.string(obj.text)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          origin: uint8ArrayAlloc(0),
          seq: 0n,
          contact: uint8ArrayAlloc(0),
          id: uint8ArrayAlloc(0),
          outgoing: false,
          author: uint8ArrayAlloc(0),
          sentAt: 0n,
          text: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.origin = reader.bytes()
              break
            }
            case 2: {
              obj.seq = reader.uint64()
              break
            }
            case 3: {
              obj.contact = reader.bytes()
              break
            }
            case 4: {
              obj.id = reader.bytes()
              break
            }
            case 5: {
              obj.outgoing = reader.bool()
              break
            }
            case 6: {
              obj.author = reader.bytes()
              break
            }
            case 7: {
              obj.sentAt = reader.uint64()
              break
            }
            case 8: {
              obj.text = reader.string()
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
                field: `${prefix}.origin`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.contact`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.outgoing`,
                value: reader.bool()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.author`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.sentAt`,
                value: reader.uint64()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.text`,
                value: reader.string()
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

  export interface HistoryRecordOriginFieldEvent {
    field: '$.origin'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HistoryRecordSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface HistoryRecordContactFieldEvent {
    field: '$.contact'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HistoryRecordIdFieldEvent {
    field: '$.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HistoryRecordOutgoingFieldEvent {
    field: '$.outgoing'
    value: boolean
  }

  export interface HistoryRecordAuthorFieldEvent {
    field: '$.author'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HistoryRecordSentAtFieldEvent {
    field: '$.sentAt'
    value: bigint
  }

  export interface HistoryRecordTextFieldEvent {
    field: '$.text'
    value: string
  }

  export function encode (obj: Partial<HistoryRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, HistoryRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HistoryRecord>): HistoryRecord {
    return decodeMessage(buf, HistoryRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HistoryRecord>): Generator<HistoryRecordOriginFieldEvent | HistoryRecordSeqFieldEvent | HistoryRecordContactFieldEvent | HistoryRecordIdFieldEvent | HistoryRecordOutgoingFieldEvent | HistoryRecordAuthorFieldEvent | HistoryRecordSentAtFieldEvent | HistoryRecordTextFieldEvent> {
    return streamMessage(buf, HistoryRecord.codec(), opts)
  }
}

export interface HistoryFrame {
  hello?: HistoryHello
  record?: HistoryRecord
  end: boolean
}

export namespace HistoryFrame {
  let _codec: Codec<HistoryFrame>

  export const codec = (): Codec<HistoryFrame> => {
    if (_codec == null) {
      _codec = message<HistoryFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.hello != null) {
          w.uint32(10)
          HistoryHello.codec().encode(obj.hello, w)
        }

        if (obj.record != null) {
          w.uint32(18)
          HistoryRecord.codec().encode(obj.record, w)
        }

        if ((obj.end != null && obj.end !== false)) {
          w.uint32(24)
          w.bool(obj.end)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          end: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.hello = HistoryHello.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.hello
              })
              break
            }
            case 2: {
              obj.record = HistoryRecord.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.record
              })
              break
            }
            case 3: {
              obj.end = reader.bool()
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
              yield * HistoryHello.codec().stream(reader, reader.uint32(), `${prefix}.hello`, {
                limits: opts.limits?.hello
              })

              break
            }
            case 2: {
              yield * HistoryRecord.codec().stream(reader, reader.uint32(), `${prefix}.record`, {
                limits: opts.limits?.record
              })

              break
            }
            case 3: {
              yield {
                field: `${prefix}.end`,
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

  export interface HistoryFrameHelloHaveDeviceFieldEvent {
    field: '$.hello.have[].device'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface HistoryFrameHelloHaveSeqFieldEvent {
    field: '$.hello.have[].seq'
    value: bigint
    index: number
  }

  export interface HistoryFrameHelloReadContactFieldEvent {
    field: '$.hello.read[].contact'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface HistoryFrameHelloReadSentAtFieldEvent {
    field: '$.hello.read[].sentAt'
    value: bigint
    index: number
  }

  export interface HistoryFrameHelloReadAuthorFieldEvent {
    field: '$.hello.read[].author'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface HistoryFrameHelloReadIdFieldEvent {
    field: '$.hello.read[].id'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface HistoryFrameRecordOriginFieldEvent {
    field: '$.record.origin'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HistoryFrameRecordSeqFieldEvent {
    field: '$.record.seq'
    value: bigint
  }

  export interface HistoryFrameRecordContactFieldEvent {
    field: '$.record.contact'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HistoryFrameRecordIdFieldEvent {
    field: '$.record.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HistoryFrameRecordOutgoingFieldEvent {
    field: '$.record.outgoing'
    value: boolean
  }

  export interface HistoryFrameRecordAuthorFieldEvent {
    field: '$.record.author'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HistoryFrameRecordSentAtFieldEvent {
    field: '$.record.sentAt'
    value: bigint
  }

  export interface HistoryFrameRecordTextFieldEvent {
    field: '$.record.text'
    value: string
  }

  export interface HistoryFrameEndFieldEvent {
    field: '$.end'
    value: boolean
  }

  export function encode (obj: Partial<HistoryFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, HistoryFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HistoryFrame>): HistoryFrame {
    return decodeMessage(buf, HistoryFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HistoryFrame>): Generator<HistoryFrameHelloHaveDeviceFieldEvent | HistoryFrameHelloHaveSeqFieldEvent | HistoryFrameHelloReadContactFieldEvent | HistoryFrameHelloReadSentAtFieldEvent | HistoryFrameHelloReadAuthorFieldEvent | HistoryFrameHelloReadIdFieldEvent | HistoryFrameRecordOriginFieldEvent | HistoryFrameRecordSeqFieldEvent | HistoryFrameRecordContactFieldEvent | HistoryFrameRecordIdFieldEvent | HistoryFrameRecordOutgoingFieldEvent | HistoryFrameRecordAuthorFieldEvent | HistoryFrameRecordSentAtFieldEvent | HistoryFrameRecordTextFieldEvent | HistoryFrameEndFieldEvent> {
    return streamMessage(buf, HistoryFrame.codec(), opts)
  }
}

import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum GroupOpKind {
  OP_UNSPECIFIED = 'OP_UNSPECIFIED',
  CREATE = 'CREATE',
  INVITE = 'INVITE',
  JOIN = 'JOIN',
  DECLINE = 'DECLINE',
  LEAVE = 'LEAVE',
  REMOVE = 'REMOVE',
  RENAME = 'RENAME',
  PROMOTE = 'PROMOTE'
}

enum __GroupOpKindValues {
  OP_UNSPECIFIED = 0,
  CREATE = 1,
  INVITE = 2,
  JOIN = 3,
  DECLINE = 4,
  LEAVE = 5,
  REMOVE = 6,
  RENAME = 7,
  PROMOTE = 8
}

export namespace GroupOpKind {
  export const codec = (): Codec<GroupOpKind> => {
    return enumeration<GroupOpKind>(__GroupOpKindValues)
  }
}

export interface GroupOp {
  group: Uint8Array<ArrayBuffer>
  kind: GroupOpKind
  parents: Uint8Array<ArrayBuffer>[]
  createdAt: bigint
  target: Uint8Array<ArrayBuffer>
  name: string
  upTo: bigint
  rules: bigint
  answers: Uint8Array<ArrayBuffer>
}

export namespace GroupOp {
  let _codec: Codec<GroupOp>

  export const codec = (): Codec<GroupOp> => {
    if (_codec == null) {
      _codec = message<GroupOp>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.group != null && obj.group.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.group)
        }

        if (obj.kind != null && __GroupOpKindValues[obj.kind] !== 0) {
          w.uint32(16)
          GroupOpKind.codec().encode(obj.kind, w)
        }

        if (obj.parents != null && obj.parents.length > 0) {
          for (const value of obj.parents) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if ((obj.createdAt != null && obj.createdAt !== 0n)) {
          w.uint32(32)
          w.uint64(obj.createdAt)
        }

        if ((obj.target != null && obj.target.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.target)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(50)
          w.string(obj.name)
        }

        if ((obj.upTo != null && obj.upTo !== 0n)) {
          w.uint32(56)
          w.uint64(obj.upTo)
        }

        if ((obj.rules != null && obj.rules !== 0n)) {
          w.uint32(64)
          w.uint64(obj.rules)
        }

        if ((obj.answers != null && obj.answers.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.answers)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          group: uint8ArrayAlloc(0),
          kind: GroupOpKind.OP_UNSPECIFIED,
          parents: [],
          createdAt: 0n,
          target: uint8ArrayAlloc(0),
          name: '',
          upTo: 0n,
          rules: 0n,
          answers: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.group = reader.bytes()
              break
            }
            case 2: {
              obj.kind = GroupOpKind.codec().decode(reader)
              break
            }
            case 3: {
              if (opts.limits?.parents != null && obj.parents.length === opts.limits.parents) {
                throw new MaxLengthError('Decode error - repeated field "parents" had too many elements')
              }

              obj.parents.push(reader.bytes())
              break
            }
            case 4: {
              obj.createdAt = reader.uint64()
              break
            }
            case 5: {
              obj.target = reader.bytes()
              break
            }
            case 6: {
              obj.name = reader.string()
              break
            }
            case 7: {
              obj.upTo = reader.uint64()
              break
            }
            case 8: {
              obj.rules = reader.uint64()
              break
            }
            case 9: {
              obj.answers = reader.bytes()
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
          parents: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.group`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.kind`,
                value: GroupOpKind.codec().decode(reader)
              }
              break
            }
            case 3: {
              if (opts.limits?.parents != null && obj.parents === opts.limits.parents) {
                throw new MaxLengthError('Streaming decode error - repeated field "parents" had too many elements')
              }

              yield {
                field: `${prefix}.parents[]`,
                index: obj.parents,
                value: reader.bytes()
              }

              obj.parents++

              break
            }
            case 4: {
              yield {
                field: `${prefix}.createdAt`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.target`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.upTo`,
                value: reader.uint64()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.rules`,
                value: reader.uint64()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.answers`,
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

  export interface GroupOpGroupFieldEvent {
    field: '$.group'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GroupOpKindFieldEvent {
    field: '$.kind'
    value: GroupOpKind
  }

  export interface GroupOpParentsFieldEvent {
    field: '$.parents[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface GroupOpCreatedAtFieldEvent {
    field: '$.createdAt'
    value: bigint
  }

  export interface GroupOpTargetFieldEvent {
    field: '$.target'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GroupOpNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface GroupOpUpToFieldEvent {
    field: '$.upTo'
    value: bigint
  }

  export interface GroupOpRulesFieldEvent {
    field: '$.rules'
    value: bigint
  }

  export interface GroupOpAnswersFieldEvent {
    field: '$.answers'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<GroupOp>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GroupOp.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupOp>): GroupOp {
    return decodeMessage(buf, GroupOp.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupOp>): Generator<GroupOpGroupFieldEvent | GroupOpKindFieldEvent | GroupOpParentsFieldEvent | GroupOpCreatedAtFieldEvent | GroupOpTargetFieldEvent | GroupOpNameFieldEvent | GroupOpUpToFieldEvent | GroupOpRulesFieldEvent | GroupOpAnswersFieldEvent> {
    return streamMessage(buf, GroupOp.codec(), opts)
  }
}

export enum GroupEntryKind {
  ENTRY_UNSPECIFIED = 'ENTRY_UNSPECIFIED',
  KEY = 'KEY',
  CONTENT = 'CONTENT'
}

enum __GroupEntryKindValues {
  ENTRY_UNSPECIFIED = 0,
  KEY = 1,
  CONTENT = 2
}

export namespace GroupEntryKind {
  export const codec = (): Codec<GroupEntryKind> => {
    return enumeration<GroupEntryKind>(__GroupEntryKindValues)
  }
}

export interface KeySlot {
  member: Uint8Array<ArrayBuffer>
  sealed: Uint8Array<ArrayBuffer>
}

export namespace KeySlot {
  let _codec: Codec<KeySlot>

  export const codec = (): Codec<KeySlot> => {
    if (_codec == null) {
      _codec = message<KeySlot>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.member != null && obj.member.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.member)
        }

        if ((obj.sealed != null && obj.sealed.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.sealed)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          member: uint8ArrayAlloc(0),
          sealed: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.member = reader.bytes()
              break
            }
            case 2: {
              obj.sealed = reader.bytes()
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
                field: `${prefix}.member`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.sealed`,
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

  export interface KeySlotMemberFieldEvent {
    field: '$.member'
    value: Uint8Array<ArrayBuffer>
  }

  export interface KeySlotSealedFieldEvent {
    field: '$.sealed'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<KeySlot>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, KeySlot.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<KeySlot>): KeySlot {
    return decodeMessage(buf, KeySlot.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<KeySlot>): Generator<KeySlotMemberFieldEvent | KeySlotSealedFieldEvent> {
    return streamMessage(buf, KeySlot.codec(), opts)
  }
}

export interface GroupEntry {
  group: Uint8Array<ArrayBuffer>
  seq: bigint
  lamport: bigint
  sentAt: bigint
  kind: GroupEntryKind
  keyId: Uint8Array<ArrayBuffer>
  slots: KeySlot[]
  sealed: Uint8Array<ArrayBuffer>
  prev: Uint8Array<ArrayBuffer>
}

export namespace GroupEntry {
  let _codec: Codec<GroupEntry>

  export const codec = (): Codec<GroupEntry> => {
    if (_codec == null) {
      _codec = message<GroupEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.group != null && obj.group.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.group)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(16)
          w.uint64(obj.seq)
        }

        if ((obj.lamport != null && obj.lamport !== 0n)) {
          w.uint32(24)
          w.uint64(obj.lamport)
        }

        if ((obj.sentAt != null && obj.sentAt !== 0n)) {
          w.uint32(32)
          w.uint64(obj.sentAt)
        }

        if (obj.kind != null && __GroupEntryKindValues[obj.kind] !== 0) {
          w.uint32(40)
          GroupEntryKind.codec().encode(obj.kind, w)
        }

        if ((obj.keyId != null && obj.keyId.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.keyId)
        }

        if (obj.slots != null && obj.slots.length > 0) {
          for (const value of obj.slots) {
            w.uint32(58)
            KeySlot.codec().encode(value, w)
          }
        }

        if ((obj.sealed != null && obj.sealed.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.sealed)
        }

        if ((obj.prev != null && obj.prev.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.prev)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          group: uint8ArrayAlloc(0),
          seq: 0n,
          lamport: 0n,
          sentAt: 0n,
          kind: GroupEntryKind.ENTRY_UNSPECIFIED,
          keyId: uint8ArrayAlloc(0),
          slots: [],
          sealed: uint8ArrayAlloc(0),
          prev: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.group = reader.bytes()
              break
            }
            case 2: {
              obj.seq = reader.uint64()
              break
            }
            case 3: {
              obj.lamport = reader.uint64()
              break
            }
            case 4: {
              obj.sentAt = reader.uint64()
              break
            }
            case 5: {
              obj.kind = GroupEntryKind.codec().decode(reader)
              break
            }
            case 6: {
              obj.keyId = reader.bytes()
              break
            }
            case 7: {
              if (opts.limits?.slots != null && obj.slots.length === opts.limits.slots) {
                throw new MaxLengthError('Decode error - repeated field "slots" had too many elements')
              }

              obj.slots.push(KeySlot.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.slots$
              }))
              break
            }
            case 8: {
              obj.sealed = reader.bytes()
              break
            }
            case 9: {
              obj.prev = reader.bytes()
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
          slots: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.group`,
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
                field: `${prefix}.lamport`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.sentAt`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.kind`,
                value: GroupEntryKind.codec().decode(reader)
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.keyId`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              if (opts.limits?.slots != null && obj.slots === opts.limits.slots) {
                throw new MaxLengthError('Streaming decode error - repeated field "slots" had too many elements')
              }

              for (const evt of KeySlot.codec().stream(reader, reader.uint32(), `${prefix}.slots[]`, {
                limits: opts.limits?.slots$
              })) {
                yield {
                  ...evt,
                  index: obj.slots
                }
              }

              obj.slots++

              break
            }
            case 8: {
              yield {
                field: `${prefix}.sealed`,
                value: reader.bytes()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.prev`,
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

  export interface GroupEntryGroupFieldEvent {
    field: '$.group'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GroupEntrySeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface GroupEntryLamportFieldEvent {
    field: '$.lamport'
    value: bigint
  }

  export interface GroupEntrySentAtFieldEvent {
    field: '$.sentAt'
    value: bigint
  }

  export interface GroupEntryKindFieldEvent {
    field: '$.kind'
    value: GroupEntryKind
  }

  export interface GroupEntryKeyIdFieldEvent {
    field: '$.keyId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GroupEntrySlotsMemberFieldEvent {
    field: '$.slots[].member'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GroupEntrySlotsSealedFieldEvent {
    field: '$.slots[].sealed'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GroupEntrySealedFieldEvent {
    field: '$.sealed'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GroupEntryPrevFieldEvent {
    field: '$.prev'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<GroupEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GroupEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupEntry>): GroupEntry {
    return decodeMessage(buf, GroupEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupEntry>): Generator<GroupEntryGroupFieldEvent | GroupEntrySeqFieldEvent | GroupEntryLamportFieldEvent | GroupEntrySentAtFieldEvent | GroupEntryKindFieldEvent | GroupEntryKeyIdFieldEvent | GroupEntrySlotsMemberFieldEvent | GroupEntrySlotsSealedFieldEvent | GroupEntrySealedFieldEvent | GroupEntryPrevFieldEvent> {
    return streamMessage(buf, GroupEntry.codec(), opts)
  }
}

export enum GroupContentKind {
  CONTENT_UNSPECIFIED = 'CONTENT_UNSPECIFIED',
  TEXT = 'TEXT',
  OP = 'OP'
}

enum __GroupContentKindValues {
  CONTENT_UNSPECIFIED = 0,
  TEXT = 1,
  OP = 2
}

export namespace GroupContentKind {
  export const codec = (): Codec<GroupContentKind> => {
    return enumeration<GroupContentKind>(__GroupContentKindValues)
  }
}

export interface GroupContent {
  kind: GroupContentKind
  text: string
  op: Uint8Array<ArrayBuffer>
}

export namespace GroupContent {
  let _codec: Codec<GroupContent>

  export const codec = (): Codec<GroupContent> => {
    if (_codec == null) {
      _codec = message<GroupContent>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __GroupContentKindValues[obj.kind] !== 0) {
          w.uint32(8)
          GroupContentKind.codec().encode(obj.kind, w)
        }

        if ((obj.text != null && obj.text !== '')) {
          w.uint32(18)
          w.string(obj.text)
        }

        if ((obj.op != null && obj.op.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.op)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: GroupContentKind.CONTENT_UNSPECIFIED,
          text: '',
          op: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = GroupContentKind.codec().decode(reader)
              break
            }
            case 2: {
              obj.text = reader.string()
              break
            }
            case 3: {
              obj.op = reader.bytes()
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
                field: `${prefix}.kind`,
                value: GroupContentKind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.text`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.op`,
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

  export interface GroupContentKindFieldEvent {
    field: '$.kind'
    value: GroupContentKind
  }

  export interface GroupContentTextFieldEvent {
    field: '$.text'
    value: string
  }

  export interface GroupContentOpFieldEvent {
    field: '$.op'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<GroupContent>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GroupContent.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupContent>): GroupContent {
    return decodeMessage(buf, GroupContent.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupContent>): Generator<GroupContentKindFieldEvent | GroupContentTextFieldEvent | GroupContentOpFieldEvent> {
    return streamMessage(buf, GroupContent.codec(), opts)
  }
}

export interface FeedPosition {
  author: Uint8Array<ArrayBuffer>
  next: bigint
}

export namespace FeedPosition {
  let _codec: Codec<FeedPosition>

  export const codec = (): Codec<FeedPosition> => {
    if (_codec == null) {
      _codec = message<FeedPosition>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.author != null && obj.author.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.author)
        }

        if ((obj.next != null && obj.next !== 0n)) {
          w.uint32(16)
          w.uint64(obj.next)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          author: uint8ArrayAlloc(0),
          next: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.author = reader.bytes()
              break
            }
            case 2: {
              obj.next = reader.uint64()
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
                field: `${prefix}.author`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.next`,
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

  export interface FeedPositionAuthorFieldEvent {
    field: '$.author'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FeedPositionNextFieldEvent {
    field: '$.next'
    value: bigint
  }

  export function encode (obj: Partial<FeedPosition>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FeedPosition.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FeedPosition>): FeedPosition {
    return decodeMessage(buf, FeedPosition.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FeedPosition>): Generator<FeedPositionAuthorFieldEvent | FeedPositionNextFieldEvent> {
    return streamMessage(buf, FeedPosition.codec(), opts)
  }
}

export interface GroupSyncRequest {
  group: Uint8Array<ArrayBuffer>
  heads: Uint8Array<ArrayBuffer>[]
  feeds: FeedPosition[]
}

export namespace GroupSyncRequest {
  let _codec: Codec<GroupSyncRequest>

  export const codec = (): Codec<GroupSyncRequest> => {
    if (_codec == null) {
      _codec = message<GroupSyncRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.group != null && obj.group.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.group)
        }

        if (obj.heads != null && obj.heads.length > 0) {
          for (const value of obj.heads) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if (obj.feeds != null && obj.feeds.length > 0) {
          for (const value of obj.feeds) {
            w.uint32(26)
            FeedPosition.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          group: uint8ArrayAlloc(0),
          heads: [],
          feeds: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.group = reader.bytes()
              break
            }
            case 2: {
              if (opts.limits?.heads != null && obj.heads.length === opts.limits.heads) {
                throw new MaxLengthError('Decode error - repeated field "heads" had too many elements')
              }

              obj.heads.push(reader.bytes())
              break
            }
            case 3: {
              if (opts.limits?.feeds != null && obj.feeds.length === opts.limits.feeds) {
                throw new MaxLengthError('Decode error - repeated field "feeds" had too many elements')
              }

              obj.feeds.push(FeedPosition.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.feeds$
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
          heads: 0,
          feeds: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.group`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              if (opts.limits?.heads != null && obj.heads === opts.limits.heads) {
                throw new MaxLengthError('Streaming decode error - repeated field "heads" had too many elements')
              }

              yield {
                field: `${prefix}.heads[]`,
                index: obj.heads,
                value: reader.bytes()
              }

              obj.heads++

              break
            }
            case 3: {
              if (opts.limits?.feeds != null && obj.feeds === opts.limits.feeds) {
                throw new MaxLengthError('Streaming decode error - repeated field "feeds" had too many elements')
              }

              for (const evt of FeedPosition.codec().stream(reader, reader.uint32(), `${prefix}.feeds[]`, {
                limits: opts.limits?.feeds$
              })) {
                yield {
                  ...evt,
                  index: obj.feeds
                }
              }

              obj.feeds++

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

  export interface GroupSyncRequestGroupFieldEvent {
    field: '$.group'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GroupSyncRequestHeadsFieldEvent {
    field: '$.heads[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface GroupSyncRequestFeedsAuthorFieldEvent {
    field: '$.feeds[].author'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GroupSyncRequestFeedsNextFieldEvent {
    field: '$.feeds[].next'
    value: bigint
    index: number
  }

  export function encode (obj: Partial<GroupSyncRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GroupSyncRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupSyncRequest>): GroupSyncRequest {
    return decodeMessage(buf, GroupSyncRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupSyncRequest>): Generator<GroupSyncRequestGroupFieldEvent | GroupSyncRequestHeadsFieldEvent | GroupSyncRequestFeedsAuthorFieldEvent | GroupSyncRequestFeedsNextFieldEvent> {
    return streamMessage(buf, GroupSyncRequest.codec(), opts)
  }
}

export interface GroupSyncResponse {
  ops: Uint8Array<ArrayBuffer>[]
  entries: Uint8Array<ArrayBuffer>[]
  tips: FeedPosition[]
  more: boolean
}

export namespace GroupSyncResponse {
  let _codec: Codec<GroupSyncResponse>

  export const codec = (): Codec<GroupSyncResponse> => {
    if (_codec == null) {
      _codec = message<GroupSyncResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.ops != null && obj.ops.length > 0) {
          for (const value of obj.ops) {
            w.uint32(10)
            w.bytes(value)
          }
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if (obj.tips != null && obj.tips.length > 0) {
          for (const value of obj.tips) {
            w.uint32(26)
            FeedPosition.codec().encode(value, w)
          }
        }

        if ((obj.more != null && obj.more !== false)) {
          w.uint32(32)
          w.bool(obj.more)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          ops: [],
          entries: [],
          tips: [],
          more: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.ops != null && obj.ops.length === opts.limits.ops) {
                throw new MaxLengthError('Decode error - repeated field "ops" had too many elements')
              }

              obj.ops.push(reader.bytes())
              break
            }
            case 2: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(reader.bytes())
              break
            }
            case 3: {
              if (opts.limits?.tips != null && obj.tips.length === opts.limits.tips) {
                throw new MaxLengthError('Decode error - repeated field "tips" had too many elements')
              }

              obj.tips.push(FeedPosition.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.tips$
              }))
              break
            }
            case 4: {
              obj.more = reader.bool()
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
          ops: 0,
          entries: 0,
          tips: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.ops != null && obj.ops === opts.limits.ops) {
                throw new MaxLengthError('Streaming decode error - repeated field "ops" had too many elements')
              }

              yield {
                field: `${prefix}.ops[]`,
                index: obj.ops,
                value: reader.bytes()
              }

              obj.ops++

              break
            }
            case 2: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              yield {
                field: `${prefix}.entries[]`,
                index: obj.entries,
                value: reader.bytes()
              }

              obj.entries++

              break
            }
            case 3: {
              if (opts.limits?.tips != null && obj.tips === opts.limits.tips) {
                throw new MaxLengthError('Streaming decode error - repeated field "tips" had too many elements')
              }

              for (const evt of FeedPosition.codec().stream(reader, reader.uint32(), `${prefix}.tips[]`, {
                limits: opts.limits?.tips$
              })) {
                yield {
                  ...evt,
                  index: obj.tips
                }
              }

              obj.tips++

              break
            }
            case 4: {
              yield {
                field: `${prefix}.more`,
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

  export interface GroupSyncResponseOpsFieldEvent {
    field: '$.ops[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface GroupSyncResponseEntriesFieldEvent {
    field: '$.entries[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface GroupSyncResponseTipsAuthorFieldEvent {
    field: '$.tips[].author'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GroupSyncResponseTipsNextFieldEvent {
    field: '$.tips[].next'
    value: bigint
    index: number
  }

  export interface GroupSyncResponseMoreFieldEvent {
    field: '$.more'
    value: boolean
  }

  export function encode (obj: Partial<GroupSyncResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GroupSyncResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupSyncResponse>): GroupSyncResponse {
    return decodeMessage(buf, GroupSyncResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupSyncResponse>): Generator<GroupSyncResponseOpsFieldEvent | GroupSyncResponseEntriesFieldEvent | GroupSyncResponseTipsAuthorFieldEvent | GroupSyncResponseTipsNextFieldEvent | GroupSyncResponseMoreFieldEvent> {
    return streamMessage(buf, GroupSyncResponse.codec(), opts)
  }
}

export enum GroupInviteKind {
  INVITE_UNSPECIFIED = 'INVITE_UNSPECIFIED',
  INVITATION = 'INVITATION',
  ANSWER = 'ANSWER'
}

enum __GroupInviteKindValues {
  INVITE_UNSPECIFIED = 0,
  INVITATION = 1,
  ANSWER = 2
}

export namespace GroupInviteKind {
  export const codec = (): Codec<GroupInviteKind> => {
    return enumeration<GroupInviteKind>(__GroupInviteKindValues)
  }
}

export interface GroupInviteMessage {
  kind: GroupInviteKind
  group: Uint8Array<ArrayBuffer>
  ops: Uint8Array<ArrayBuffer>[]
}

export namespace GroupInviteMessage {
  let _codec: Codec<GroupInviteMessage>

  export const codec = (): Codec<GroupInviteMessage> => {
    if (_codec == null) {
      _codec = message<GroupInviteMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __GroupInviteKindValues[obj.kind] !== 0) {
          w.uint32(8)
          GroupInviteKind.codec().encode(obj.kind, w)
        }

        if ((obj.group != null && obj.group.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.group)
        }

        if (obj.ops != null && obj.ops.length > 0) {
          for (const value of obj.ops) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: GroupInviteKind.INVITE_UNSPECIFIED,
          group: uint8ArrayAlloc(0),
          ops: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = GroupInviteKind.codec().decode(reader)
              break
            }
            case 2: {
              obj.group = reader.bytes()
              break
            }
            case 3: {
              if (opts.limits?.ops != null && obj.ops.length === opts.limits.ops) {
                throw new MaxLengthError('Decode error - repeated field "ops" had too many elements')
              }

              obj.ops.push(reader.bytes())
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
          ops: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.kind`,
                value: GroupInviteKind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.group`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              if (opts.limits?.ops != null && obj.ops === opts.limits.ops) {
                throw new MaxLengthError('Streaming decode error - repeated field "ops" had too many elements')
              }

              yield {
                field: `${prefix}.ops[]`,
                index: obj.ops,
                value: reader.bytes()
              }

              obj.ops++

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

  export interface GroupInviteMessageKindFieldEvent {
    field: '$.kind'
    value: GroupInviteKind
  }

  export interface GroupInviteMessageGroupFieldEvent {
    field: '$.group'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GroupInviteMessageOpsFieldEvent {
    field: '$.ops[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<GroupInviteMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GroupInviteMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupInviteMessage>): GroupInviteMessage {
    return decodeMessage(buf, GroupInviteMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupInviteMessage>): Generator<GroupInviteMessageKindFieldEvent | GroupInviteMessageGroupFieldEvent | GroupInviteMessageOpsFieldEvent> {
    return streamMessage(buf, GroupInviteMessage.codec(), opts)
  }
}

export interface GroupInviteReceipt {
  accepted: boolean
}

export namespace GroupInviteReceipt {
  let _codec: Codec<GroupInviteReceipt>

  export const codec = (): Codec<GroupInviteReceipt> => {
    if (_codec == null) {
      _codec = message<GroupInviteReceipt>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.accepted != null && obj.accepted !== false)) {
          w.uint32(8)
          w.bool(obj.accepted)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          accepted: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.accepted = reader.bool()
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
                field: `${prefix}.accepted`,
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

  export interface GroupInviteReceiptAcceptedFieldEvent {
    field: '$.accepted'
    value: boolean
  }

  export function encode (obj: Partial<GroupInviteReceipt>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GroupInviteReceipt.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupInviteReceipt>): GroupInviteReceipt {
    return decodeMessage(buf, GroupInviteReceipt.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupInviteReceipt>): Generator<GroupInviteReceiptAcceptedFieldEvent> {
    return streamMessage(buf, GroupInviteReceipt.codec(), opts)
  }
}

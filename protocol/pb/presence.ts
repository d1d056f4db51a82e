import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum Status {
  STATUS_UNSPECIFIED = 'STATUS_UNSPECIFIED',
  ONLINE = 'ONLINE',
  AWAY = 'AWAY',
  BUSY = 'BUSY',
  DND = 'DND',
  OFFLINE = 'OFFLINE'
}

enum __StatusValues {
  STATUS_UNSPECIFIED = 0,
  ONLINE = 1,
  AWAY = 2,
  BUSY = 3,
  DND = 4,
  OFFLINE = 5
}

export namespace Status {
  export const codec = (): Codec<Status> => {
    return enumeration<Status>(__StatusValues)
  }
}

export interface PresenceRecord {
  presentity: Uint8Array<ArrayBuffer>
  status: Status
  note?: string
  activity?: string
  seq: bigint
  issuedAt: bigint
  expiresAt: bigint
  maxVersion?: number
}

export namespace PresenceRecord {
  let _codec: Codec<PresenceRecord>

  export const codec = (): Codec<PresenceRecord> => {
    if (_codec == null) {
      _codec = message<PresenceRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.presentity != null && obj.presentity.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.presentity)
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(16)
          Status.codec().encode(obj.status, w)
        }

        if (obj.note != null) {
          w.uint32(26)
          w.string(obj.note)
        }

        if (obj.activity != null) {
          w.uint32(34)
          w.string(obj.activity)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(40)
          w.uint64(obj.seq)
        }

        if ((obj.issuedAt != null && obj.issuedAt !== 0n)) {
          w.uint32(48)
          w.uint64(obj.issuedAt)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0n)) {
          w.uint32(56)
          w.uint64(obj.expiresAt)
        }

        if (obj.maxVersion != null) {
          w.uint32(64)
          w.uint32(obj.maxVersion)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          presentity: uint8ArrayAlloc(0),
          status: Status.STATUS_UNSPECIFIED,
          seq: 0n,
          issuedAt: 0n,
          expiresAt: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.presentity = reader.bytes()
              break
            }
            case 2: {
              obj.status = Status.codec().decode(reader)
              break
            }
            case 3: {
              obj.note = reader.string()
              break
            }
            case 4: {
              obj.activity = reader.string()
              break
            }
            case 5: {
              obj.seq = reader.uint64()
              break
            }
            case 6: {
              obj.issuedAt = reader.uint64()
              break
            }
            case 7: {
              obj.expiresAt = reader.uint64()
              break
            }
            case 8: {
              obj.maxVersion = reader.uint32()
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
                field: `${prefix}.presentity`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.status`,
                value: Status.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.note`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.activity`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.issuedAt`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.maxVersion`,
                value: reader.uint32()
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

  export interface PresenceRecordPresentityFieldEvent {
    field: '$.presentity'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PresenceRecordStatusFieldEvent {
    field: '$.status'
    value: Status
  }

  export interface PresenceRecordNoteFieldEvent {
    field: '$.note'
    value: string
  }

  export interface PresenceRecordActivityFieldEvent {
    field: '$.activity'
    value: string
  }

  export interface PresenceRecordSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface PresenceRecordIssuedAtFieldEvent {
    field: '$.issuedAt'
    value: bigint
  }

  export interface PresenceRecordExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: bigint
  }

  export interface PresenceRecordMaxVersionFieldEvent {
    field: '$.maxVersion'
    value: number
  }

  export function encode (obj: Partial<PresenceRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PresenceRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceRecord>): PresenceRecord {
    return decodeMessage(buf, PresenceRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceRecord>): Generator<PresenceRecordPresentityFieldEvent | PresenceRecordStatusFieldEvent | PresenceRecordNoteFieldEvent | PresenceRecordActivityFieldEvent | PresenceRecordSeqFieldEvent | PresenceRecordIssuedAtFieldEvent | PresenceRecordExpiresAtFieldEvent | PresenceRecordMaxVersionFieldEvent> {
    return streamMessage(buf, PresenceRecord.codec(), opts)
  }
}

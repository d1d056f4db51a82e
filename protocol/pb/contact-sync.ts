import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ContactEntry {
  contact: Uint8Array<ArrayBuffer>
  isContact: boolean
  blocked: boolean
  changedAt: bigint
  changedBy: Uint8Array<ArrayBuffer>
  devices: Uint8Array<ArrayBuffer>[]
  alias: string
}

export namespace ContactEntry {
  let _codec: Codec<ContactEntry>

  export const codec = (): Codec<ContactEntry> => {
    if (_codec == null) {
      _codec = message<ContactEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.contact != null && obj.contact.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.contact)
        }

        if ((obj.isContact != null && obj.isContact !== false)) {
          w.uint32(16)
          w.bool(obj.isContact)
        }

        if ((obj.blocked != null && obj.blocked !== false)) {
          w.uint32(24)
          w.bool(obj.blocked)
        }

        if ((obj.changedAt != null && obj.changedAt !== 0n)) {
          w.uint32(32)
          w.uint64(obj.changedAt)
        }

        if ((obj.changedBy != null && obj.changedBy.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.changedBy)
        }

        if (obj.devices != null && obj.devices.length > 0) {
          for (const value of obj.devices) {
            w.uint32(50)
            w.bytes(value)
          }
        }

        if ((obj.alias != null && obj.alias !== '')) {
          w.uint32(58)
          w.string(obj.alias)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          contact: uint8ArrayAlloc(0),
          isContact: false,
          blocked: false,
          changedAt: 0n,
          changedBy: uint8ArrayAlloc(0),
          devices: [],
          alias: ''
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
              obj.isContact = reader.bool()
              break
            }
            case 3: {
              obj.blocked = reader.bool()
              break
            }
            case 4: {
              obj.changedAt = reader.uint64()
              break
            }
            case 5: {
              obj.changedBy = reader.bytes()
              break
            }
            case 6: {
              if (opts.limits?.devices != null && obj.devices.length === opts.limits.devices) {
                throw new MaxLengthError('Decode error - repeated field "devices" had too many elements')
              }

              obj.devices.push(reader.bytes())
              break
            }
            case 7: {
              obj.alias = reader.string()
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
          devices: 0
        }

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
                field: `${prefix}.isContact`,
                value: reader.bool()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.blocked`,
                value: reader.bool()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.changedAt`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.changedBy`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              if (opts.limits?.devices != null && obj.devices === opts.limits.devices) {
                throw new MaxLengthError('Streaming decode error - repeated field "devices" had too many elements')
              }

              yield {
                field: `${prefix}.devices[]`,
                index: obj.devices,
                value: reader.bytes()
              }

              obj.devices++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.alias`,
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

  export interface ContactEntryContactFieldEvent {
    field: '$.contact'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContactEntryIsContactFieldEvent {
    field: '$.isContact'
    value: boolean
  }

  export interface ContactEntryBlockedFieldEvent {
    field: '$.blocked'
    value: boolean
  }

  export interface ContactEntryChangedAtFieldEvent {
    field: '$.changedAt'
    value: bigint
  }

  export interface ContactEntryChangedByFieldEvent {
    field: '$.changedBy'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContactEntryDevicesFieldEvent {
    field: '$.devices[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContactEntryAliasFieldEvent {
    field: '$.alias'
    value: string
  }

  export function encode (obj: Partial<ContactEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ContactEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContactEntry>): ContactEntry {
    return decodeMessage(buf, ContactEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContactEntry>): Generator<ContactEntryContactFieldEvent | ContactEntryIsContactFieldEvent | ContactEntryBlockedFieldEvent | ContactEntryChangedAtFieldEvent | ContactEntryChangedByFieldEvent | ContactEntryDevicesFieldEvent | ContactEntryAliasFieldEvent> {
    return streamMessage(buf, ContactEntry.codec(), opts)
  }
}

export interface Whereabouts {
  peer: Uint8Array<ArrayBuffer>
  addrs: Uint8Array<ArrayBuffer>[]
}

export namespace Whereabouts {
  let _codec: Codec<Whereabouts>

  export const codec = (): Codec<Whereabouts> => {
    if (_codec == null) {
      _codec = message<Whereabouts>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peer != null && obj.peer.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peer)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peer: uint8ArrayAlloc(0),
          addrs: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peer = reader.bytes()
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.bytes())
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
                field: `${prefix}.peer`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
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

  export interface WhereaboutsPeerFieldEvent {
    field: '$.peer'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WhereaboutsAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Whereabouts>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Whereabouts.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Whereabouts>): Whereabouts {
    return decodeMessage(buf, Whereabouts.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Whereabouts>): Generator<WhereaboutsPeerFieldEvent | WhereaboutsAddrsFieldEvent> {
    return streamMessage(buf, Whereabouts.codec(), opts)
  }
}

export interface ContactSnapshot {
  entries: ContactEntry[]
  whereabouts: Whereabouts[]
}

export namespace ContactSnapshot {
  let _codec: Codec<ContactSnapshot>

  export const codec = (): Codec<ContactSnapshot> => {
    if (_codec == null) {
      _codec = message<ContactSnapshot>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(10)
            ContactEntry.codec().encode(value, w)
          }
        }

        if (obj.whereabouts != null && obj.whereabouts.length > 0) {
          for (const value of obj.whereabouts) {
            w.uint32(18)
            Whereabouts.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          entries: [],
          whereabouts: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(ContactEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.entries$
              }))
              break
            }
            case 2: {
              if (opts.limits?.whereabouts != null && obj.whereabouts.length === opts.limits.whereabouts) {
                throw new MaxLengthError('Decode error - repeated field "whereabouts" had too many elements')
              }

              obj.whereabouts.push(Whereabouts.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.whereabouts$
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
          entries: 0,
          whereabouts: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              for (const evt of ContactEntry.codec().stream(reader, reader.uint32(), `${prefix}.entries[]`, {
                limits: opts.limits?.entries$
              })) {
                yield {
                  ...evt,
                  index: obj.entries
                }
              }

              obj.entries++

              break
            }
            case 2: {
              if (opts.limits?.whereabouts != null && obj.whereabouts === opts.limits.whereabouts) {
                throw new MaxLengthError('Streaming decode error - repeated field "whereabouts" had too many elements')
              }

              for (const evt of Whereabouts.codec().stream(reader, reader.uint32(), `${prefix}.whereabouts[]`, {
                limits: opts.limits?.whereabouts$
              })) {
                yield {
                  ...evt,
                  index: obj.whereabouts
                }
              }

              obj.whereabouts++

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

  export interface ContactSnapshotEntriesContactFieldEvent {
    field: '$.entries[].contact'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ContactSnapshotEntriesIsContactFieldEvent {
    field: '$.entries[].isContact'
    value: boolean
    index: number
  }

  export interface ContactSnapshotEntriesBlockedFieldEvent {
    field: '$.entries[].blocked'
    value: boolean
    index: number
  }

  export interface ContactSnapshotEntriesChangedAtFieldEvent {
    field: '$.entries[].changedAt'
    value: bigint
    index: number
  }

  export interface ContactSnapshotEntriesChangedByFieldEvent {
    field: '$.entries[].changedBy'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ContactSnapshotEntriesDevicesFieldEvent {
    field: '$.entries[].devices[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContactSnapshotEntriesAliasFieldEvent {
    field: '$.entries[].alias'
    value: string
    index: number
  }

  export interface ContactSnapshotWhereaboutsPeerFieldEvent {
    field: '$.whereabouts[].peer'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ContactSnapshotWhereaboutsAddrsFieldEvent {
    field: '$.whereabouts[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ContactSnapshot>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ContactSnapshot.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContactSnapshot>): ContactSnapshot {
    return decodeMessage(buf, ContactSnapshot.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContactSnapshot>): Generator<ContactSnapshotEntriesContactFieldEvent | ContactSnapshotEntriesIsContactFieldEvent | ContactSnapshotEntriesBlockedFieldEvent | ContactSnapshotEntriesChangedAtFieldEvent | ContactSnapshotEntriesChangedByFieldEvent | ContactSnapshotEntriesDevicesFieldEvent | ContactSnapshotEntriesAliasFieldEvent | ContactSnapshotWhereaboutsPeerFieldEvent | ContactSnapshotWhereaboutsAddrsFieldEvent> {
    return streamMessage(buf, ContactSnapshot.codec(), opts)
  }
}

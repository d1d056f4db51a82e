import { decodeMessage, encodeMessage, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface InstanceHello {
  instance: Uint8Array<ArrayBuffer>
  challenge: Uint8Array<ArrayBuffer>
}

export namespace InstanceHello {
  let _codec: Codec<InstanceHello>

  export const codec = (): Codec<InstanceHello> => {
    if (_codec == null) {
      _codec = message<InstanceHello>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.instance != null && obj.instance.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.instance)
        }

        if ((obj.challenge != null && obj.challenge.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.challenge)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          instance: uint8ArrayAlloc(0),
          challenge: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.instance = reader.bytes()
              break
            }
            case 2: {
              obj.challenge = reader.bytes()
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
                field: `${prefix}.instance`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.challenge`,
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

  export interface InstanceHelloInstanceFieldEvent {
    field: '$.instance'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InstanceHelloChallengeFieldEvent {
    field: '$.challenge'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<InstanceHello>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InstanceHello.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InstanceHello>): InstanceHello {
    return decodeMessage(buf, InstanceHello.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InstanceHello>): Generator<InstanceHelloInstanceFieldEvent | InstanceHelloChallengeFieldEvent> {
    return streamMessage(buf, InstanceHello.codec(), opts)
  }
}

export interface InstanceProbe {
  sign: Uint8Array<ArrayBuffer>
  duplicate: Uint8Array<ArrayBuffer>
  otherAddr: Uint8Array<ArrayBuffer>
}

export namespace InstanceProbe {
  let _codec: Codec<InstanceProbe>

  export const codec = (): Codec<InstanceProbe> => {
    if (_codec == null) {
      _codec = message<InstanceProbe>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.sign != null && obj.sign.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.sign)
        }

        if ((obj.duplicate != null && obj.duplicate.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.duplicate)
        }

        if ((obj.otherAddr != null && obj.otherAddr.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.otherAddr)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          sign: uint8ArrayAlloc(0),
          duplicate: uint8ArrayAlloc(0),
          otherAddr: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.sign = reader.bytes()
              break
            }
            case 2: {
              obj.duplicate = reader.bytes()
              break
            }
            case 3: {
              obj.otherAddr = reader.bytes()
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
                field: `${prefix}.sign`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.duplicate`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.otherAddr`,
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

  export interface InstanceProbeSignFieldEvent {
    field: '$.sign'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InstanceProbeDuplicateFieldEvent {
    field: '$.duplicate'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InstanceProbeOtherAddrFieldEvent {
    field: '$.otherAddr'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<InstanceProbe>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InstanceProbe.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InstanceProbe>): InstanceProbe {
    return decodeMessage(buf, InstanceProbe.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InstanceProbe>): Generator<InstanceProbeSignFieldEvent | InstanceProbeDuplicateFieldEvent | InstanceProbeOtherAddrFieldEvent> {
    return streamMessage(buf, InstanceProbe.codec(), opts)
  }
}

export interface InstanceStatement {
  peer: Uint8Array<ArrayBuffer>
  instance: Uint8Array<ArrayBuffer>
  startedAt: bigint
  challenge: Uint8Array<ArrayBuffer>
}

export namespace InstanceStatement {
  let _codec: Codec<InstanceStatement>

  export const codec = (): Codec<InstanceStatement> => {
    if (_codec == null) {
      _codec = message<InstanceStatement>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peer != null && obj.peer.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peer)
        }

        if ((obj.instance != null && obj.instance.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.instance)
        }

        if ((obj.startedAt != null && obj.startedAt !== 0n)) {
          w.uint32(24)
          w.uint64(obj.startedAt)
        }

        if ((obj.challenge != null && obj.challenge.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.challenge)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peer: uint8ArrayAlloc(0),
          instance: uint8ArrayAlloc(0),
          startedAt: 0n,
          challenge: uint8ArrayAlloc(0)
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
              obj.instance = reader.bytes()
              break
            }
            case 3: {
              obj.startedAt = reader.uint64()
              break
            }
            case 4: {
              obj.challenge = reader.bytes()
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
                field: `${prefix}.peer`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.instance`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.startedAt`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.challenge`,
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

  export interface InstanceStatementPeerFieldEvent {
    field: '$.peer'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InstanceStatementInstanceFieldEvent {
    field: '$.instance'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InstanceStatementStartedAtFieldEvent {
    field: '$.startedAt'
    value: bigint
  }

  export interface InstanceStatementChallengeFieldEvent {
    field: '$.challenge'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<InstanceStatement>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InstanceStatement.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InstanceStatement>): InstanceStatement {
    return decodeMessage(buf, InstanceStatement.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InstanceStatement>): Generator<InstanceStatementPeerFieldEvent | InstanceStatementInstanceFieldEvent | InstanceStatementStartedAtFieldEvent | InstanceStatementChallengeFieldEvent> {
    return streamMessage(buf, InstanceStatement.codec(), opts)
  }
}

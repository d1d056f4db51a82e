import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface DeviceCertificate {
  person: Uint8Array<ArrayBuffer>
  device: Uint8Array<ArrayBuffer>
  name: string
  issuedAt: bigint
  epoch: bigint
  consent: Uint8Array<ArrayBuffer>
}

export namespace DeviceCertificate {
  let _codec: Codec<DeviceCertificate>

  export const codec = (): Codec<DeviceCertificate> => {
    if (_codec == null) {
      _codec = message<DeviceCertificate>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.person != null && obj.person.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.person)
        }

        if ((obj.device != null && obj.device.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.device)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(26)
          w.string(obj.name)
        }

        if ((obj.issuedAt != null && obj.issuedAt !== 0n)) {
          w.uint32(32)
          w.uint64(obj.issuedAt)
        }

        if ((obj.epoch != null && obj.epoch !== 0n)) {
          w.uint32(40)
          w.uint64(obj.epoch)
        }

        if ((obj.consent != null && obj.consent.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.consent)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          person: uint8ArrayAlloc(0),
          device: uint8ArrayAlloc(0),
          name: '',
          issuedAt: 0n,
          epoch: 0n,
          consent: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.person = reader.bytes()
              break
            }
            case 2: {
              obj.device = reader.bytes()
              break
            }
            case 3: {
              obj.name = reader.string()
              break
            }
            case 4: {
              obj.issuedAt = reader.uint64()
              break
            }
            case 5: {
              obj.epoch = reader.uint64()
              break
            }
            case 6: {
              obj.consent = reader.bytes()
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
                field: `${prefix}.person`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.device`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.issuedAt`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.consent`,
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

  export interface DeviceCertificatePersonFieldEvent {
    field: '$.person'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DeviceCertificateDeviceFieldEvent {
    field: '$.device'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DeviceCertificateNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface DeviceCertificateIssuedAtFieldEvent {
    field: '$.issuedAt'
    value: bigint
  }

  export interface DeviceCertificateEpochFieldEvent {
    field: '$.epoch'
    value: bigint
  }

  export interface DeviceCertificateConsentFieldEvent {
    field: '$.consent'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<DeviceCertificate>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DeviceCertificate.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeviceCertificate>): DeviceCertificate {
    return decodeMessage(buf, DeviceCertificate.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeviceCertificate>): Generator<DeviceCertificatePersonFieldEvent | DeviceCertificateDeviceFieldEvent | DeviceCertificateNameFieldEvent | DeviceCertificateIssuedAtFieldEvent | DeviceCertificateEpochFieldEvent | DeviceCertificateConsentFieldEvent> {
    return streamMessage(buf, DeviceCertificate.codec(), opts)
  }
}

export interface DeviceList {
  person: Uint8Array<ArrayBuffer>
  epoch: bigint
  issuedAt: bigint
  devices: Uint8Array<ArrayBuffer>[]
  revoked: Uint8Array<ArrayBuffer>[]
}

export namespace DeviceList {
  let _codec: Codec<DeviceList>

  export const codec = (): Codec<DeviceList> => {
    if (_codec == null) {
      _codec = message<DeviceList>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.person != null && obj.person.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.person)
        }

        if ((obj.epoch != null && obj.epoch !== 0n)) {
          w.uint32(16)
          w.uint64(obj.epoch)
        }

        if ((obj.issuedAt != null && obj.issuedAt !== 0n)) {
          w.uint32(24)
          w.uint64(obj.issuedAt)
        }

        if (obj.devices != null && obj.devices.length > 0) {
          for (const value of obj.devices) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if (obj.revoked != null && obj.revoked.length > 0) {
          for (const value of obj.revoked) {
            w.uint32(42)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          person: uint8ArrayAlloc(0),
          epoch: 0n,
          issuedAt: 0n,
          devices: [],
          revoked: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.person = reader.bytes()
              break
            }
            case 2: {
              obj.epoch = reader.uint64()
              break
            }
            case 3: {
              obj.issuedAt = reader.uint64()
              break
            }
            case 4: {
              if (opts.limits?.devices != null && obj.devices.length === opts.limits.devices) {
                throw new MaxLengthError('Decode error - repeated field "devices" had too many elements')
              }

              obj.devices.push(reader.bytes())
              break
            }
            case 5: {
              if (opts.limits?.revoked != null && obj.revoked.length === opts.limits.revoked) {
                throw new MaxLengthError('Decode error - repeated field "revoked" had too many elements')
              }

              obj.revoked.push(reader.bytes())
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
          devices: 0,
          revoked: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.person`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.issuedAt`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
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
            case 5: {
              if (opts.limits?.revoked != null && obj.revoked === opts.limits.revoked) {
                throw new MaxLengthError('Streaming decode error - repeated field "revoked" had too many elements')
              }

              yield {
                field: `${prefix}.revoked[]`,
                index: obj.revoked,
                value: reader.bytes()
              }

              obj.revoked++

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

  export interface DeviceListPersonFieldEvent {
    field: '$.person'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DeviceListEpochFieldEvent {
    field: '$.epoch'
    value: bigint
  }

  export interface DeviceListIssuedAtFieldEvent {
    field: '$.issuedAt'
    value: bigint
  }

  export interface DeviceListDevicesFieldEvent {
    field: '$.devices[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface DeviceListRevokedFieldEvent {
    field: '$.revoked[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<DeviceList>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DeviceList.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeviceList>): DeviceList {
    return decodeMessage(buf, DeviceList.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeviceList>): Generator<DeviceListPersonFieldEvent | DeviceListEpochFieldEvent | DeviceListIssuedAtFieldEvent | DeviceListDevicesFieldEvent | DeviceListRevokedFieldEvent> {
    return streamMessage(buf, DeviceList.codec(), opts)
  }
}

export interface LinkRequest {
  to: Uint8Array<ArrayBuffer>
  intake: Uint8Array<ArrayBuffer>
  name: string
  sentAt: bigint
}

export namespace LinkRequest {
  let _codec: Codec<LinkRequest>

  export const codec = (): Codec<LinkRequest> => {
    if (_codec == null) {
      _codec = message<LinkRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.to != null && obj.to.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.to)
        }

        if ((obj.intake != null && obj.intake.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.intake)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(26)
          w.string(obj.name)
        }

        if ((obj.sentAt != null && obj.sentAt !== 0n)) {
          w.uint32(32)
          w.uint64(obj.sentAt)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          to: uint8ArrayAlloc(0),
          intake: uint8ArrayAlloc(0),
          name: '',
          sentAt: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.to = reader.bytes()
              break
            }
            case 2: {
              obj.intake = reader.bytes()
              break
            }
            case 3: {
              obj.name = reader.string()
              break
            }
            case 4: {
              obj.sentAt = reader.uint64()
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
                field: `${prefix}.to`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.intake`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
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

  export interface LinkRequestToFieldEvent {
    field: '$.to'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LinkRequestIntakeFieldEvent {
    field: '$.intake'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LinkRequestNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface LinkRequestSentAtFieldEvent {
    field: '$.sentAt'
    value: bigint
  }

  export function encode (obj: Partial<LinkRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LinkRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LinkRequest>): LinkRequest {
    return decodeMessage(buf, LinkRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LinkRequest>): Generator<LinkRequestToFieldEvent | LinkRequestIntakeFieldEvent | LinkRequestNameFieldEvent | LinkRequestSentAtFieldEvent> {
    return streamMessage(buf, LinkRequest.codec(), opts)
  }
}

export enum LinkResult {
  LINK_RESULT_UNSPECIFIED = 'LINK_RESULT_UNSPECIFIED',
  LINKED = 'LINKED',
  BAD_CODE = 'BAD_CODE',
  REFUSED = 'REFUSED'
}

enum __LinkResultValues {
  LINK_RESULT_UNSPECIFIED = 0,
  LINKED = 1,
  BAD_CODE = 2,
  REFUSED = 3
}

export namespace LinkResult {
  export const codec = (): Codec<LinkResult> => {
    return enumeration<LinkResult>(__LinkResultValues)
  }
}

export interface LinkResponse {
  result: LinkResult
  certificate: Uint8Array<ArrayBuffer>
  deviceList: Uint8Array<ArrayBuffer>
}

export namespace LinkResponse {
  let _codec: Codec<LinkResponse>

  export const codec = (): Codec<LinkResponse> => {
    if (_codec == null) {
      _codec = message<LinkResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.result != null && __LinkResultValues[obj.result] !== 0) {
          w.uint32(8)
          LinkResult.codec().encode(obj.result, w)
        }

        if ((obj.certificate != null && obj.certificate.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.certificate)
        }

        if ((obj.deviceList != null && obj.deviceList.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.deviceList)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          result: LinkResult.LINK_RESULT_UNSPECIFIED,
          certificate: uint8ArrayAlloc(0),
          deviceList: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.result = LinkResult.codec().decode(reader)
              break
            }
            case 2: {
              obj.certificate = reader.bytes()
              break
            }
            case 3: {
              obj.deviceList = reader.bytes()
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
                field: `${prefix}.result`,
                value: LinkResult.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.certificate`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.deviceList`,
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

  export interface LinkResponseResultFieldEvent {
    field: '$.result'
    value: LinkResult
  }

  export interface LinkResponseCertificateFieldEvent {
    field: '$.certificate'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LinkResponseDeviceListFieldEvent {
    field: '$.deviceList'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<LinkResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LinkResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LinkResponse>): LinkResponse {
    return decodeMessage(buf, LinkResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LinkResponse>): Generator<LinkResponseResultFieldEvent | LinkResponseCertificateFieldEvent | LinkResponseDeviceListFieldEvent> {
    return streamMessage(buf, LinkResponse.codec(), opts)
  }
}

export interface DeviceListAck {
  epoch: bigint
}

export namespace DeviceListAck {
  let _codec: Codec<DeviceListAck>

  export const codec = (): Codec<DeviceListAck> => {
    if (_codec == null) {
      _codec = message<DeviceListAck>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.epoch != null && obj.epoch !== 0n)) {
          w.uint32(8)
          w.uint64(obj.epoch)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          epoch: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.epoch = reader.uint64()
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
                field: `${prefix}.epoch`,
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

  export interface DeviceListAckEpochFieldEvent {
    field: '$.epoch'
    value: bigint
  }

  export function encode (obj: Partial<DeviceListAck>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DeviceListAck.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeviceListAck>): DeviceListAck {
    return decodeMessage(buf, DeviceListAck.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DeviceListAck>): Generator<DeviceListAckEpochFieldEvent> {
    return streamMessage(buf, DeviceListAck.codec(), opts)
  }
}

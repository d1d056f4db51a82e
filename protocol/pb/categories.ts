import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum Availability {
  AVAILABILITY_UNSPECIFIED = 'AVAILABILITY_UNSPECIFIED',
  ONLINE = 'ONLINE',
  AWAY = 'AWAY',
  BUSY = 'BUSY',
  DND = 'DND',
  OFFLINE = 'OFFLINE'
}

enum __AvailabilityValues {
  AVAILABILITY_UNSPECIFIED = 0,
  ONLINE = 1,
  AWAY = 2,
  BUSY = 3,
  DND = 4,
  OFFLINE = 5
}

export namespace Availability {
  export const codec = (): Codec<Availability> => {
    return enumeration<Availability>(__AvailabilityValues)
  }
}

export enum StateSource {
  SOURCE_UNSPECIFIED = 'SOURCE_UNSPECIFIED',
  MANUAL = 'MANUAL',
  AUTOMATIC = 'AUTOMATIC'
}

enum __StateSourceValues {
  SOURCE_UNSPECIFIED = 0,
  MANUAL = 1,
  AUTOMATIC = 2
}

export namespace StateSource {
  export const codec = (): Codec<StateSource> => {
    return enumeration<StateSource>(__StateSourceValues)
  }
}

export interface StateCategory {
  availability: Availability
  source: StateSource
  idleSince?: bigint
  manualSince?: bigint
}

export namespace StateCategory {
  let _codec: Codec<StateCategory>

  export const codec = (): Codec<StateCategory> => {
    if (_codec == null) {
      _codec = message<StateCategory>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.availability != null && __AvailabilityValues[obj.availability] !== 0) {
          w.uint32(8)
          Availability.codec().encode(obj.availability, w)
        }

        if (obj.source != null && __StateSourceValues[obj.source] !== 0) {
          w.uint32(16)
          StateSource.codec().encode(obj.source, w)
        }

        if (obj.idleSince != null) {
          w.uint32(24)
          w.uint64(obj.idleSince)
        }

        if (obj.manualSince != null) {
          w.uint32(32)
          w.uint64(obj.manualSince)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          availability: Availability.AVAILABILITY_UNSPECIFIED,
          source: StateSource.SOURCE_UNSPECIFIED
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.availability = Availability.codec().decode(reader)
              break
            }
            case 2: {
              obj.source = StateSource.codec().decode(reader)
              break
            }
            case 3: {
              obj.idleSince = reader.uint64()
              break
            }
            case 4: {
              obj.manualSince = reader.uint64()
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
                field: `${prefix}.availability`,
                value: Availability.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.source`,
                value: StateSource.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.idleSince`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.manualSince`,
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

  export interface StateCategoryAvailabilityFieldEvent {
    field: '$.availability'
    value: Availability
  }

  export interface StateCategorySourceFieldEvent {
    field: '$.source'
    value: StateSource
  }

  export interface StateCategoryIdleSinceFieldEvent {
    field: '$.idleSince'
    value: bigint
  }

  export interface StateCategoryManualSinceFieldEvent {
    field: '$.manualSince'
    value: bigint
  }

  export function encode (obj: Partial<StateCategory>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StateCategory.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateCategory>): StateCategory {
    return decodeMessage(buf, StateCategory.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StateCategory>): Generator<StateCategoryAvailabilityFieldEvent | StateCategorySourceFieldEvent | StateCategoryIdleSinceFieldEvent | StateCategoryManualSinceFieldEvent> {
    return streamMessage(buf, StateCategory.codec(), opts)
  }
}

export interface NoteCategory {
  text: string
}

export namespace NoteCategory {
  let _codec: Codec<NoteCategory>

  export const codec = (): Codec<NoteCategory> => {
    if (_codec == null) {
      _codec = message<NoteCategory>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.text != null && obj.text !== '')) {
          w.uint32(10)
          w.string(obj.text)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          text: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
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

  export interface NoteCategoryTextFieldEvent {
    field: '$.text'
    value: string
  }

  export function encode (obj: Partial<NoteCategory>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, NoteCategory.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NoteCategory>): NoteCategory {
    return decodeMessage(buf, NoteCategory.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NoteCategory>): Generator<NoteCategoryTextFieldEvent> {
    return streamMessage(buf, NoteCategory.codec(), opts)
  }
}

export enum Activity {
  ACTIVITY_UNSPECIFIED = 'ACTIVITY_UNSPECIFIED',
  OTHER = 'OTHER',
  APPOINTMENT = 'APPOINTMENT',
  AWAY_ACTIVITY = 'AWAY_ACTIVITY',
  BREAKFAST = 'BREAKFAST',
  BUSY_ACTIVITY = 'BUSY_ACTIVITY',
  DINNER = 'DINNER',
  HOLIDAY = 'HOLIDAY',
  IN_TRANSIT = 'IN_TRANSIT',
  LOOKING_FOR_WORK = 'LOOKING_FOR_WORK',
  LUNCH = 'LUNCH',
  MEAL = 'MEAL',
  MEETING = 'MEETING',
  ON_THE_PHONE = 'ON_THE_PHONE',
  PERFORMANCE = 'PERFORMANCE',
  PERMANENT_ABSENCE = 'PERMANENT_ABSENCE',
  PLAYING = 'PLAYING',
  PRESENTATION = 'PRESENTATION',
  SHOPPING = 'SHOPPING',
  SLEEPING = 'SLEEPING',
  SPECTATOR = 'SPECTATOR',
  STEERING = 'STEERING',
  TRAVEL = 'TRAVEL',
  TV = 'TV',
  UNKNOWN = 'UNKNOWN',
  VACATION = 'VACATION',
  WORKING = 'WORKING',
  WORSHIP = 'WORSHIP'
}

enum __ActivityValues {
  ACTIVITY_UNSPECIFIED = 0,
  OTHER = 1,
  APPOINTMENT = 2,
  AWAY_ACTIVITY = 3,
  BREAKFAST = 4,
  BUSY_ACTIVITY = 5,
  DINNER = 6,
  HOLIDAY = 7,
  IN_TRANSIT = 8,
  LOOKING_FOR_WORK = 9,
  LUNCH = 10,
  MEAL = 11,
  MEETING = 12,
  ON_THE_PHONE = 13,
  PERFORMANCE = 14,
  PERMANENT_ABSENCE = 15,
  PLAYING = 16,
  PRESENTATION = 17,
  SHOPPING = 18,
  SLEEPING = 19,
  SPECTATOR = 20,
  STEERING = 21,
  TRAVEL = 22,
  TV = 23,
  UNKNOWN = 24,
  VACATION = 25,
  WORKING = 26,
  WORSHIP = 27
}

export namespace Activity {
  export const codec = (): Codec<Activity> => {
    return enumeration<Activity>(__ActivityValues)
  }
}

export interface ActivityCategory {
  activity: Activity
  text?: string
  until?: bigint
}

export namespace ActivityCategory {
  let _codec: Codec<ActivityCategory>

  export const codec = (): Codec<ActivityCategory> => {
    if (_codec == null) {
      _codec = message<ActivityCategory>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.activity != null && __ActivityValues[obj.activity] !== 0) {
          w.uint32(8)
          Activity.codec().encode(obj.activity, w)
        }

        if (obj.text != null) {
          w.uint32(18)
          w.string(obj.text)
        }

        if (obj.until != null) {
          w.uint32(24)
          w.uint64(obj.until)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          activity: Activity.ACTIVITY_UNSPECIFIED
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.activity = Activity.codec().decode(reader)
              break
            }
            case 2: {
              obj.text = reader.string()
              break
            }
            case 3: {
              obj.until = reader.uint64()
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
                field: `${prefix}.activity`,
                value: Activity.codec().decode(reader)
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
                field: `${prefix}.until`,
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

  export interface ActivityCategoryActivityFieldEvent {
    field: '$.activity'
    value: Activity
  }

  export interface ActivityCategoryTextFieldEvent {
    field: '$.text'
    value: string
  }

  export interface ActivityCategoryUntilFieldEvent {
    field: '$.until'
    value: bigint
  }

  export function encode (obj: Partial<ActivityCategory>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ActivityCategory.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ActivityCategory>): ActivityCategory {
    return decodeMessage(buf, ActivityCategory.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ActivityCategory>): Generator<ActivityCategoryActivityFieldEvent | ActivityCategoryTextFieldEvent | ActivityCategoryUntilFieldEvent> {
    return streamMessage(buf, ActivityCategory.codec(), opts)
  }
}

export interface CardCategory {
  displayName: string
  title?: string
  organization?: string
  email?: string
  phone?: string
  url?: string
}

export namespace CardCategory {
  let _codec: Codec<CardCategory>

  export const codec = (): Codec<CardCategory> => {
    if (_codec == null) {
      _codec = message<CardCategory>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.displayName != null && obj.displayName !== '')) {
          w.uint32(10)
          w.string(obj.displayName)
        }

        if (obj.title != null) {
          w.uint32(18)
          w.string(obj.title)
        }

        if (obj.organization != null) {
          w.uint32(26)
          w.string(obj.organization)
        }

        if (obj.email != null) {
          w.uint32(34)
          w.string(obj.email)
        }

        if (obj.phone != null) {
          w.uint32(42)
          w.string(obj.phone)
        }

        if (obj.url != null) {
          w.uint32(50)
          w.string(obj.url)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          displayName: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.displayName = reader.string()
              break
            }
            case 2: {
              obj.title = reader.string()
              break
            }
            case 3: {
              obj.organization = reader.string()
              break
            }
            case 4: {
              obj.email = reader.string()
              break
            }
            case 5: {
              obj.phone = reader.string()
              break
            }
            case 6: {
              obj.url = reader.string()
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
                field: `${prefix}.displayName`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.title`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.organization`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.email`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.phone`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.url`,
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

  export interface CardCategoryDisplayNameFieldEvent {
    field: '$.displayName'
    value: string
  }

  export interface CardCategoryTitleFieldEvent {
    field: '$.title'
    value: string
  }

  export interface CardCategoryOrganizationFieldEvent {
    field: '$.organization'
    value: string
  }

  export interface CardCategoryEmailFieldEvent {
    field: '$.email'
    value: string
  }

  export interface CardCategoryPhoneFieldEvent {
    field: '$.phone'
    value: string
  }

  export interface CardCategoryUrlFieldEvent {
    field: '$.url'
    value: string
  }

  export function encode (obj: Partial<CardCategory>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CardCategory.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CardCategory>): CardCategory {
    return decodeMessage(buf, CardCategory.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CardCategory>): Generator<CardCategoryDisplayNameFieldEvent | CardCategoryTitleFieldEvent | CardCategoryOrganizationFieldEvent | CardCategoryEmailFieldEvent | CardCategoryPhoneFieldEvent | CardCategoryUrlFieldEvent> {
    return streamMessage(buf, CardCategory.codec(), opts)
  }
}

export enum Mobility {
  MOBILITY_UNSPECIFIED = 'MOBILITY_UNSPECIFIED',
  FIXED = 'FIXED',
  MOBILE = 'MOBILE'
}

enum __MobilityValues {
  MOBILITY_UNSPECIFIED = 0,
  FIXED = 1,
  MOBILE = 2
}

export namespace Mobility {
  export const codec = (): Codec<Mobility> => {
    return enumeration<Mobility>(__MobilityValues)
  }
}

export interface CapabilitiesCategory {
  description?: string
  mobility: Mobility
  features: string[]
}

export namespace CapabilitiesCategory {
  let _codec: Codec<CapabilitiesCategory>

  export const codec = (): Codec<CapabilitiesCategory> => {
    if (_codec == null) {
      _codec = message<CapabilitiesCategory>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.description != null) {
          w.uint32(10)
          w.string(obj.description)
        }

        if (obj.mobility != null && __MobilityValues[obj.mobility] !== 0) {
          w.uint32(16)
          Mobility.codec().encode(obj.mobility, w)
        }

        if (obj.features != null && obj.features.length > 0) {
          for (const value of obj.features) {
            w.uint32(26)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          mobility: Mobility.MOBILITY_UNSPECIFIED,
          features: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.description = reader.string()
              break
            }
            case 2: {
              obj.mobility = Mobility.codec().decode(reader)
              break
            }
            case 3: {
              if (opts.limits?.features != null && obj.features.length === opts.limits.features) {
                throw new MaxLengthError('Decode error - repeated field "features" had too many elements')
              }

              obj.features.push(reader.string())
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
          features: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.description`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.mobility`,
                value: Mobility.codec().decode(reader)
              }
              break
            }
            case 3: {
              if (opts.limits?.features != null && obj.features === opts.limits.features) {
                throw new MaxLengthError('Streaming decode error - repeated field "features" had too many elements')
              }

              yield {
                field: `${prefix}.features[]`,
                index: obj.features,
                value: reader.string()
              }

              obj.features++

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

  export interface CapabilitiesCategoryDescriptionFieldEvent {
    field: '$.description'
    value: string
  }

  export interface CapabilitiesCategoryMobilityFieldEvent {
    field: '$.mobility'
    value: Mobility
  }

  export interface CapabilitiesCategoryFeaturesFieldEvent {
    field: '$.features[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<CapabilitiesCategory>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CapabilitiesCategory.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CapabilitiesCategory>): CapabilitiesCategory {
    return decodeMessage(buf, CapabilitiesCategory.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CapabilitiesCategory>): Generator<CapabilitiesCategoryDescriptionFieldEvent | CapabilitiesCategoryMobilityFieldEvent | CapabilitiesCategoryFeaturesFieldEvent> {
    return streamMessage(buf, CapabilitiesCategory.codec(), opts)
  }
}

export enum FreeBusy {
  FREE_BUSY_UNSPECIFIED = 'FREE_BUSY_UNSPECIFIED',
  FREE = 'FREE',
  TENTATIVE = 'TENTATIVE',
  BUSY_CALENDAR = 'BUSY_CALENDAR',
  OUT_OF_OFFICE = 'OUT_OF_OFFICE'
}

enum __FreeBusyValues {
  FREE_BUSY_UNSPECIFIED = 0,
  FREE = 1,
  TENTATIVE = 2,
  BUSY_CALENDAR = 3,
  OUT_OF_OFFICE = 4
}

export namespace FreeBusy {
  export const codec = (): Codec<FreeBusy> => {
    return enumeration<FreeBusy>(__FreeBusyValues)
  }
}

export interface CalendarCategory {
  freeBusy: FreeBusy
  until?: bigint
  nextFree?: bigint
}

export namespace CalendarCategory {
  let _codec: Codec<CalendarCategory>

  export const codec = (): Codec<CalendarCategory> => {
    if (_codec == null) {
      _codec = message<CalendarCategory>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.freeBusy != null && __FreeBusyValues[obj.freeBusy] !== 0) {
          w.uint32(8)
          FreeBusy.codec().encode(obj.freeBusy, w)
        }

        if (obj.until != null) {
          w.uint32(16)
          w.uint64(obj.until)
        }

        if (obj.nextFree != null) {
          w.uint32(24)
          w.uint64(obj.nextFree)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          freeBusy: FreeBusy.FREE_BUSY_UNSPECIFIED
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.freeBusy = FreeBusy.codec().decode(reader)
              break
            }
            case 2: {
              obj.until = reader.uint64()
              break
            }
            case 3: {
              obj.nextFree = reader.uint64()
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
                field: `${prefix}.freeBusy`,
                value: FreeBusy.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.until`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.nextFree`,
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

  export interface CalendarCategoryFreeBusyFieldEvent {
    field: '$.freeBusy'
    value: FreeBusy
  }

  export interface CalendarCategoryUntilFieldEvent {
    field: '$.until'
    value: bigint
  }

  export interface CalendarCategoryNextFreeFieldEvent {
    field: '$.nextFree'
    value: bigint
  }

  export function encode (obj: Partial<CalendarCategory>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CalendarCategory.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CalendarCategory>): CalendarCategory {
    return decodeMessage(buf, CalendarCategory.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CalendarCategory>): Generator<CalendarCategoryFreeBusyFieldEvent | CalendarCategoryUntilFieldEvent | CalendarCategoryNextFreeFieldEvent> {
    return streamMessage(buf, CalendarCategory.codec(), opts)
  }
}

export interface AppCategory {
  namespace: string
  data: Uint8Array<ArrayBuffer>
}

export namespace AppCategory {
  let _codec: Codec<AppCategory>

  export const codec = (): Codec<AppCategory> => {
    if (_codec == null) {
      _codec = message<AppCategory>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.namespace != null && obj.namespace !== '')) {
          w.uint32(10)
          w.string(obj.namespace)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.data)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          namespace: '',
          data: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.namespace = reader.string()
              break
            }
            case 2: {
              obj.data = reader.bytes()
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
                field: `${prefix}.namespace`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.data`,
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

  export interface AppCategoryNamespaceFieldEvent {
    field: '$.namespace'
    value: string
  }

  export interface AppCategoryDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<AppCategory>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AppCategory.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AppCategory>): AppCategory {
    return decodeMessage(buf, AppCategory.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AppCategory>): Generator<AppCategoryNamespaceFieldEvent | AppCategoryDataFieldEvent> {
    return streamMessage(buf, AppCategory.codec(), opts)
  }
}

export interface CategoryItem {
  presentity: Uint8Array<ArrayBuffer>
  seq: bigint
  issuedAt: bigint
  expiresAt: bigint
  state?: StateCategory
  note?: NoteCategory
  activity?: ActivityCategory
  card?: CardCategory
  capabilities?: CapabilitiesCategory
  calendar?: CalendarCategory
  app?: AppCategory
}

export namespace CategoryItem {
  let _codec: Codec<CategoryItem>

  export const codec = (): Codec<CategoryItem> => {
    if (_codec == null) {
      _codec = message<CategoryItem>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.presentity != null && obj.presentity.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.presentity)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(16)
          w.uint64(obj.seq)
        }

        if ((obj.issuedAt != null && obj.issuedAt !== 0n)) {
          w.uint32(24)
          w.uint64(obj.issuedAt)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0n)) {
          w.uint32(32)
          w.uint64(obj.expiresAt)
        }

        if (obj.state != null) {
          w.uint32(82)
          StateCategory.codec().encode(obj.state, w)
        }

        if (obj.note != null) {
          w.uint32(90)
          NoteCategory.codec().encode(obj.note, w)
        }

        if (obj.activity != null) {
          w.uint32(98)
          ActivityCategory.codec().encode(obj.activity, w)
        }

        if (obj.card != null) {
          w.uint32(106)
          CardCategory.codec().encode(obj.card, w)
        }

        if (obj.capabilities != null) {
          w.uint32(114)
          CapabilitiesCategory.codec().encode(obj.capabilities, w)
        }

        if (obj.calendar != null) {
          w.uint32(122)
          CalendarCategory.codec().encode(obj.calendar, w)
        }

        if (obj.app != null) {
          w.uint32(130)
          AppCategory.codec().encode(obj.app, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          presentity: uint8ArrayAlloc(0),
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
              obj.seq = reader.uint64()
              break
            }
            case 3: {
              obj.issuedAt = reader.uint64()
              break
            }
            case 4: {
              obj.expiresAt = reader.uint64()
              break
            }
            case 10: {
              obj.state = StateCategory.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.state
              })
              break
            }
            case 11: {
              obj.note = NoteCategory.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.note
              })
              break
            }
            case 12: {
              obj.activity = ActivityCategory.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.activity
              })
              break
            }
            case 13: {
              obj.card = CardCategory.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.card
              })
              break
            }
            case 14: {
              obj.capabilities = CapabilitiesCategory.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.capabilities
              })
              break
            }
            case 15: {
              obj.calendar = CalendarCategory.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.calendar
              })
              break
            }
            case 16: {
              obj.app = AppCategory.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.app
              })
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
                field: `${prefix}.seq`,
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
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64()
              }
              break
            }
            case 10: {
              yield * StateCategory.codec().stream(reader, reader.uint32(), `${prefix}.state`, {
                limits: opts.limits?.state
              })

              break
            }
            case 11: {
              yield * NoteCategory.codec().stream(reader, reader.uint32(), `${prefix}.note`, {
                limits: opts.limits?.note
              })

              break
            }
            case 12: {
              yield * ActivityCategory.codec().stream(reader, reader.uint32(), `${prefix}.activity`, {
                limits: opts.limits?.activity
              })

              break
            }
            case 13: {
              yield * CardCategory.codec().stream(reader, reader.uint32(), `${prefix}.card`, {
                limits: opts.limits?.card
              })

              break
            }
            case 14: {
              yield * CapabilitiesCategory.codec().stream(reader, reader.uint32(), `${prefix}.capabilities`, {
                limits: opts.limits?.capabilities
              })

              break
            }
            case 15: {
              yield * CalendarCategory.codec().stream(reader, reader.uint32(), `${prefix}.calendar`, {
                limits: opts.limits?.calendar
              })

              break
            }
            case 16: {
              yield * AppCategory.codec().stream(reader, reader.uint32(), `${prefix}.app`, {
                limits: opts.limits?.app
              })

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

  export interface CategoryItemPresentityFieldEvent {
    field: '$.presentity'
    value: Uint8Array<ArrayBuffer>
  }

  export interface CategoryItemSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface CategoryItemIssuedAtFieldEvent {
    field: '$.issuedAt'
    value: bigint
  }

  export interface CategoryItemExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: bigint
  }

  export interface CategoryItemStateAvailabilityFieldEvent {
    field: '$.state.availability'
    value: Availability
  }

  export interface CategoryItemStateSourceFieldEvent {
    field: '$.state.source'
    value: StateSource
  }

  export interface CategoryItemStateIdleSinceFieldEvent {
    field: '$.state.idleSince'
    value: bigint
  }

  export interface CategoryItemStateManualSinceFieldEvent {
    field: '$.state.manualSince'
    value: bigint
  }

  export interface CategoryItemNoteTextFieldEvent {
    field: '$.note.text'
    value: string
  }

  export interface CategoryItemActivityActivityFieldEvent {
    field: '$.activity.activity'
    value: Activity
  }

  export interface CategoryItemActivityTextFieldEvent {
    field: '$.activity.text'
    value: string
  }

  export interface CategoryItemActivityUntilFieldEvent {
    field: '$.activity.until'
    value: bigint
  }

  export interface CategoryItemCardDisplayNameFieldEvent {
    field: '$.card.displayName'
    value: string
  }

  export interface CategoryItemCardTitleFieldEvent {
    field: '$.card.title'
    value: string
  }

  export interface CategoryItemCardOrganizationFieldEvent {
    field: '$.card.organization'
    value: string
  }

  export interface CategoryItemCardEmailFieldEvent {
    field: '$.card.email'
    value: string
  }

  export interface CategoryItemCardPhoneFieldEvent {
    field: '$.card.phone'
    value: string
  }

  export interface CategoryItemCardUrlFieldEvent {
    field: '$.card.url'
    value: string
  }

  export interface CategoryItemCapabilitiesDescriptionFieldEvent {
    field: '$.capabilities.description'
    value: string
  }

  export interface CategoryItemCapabilitiesMobilityFieldEvent {
    field: '$.capabilities.mobility'
    value: Mobility
  }

  export interface CategoryItemCapabilitiesFeaturesFieldEvent {
    field: '$.capabilities.features[]'
    index: number
    value: string
  }

  export interface CategoryItemCalendarFreeBusyFieldEvent {
    field: '$.calendar.freeBusy'
    value: FreeBusy
  }

  export interface CategoryItemCalendarUntilFieldEvent {
    field: '$.calendar.until'
    value: bigint
  }

  export interface CategoryItemCalendarNextFreeFieldEvent {
    field: '$.calendar.nextFree'
    value: bigint
  }

  export interface CategoryItemAppNamespaceFieldEvent {
    field: '$.app.namespace'
    value: string
  }

  export interface CategoryItemAppDataFieldEvent {
    field: '$.app.data'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<CategoryItem>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CategoryItem.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CategoryItem>): CategoryItem {
    return decodeMessage(buf, CategoryItem.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CategoryItem>): Generator<CategoryItemPresentityFieldEvent | CategoryItemSeqFieldEvent | CategoryItemIssuedAtFieldEvent | CategoryItemExpiresAtFieldEvent | CategoryItemStateAvailabilityFieldEvent | CategoryItemStateSourceFieldEvent | CategoryItemStateIdleSinceFieldEvent | CategoryItemStateManualSinceFieldEvent | CategoryItemNoteTextFieldEvent | CategoryItemActivityActivityFieldEvent | CategoryItemActivityTextFieldEvent | CategoryItemActivityUntilFieldEvent | CategoryItemCardDisplayNameFieldEvent | CategoryItemCardTitleFieldEvent | CategoryItemCardOrganizationFieldEvent | CategoryItemCardEmailFieldEvent | CategoryItemCardPhoneFieldEvent | CategoryItemCardUrlFieldEvent | CategoryItemCapabilitiesDescriptionFieldEvent | CategoryItemCapabilitiesMobilityFieldEvent | CategoryItemCapabilitiesFeaturesFieldEvent | CategoryItemCalendarFreeBusyFieldEvent | CategoryItemCalendarUntilFieldEvent | CategoryItemCalendarNextFreeFieldEvent | CategoryItemAppNamespaceFieldEvent | CategoryItemAppDataFieldEvent> {
    return streamMessage(buf, CategoryItem.codec(), opts)
  }
}

export interface CategoryBundle {
  items: Uint8Array<ArrayBuffer>[]
}

export namespace CategoryBundle {
  let _codec: Codec<CategoryBundle>

  export const codec = (): Codec<CategoryBundle> => {
    if (_codec == null) {
      _codec = message<CategoryBundle>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.items != null && obj.items.length > 0) {
          for (const value of obj.items) {
            w.uint32(10)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          items: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.items != null && obj.items.length === opts.limits.items) {
                throw new MaxLengthError('Decode error - repeated field "items" had too many elements')
              }

              obj.items.push(reader.bytes())
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
          items: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.items != null && obj.items === opts.limits.items) {
                throw new MaxLengthError('Streaming decode error - repeated field "items" had too many elements')
              }

              yield {
                field: `${prefix}.items[]`,
                index: obj.items,
                value: reader.bytes()
              }

              obj.items++

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

  export interface CategoryBundleItemsFieldEvent {
    field: '$.items[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<CategoryBundle>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CategoryBundle.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CategoryBundle>): CategoryBundle {
    return decodeMessage(buf, CategoryBundle.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CategoryBundle>): Generator<CategoryBundleItemsFieldEvent> {
    return streamMessage(buf, CategoryBundle.codec(), opts)
  }
}

export interface CategoryQuery {
  category: string
}

export namespace CategoryQuery {
  let _codec: Codec<CategoryQuery>

  export const codec = (): Codec<CategoryQuery> => {
    if (_codec == null) {
      _codec = message<CategoryQuery>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.category != null && obj.category !== '')) {
          w.uint32(10)
          w.string(obj.category)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          category: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.category = reader.string()
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
                field: `${prefix}.category`,
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

  export interface CategoryQueryCategoryFieldEvent {
    field: '$.category'
    value: string
  }

  export function encode (obj: Partial<CategoryQuery>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CategoryQuery.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CategoryQuery>): CategoryQuery {
    return decodeMessage(buf, CategoryQuery.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CategoryQuery>): Generator<CategoryQueryCategoryFieldEvent> {
    return streamMessage(buf, CategoryQuery.codec(), opts)
  }
}

export enum QueryResult {
  RESULT_UNSPECIFIED = 'RESULT_UNSPECIFIED',
  FOUND = 'FOUND',
  NONE = 'NONE'
}

enum __QueryResultValues {
  RESULT_UNSPECIFIED = 0,
  FOUND = 1,
  NONE = 2
}

export namespace QueryResult {
  export const codec = (): Codec<QueryResult> => {
    return enumeration<QueryResult>(__QueryResultValues)
  }
}

export interface CategoryAnswer {
  result: QueryResult
  item: Uint8Array<ArrayBuffer>
}

export namespace CategoryAnswer {
  let _codec: Codec<CategoryAnswer>

  export const codec = (): Codec<CategoryAnswer> => {
    if (_codec == null) {
      _codec = message<CategoryAnswer>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.result != null && __QueryResultValues[obj.result] !== 0) {
          w.uint32(8)
          QueryResult.codec().encode(obj.result, w)
        }

        if ((obj.item != null && obj.item.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.item)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          result: QueryResult.RESULT_UNSPECIFIED,
          item: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.result = QueryResult.codec().decode(reader)
              break
            }
            case 2: {
              obj.item = reader.bytes()
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
                value: QueryResult.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.item`,
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

  export interface CategoryAnswerResultFieldEvent {
    field: '$.result'
    value: QueryResult
  }

  export interface CategoryAnswerItemFieldEvent {
    field: '$.item'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<CategoryAnswer>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CategoryAnswer.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CategoryAnswer>): CategoryAnswer {
    return decodeMessage(buf, CategoryAnswer.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CategoryAnswer>): Generator<CategoryAnswerResultFieldEvent | CategoryAnswerItemFieldEvent> {
    return streamMessage(buf, CategoryAnswer.codec(), opts)
  }
}

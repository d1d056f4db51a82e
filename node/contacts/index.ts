import { ContactsService } from './contacts-service.js'
import type { ContactsServiceComponents, ContactsServiceInit } from './contacts-service.js'

export { ContactsService }
export { BlockList } from '../roster/block-list.js'
export { LocatorDhtRules } from '../locator/locator.js'
export { ContactsStore } from './contacts-store.js'
export type { ContactsServiceComponents, ContactsServiceInit, ContactInfo, Watchers, ContactRequestEvent, ContactAnswerEvent } from './contacts-service.js'
export type { Contact, PendingRequest, HistoryEntry, Visibility } from './contacts-store.js'
export { VISIBILITIES } from './contacts-store.js'

export function contacts (init: ContactsServiceInit = {}): (components: ContactsServiceComponents) => ContactsService {
  return (components) => new ContactsService(components, init)
}

/**
 * The package entry point (`import { ... } from 'presence-mesh'`), and the
 * only module cli/ imports.
 *
 * Two ways in: PresenceNode, the whole node with a home directory, as the CLI
 * runs it; or the libp2p services added to an application's own js-libp2p
 * node. The roster (who is who) is the one service the others depend on;
 * presence also needs a gossipsub service named `pubsub` (createPubsub builds
 * it as presence-mesh does), chat needs presence; presence takes its direct
 * path (presenceNotify) when the node has one.
 */
import './polyfill.js'
// what a client of a running node needs, without the node (node/client.ts)
export * from './client.js'

// the whole node
export { PresenceNode } from './presence-node.js'
export type { PresenceNodeOptions } from './presence-node.js'
export type { PresenceNodeApi, PresenceNodeEvents, ContactInfo, Watchers, DisplayName, ConnectionInfo } from './api.js'
export { REMOTE_API } from './control/methods.js'
export { createPresenceLibp2p } from './libp2p.js'
export type { PresenceLibp2p, PresenceServices } from './libp2p.js'

// the services, for an application's own libp2p node
export { createPubsub } from './pubsub.js'
export { roster } from './roster/index.js'
export type { Roster, RosterInit, Person, RosterChange, RosterChangeEvent, Visibility, VisibilitySetting, ContactContainer, CategoryRule } from './roster/index.js'
export { presence, DEFAULT_PUBLICATION } from './presence/index.js'
export type { PresenceService, PresenceServiceInit, PresenceView, PresenceViewLevel, PresenceEventDetail, FetchResult, Container, OwnCategory, SeenBy, CategoryVisibility, SelfPresence, OwnPresence } from './presence/index.js'
export { presenceQuery } from './presence/query.js'
export type { PresenceQuery, CategoryAnswer } from './presence/query.js'
// optional: presence uses the direct path when a node has it (named `presenceNotify`, before presence)
export { presenceNotify, NOTIFY_PROTOCOL } from './notify/index.js'
export type { PresenceNotify, PresenceNotifyInit, NotifyStats } from './notify/index.js'
export { chat, DELIVERY_STATES, NON_CONTACT_POLICIES } from './chat/index.js'
export type { ChatService, ChatMessage, ChatServiceInit, DeliveryState, NonContactPolicy, SearchOptions } from './chat/index.js'
export { contacts } from './contacts/index.js'
export type { ContactsService, ContactsServiceInit, PendingRequest, HistoryEntry, RequestOutcome } from './contacts/index.js'
export { groups } from './groups/index.js'
export type { GroupsService, GroupsServiceInit, GroupInfo, GroupInvitation, GroupMessage, GroupMemberPresence, GroupChange, GroupChangeEvent, GroupDeliveryState, GroupRole, Standing } from './groups/index.js'
export { devices, DEVICES_PROTOCOL, LINK_PROTOCOL, NotPersonKeyHolderError, UnknownDeviceError, DeviceChangeError, LinkFailedError } from './devices/index.js'
export type { DevicesService, DevicesInit, DeviceInfo, LinkCodeInfo, DevicesEvents } from './devices/index.js'
export type { DevicesOverview } from './api.js'
export { joinDevice } from './join-device.js'
export type { JoinOptions, JoinResult } from './join-device.js'
export { LinkCodeError, looksLikeLinkCode } from '../protocol/link.js'
export { MAX_GROUP_MEMBERS } from '../protocol/group-entry.js'
export { MAX_GROUP_NAME_CHARS } from '../protocol/group-op.js'
export { locator } from './locator/index.js'
export type { Locator } from './locator/index.js'
export type { LocateOptions, LocateResult } from './discovery/index.js'

// the XMPP endpoint (docs/xmpp.md) and PIDF
export { xmppServer, xmppPassword } from './xmpp/index.js'
export type { XmppServer, XmppServerInit, XmppServerComponents, XmppInfo, TlsFiles } from './xmpp/index.js'
export { pidfDocument, presUri, CATEGORY_MAPPERS } from './pidf/index.js'
export type { CategoryMapper, PidfParts } from './pidf/index.js'

// a home directory, its settings and its running node
export { OfflineHome } from './offline-home.js'

// backups: identity and contacts, sealed with a passphrase (docs/backup.md)
export { decryptBackup, encryptBackup, restoreBackup } from './backup/home-backup.js'
export type { BackupContents } from './backup/home-backup.js'
export { BackupError } from './backup/errors.js'
export { MIN_PASSPHRASE_CHARS } from './backup/backup-file.js'

// errors: each has a static name and the fields a message needs
export * from './errors.js'
export { instanceGuard, DuplicateInstanceError, INSTANCE_PROTOCOL } from './instance/index.js'
export type { InstanceGuard, InstanceGuardInit, DuplicateInstance, InstanceStats } from './instance/index.js'
export * from './roster/errors.js'
export * from './contacts/errors.js'
export * from './chat/errors.js'
export * from './groups/errors.js'
export * from './presence/errors.js'
export * from './xmpp/errors.js'
export { PeerNotFoundError } from './discovery/index.js'

// the wire, for those who check or build records themselves
export { presenceTopic } from '../protocol/topics.js'
export { openPresence, sealPresence } from '../protocol/presence-record.js'
export type { Presence, PresenceStatus, PresenceUpdate } from '../protocol/presence-record.js'
export { isCategoryKey, KNOWN_FEATURES } from '../protocol/categories.js'
export type { ActivityCategory, ActivityToken, AppCategory, CalendarCategory, CapabilitiesCategory, CardCategory, Category, CategoryKey, NoteCategory, StateCategory } from '../protocol/categories.js'
export { MAX_GREETING_CHARS } from '../protocol/contact-request.js'

/**
 * The package's light entry: what talks to a running node (its control
 * socket) and reads a home and its settings, with the limits and names a
 * client checks input against, without loading the node itself (libp2p and
 * the services). A one-shot command (`presence-mesh who`, a status bar's
 * `--json` call) loads this, not the whole node: node/index.ts re-exports it.
 */
import './polyfill.js'
export { callNode, NoRunningNodeError } from './control/client.js'
export { identityOf, readRuntime, resolveHome } from './home.js'
export { checkBootstrap, checkMultiaddrs, DEFAULT_LISTEN, DEFAULT_PORT, loadConfig } from './config.js'
export { AWAY_AFTER_MS as DEFAULT_AWAY_AFTER_MS, MAX_AWAY_AFTER_MS } from './presence/constants.js'
export { CONTAINERS } from './presence/containers.js'
export { VISIBILITIES, CONTACT_CONTAINERS } from './roster/constants.js'
export { parseXmppAddress } from './xmpp/address.js'
export { peerLocalpart } from './xmpp/jid.js'
export { DEFAULT_XMPP_DOMAIN, DEFAULT_XMPP_HOST, DEFAULT_XMPP_PORT, OWNER_USERNAME } from './xmpp/constants.js'
export { isPresenceStatus, STATUSES } from '../protocol/presence-record.js'
export { ACTIVITIES, BUILTIN_CATEGORIES, FREE_BUSY, MOBILITIES } from '../protocol/categories.js'
export { MAX_ACTIVITY_CHARS, MAX_CHAT_BODY_BYTES, MAX_NOTE_CHARS, MAX_PRESENCE_TTL_MS, MIN_PRESENCE_TTL_MS } from '../protocol/limits.js'
export { MAX_GROUP_TEXT_BYTES } from '../protocol/group-entry.js'
export { looksLikeContactCode } from '../protocol/contact-code.js'

/** Defaults and limits of the XMPP endpoint (docs/xmpp.md explains each). */

export const DEFAULT_XMPP_HOST = '127.0.0.1'
export const DEFAULT_XMPP_PORT = 5222
/** The JID domain: `me@localhost` reaches 127.0.0.1 without DNS records or client settings. */
export const DEFAULT_XMPP_DOMAIN = 'localhost'
/** The owner's account name (the localpart of the owner's JID). */
export const OWNER_USERNAME = 'me'

/** Files in the node's home. */
export const PASSWORD_FILE = 'xmpp-password'
export const TLS_DIR = 'xmpp-tls'
export const CERT_FILE = 'cert.pem'
export const KEY_FILE = 'key.pem'
/** What the endpoint remembers between runs (which offline messages a client acknowledged). */
export const STATE_FILE = 'xmpp-state.json'
/** What the owner's clients keep on their server (XEP-0049 private storage: bookmarks, notes, settings). */
export const PRIVATE_FILE = 'xmpp-private.json'
/** The names of the rooms clients made by joining them (each a group of the mesh). */
export const ROOMS_FILE = 'xmpp-rooms.json'
/** Elements private storage holds (one per namespace and name); the bytes (as serialized) and the elements nested in each. */
export const MAX_PRIVATE_ELEMENTS = 32
export const MAX_PRIVATE_BYTES = 64 * 1024
export const MAX_PRIVATE_NODES = 2_000
/** A generated certificate is valid this long and renewed when less than RENEW_BEFORE_MS remains. */
export const CERT_VALIDITY_MS = 5 * 365 * 24 * 3600_000
export const CERT_RENEW_BEFORE_MS = 30 * 24 * 3600_000

/** Bytes of one stanza (or of anything sent between two stanzas) before the stream is closed. */
export const MAX_STANZA_BYTES = 256 * 1024
/** The same before authentication: nothing a client sends then needs more. */
export const MAX_PREAUTH_STANZA_BYTES = 10 * 1024
/** Element nesting inside one stanza. */
export const MAX_DEPTH = 32
/** Input is fed to the parser in slices of this size, so a stanza overshoots its limit by at most one slice. */
export const PARSE_SLICE_CHARS = 4096

/** Connections at once, and of them not yet authenticated. */
export const MAX_CONNECTIONS = 16
export const MAX_UNAUTHENTICATED = 4
/** From TCP connect to a bound resource; slower clients are closed (slowloris). */
export const NEGOTIATION_TIMEOUT_MS = 30_000
/** An authenticated stream silent this long is closed (clients ping or send whitespace well before). */
export const IDLE_TIMEOUT_MS = 10 * 60_000
/** Output a client leaves unread before it is closed. */
export const MAX_WRITE_BUFFER_BYTES = 1024 * 1024
/** Failed authentications on one connection before it is closed. */
export const MAX_AUTH_FAILURES = 3
/** A failed authentication is answered after this long (slows guessing). */
export const AUTH_FAILURE_DELAY_MS = 250
/** How long stop() waits for clients to read the closing </stream:stream>. */
export const CLOSE_GRACE_MS = 1_000

/** PBKDF2 iterations of the SCRAM-SHA-1 salted password (RFC 5802 suggests at least 4096). */
export const SCRAM_ITERATIONS = 4096
/** Characters of a generated password (base64url, 6 bits each: 144 bits). */
export const PASSWORD_CHARS = 24

/** Offline messages looked at per contact when a client comes online. */
export const OFFLINE_BACKLOG = 200
/** Outgoing messages whose receipts the endpoint keeps waiting for (oldest forgotten first). */
export const MAX_TRACKED_OUTGOING = 2_000
/** While a client says it is composing, the contact is told again this often... */
export const TYPING_REFRESH_MS = 3_000
/** ...for at most this long without a new chat state. */
export const TYPING_REFRESH_MAX_MS = 120_000

/** XEP-0115 node of the capabilities the endpoint advertises for contacts. */
export const CAPS_NODE = 'urn:x-presence-mesh:xmpp'
/** A message from the mesh older than this when it arrived carries its original time (XEP-0203). */
export const LATE_DELIVERY_MS = 60_000

/**
 * What the XMPP endpoint refuses, as typed errors: a static name to match on
 * and the fields a sentence needs. Wording for people lives in cli/errors.ts.
 */
import { MAX_PRIVATE_BYTES, MAX_PRIVATE_ELEMENTS, MAX_PRIVATE_NODES } from './constants.js'

/** `--xmpp` got something that is not host:port. */
export class InvalidXmppAddressError extends Error {
  static override name = 'InvalidXmppAddressError'
  constructor (readonly input: string, readonly reason: string) {
    super(`not an XMPP listen address (host:port): ${input}: ${reason}`)
    this.name = 'InvalidXmppAddressError'
  }
}

/** The listener could not open (the port is taken, say). */
export class XmppListenError extends Error {
  static override name = 'XmppListenError'
  constructor (readonly address: string, readonly code: string) {
    super(`cannot listen for XMPP clients on ${address}: ${code}`)
    this.name = 'XmppListenError'
  }
}

/** The password file cannot be used as it is. */
export class XmppPasswordError extends Error {
  static override name = 'XmppPasswordError'
  constructor (readonly file: string, readonly problem: 'unreadable' | 'exposed' | 'empty', readonly detail: string) {
    super(`XMPP password file ${file} is ${problem}: ${detail}`)
    this.name = 'XmppPasswordError'
  }
}

/** The TLS certificate or key (configured or kept in the home) cannot be used. */
export class XmppTlsError extends Error {
  static override name = 'XmppTlsError'
  constructor (readonly file: string, readonly problem: string) {
    super(`XMPP TLS: ${file}: ${problem}`)
    this.name = 'XmppTlsError'
  }
}

/** A client stored an element in private storage (XEP-0049) past its size limits. */
export class PrivateElementTooLargeError extends Error {
  static override name = 'PrivateElementTooLargeError'
  constructor (readonly bytes: number, readonly nodes: number) {
    super(`an element of private storage takes at most ${MAX_PRIVATE_BYTES} bytes and ${MAX_PRIVATE_NODES} elements, not ${bytes} bytes and ${nodes} elements`)
    this.name = 'PrivateElementTooLargeError'
  }
}

/** A client stored a new kind of element in private storage when it holds its limit already. */
export class PrivateStorageFullError extends Error {
  static override name = 'PrivateStorageFullError'
  constructor () {
    super(`private storage holds ${MAX_PRIVATE_ELEMENTS} elements already: overwrite one of them instead`)
    this.name = 'PrivateStorageFullError'
  }
}

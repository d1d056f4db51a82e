/**
 * The server side of SASL SCRAM-SHA-1 (RFC 5802) and PLAIN (RFC 4616) for
 * one account. Message parsing and the proof check only: the primitives
 * (PBKDF2, HMAC, SHA-1, constant-time comparison) are node:crypto's.
 * Channel binding is not offered (no -PLUS mechanism), so a client that
 * asks for it is refused.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { SCRAM_ITERATIONS } from './constants.js'

const pbkdf2Async = promisify(pbkdf2)

/** RFC 6120 §6.5 failure conditions this server uses. */
export type SaslFailure = 'not-authorized' | 'malformed-request' | 'invalid-authzid' | 'encryption-required' | 'invalid-mechanism' | 'aborted' | 'temporary-auth-failure'

export type SaslStep =
  | { kind: 'challenge', data: Buffer }
  | { kind: 'success', data?: Buffer }
  | { kind: 'failure', condition: SaslFailure, text?: string }

export interface SaslMechanism {
  readonly name: string
  /** The client's next message (the initial response first); resolves with what to answer. */
  step: (input: Buffer) => Promise<SaslStep>
}

/** The account: its name (compared case-insensitively, as JID localparts are) and how to read its password now. */
export interface SaslAccount {
  username: string
  /** The bare JID an authzid may name. */
  jid: string
  password: () => Promise<string>
}

export const MECHANISMS = ['SCRAM-SHA-1', 'PLAIN'] as const
export type MechanismName = typeof MECHANISMS[number]

const sha1 = (data: Buffer): Buffer => createHash('sha1').update(data).digest()
const hmac = (key: Buffer, data: string | Buffer): Buffer => createHmac('sha1', key).update(data).digest()

/** Equal strings, in time that does not depend on where they differ. */
function sameText (a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

const failure = (condition: SaslFailure, text?: string): SaslStep => ({ kind: 'failure', condition, text })

/** A SCRAM saslname (RFC 5802 §5.1): "=2C" is ",", "=3D" is "=", any other "=" is malformed. */
function decodeSaslName (s: string): string | undefined {
  if (/=(?!2C|3D)/.test(s)) return undefined
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=')
}

/** SCRAM attributes "k=v,k=v": undefined when malformed. */
function parseAttributes (s: string): Array<[string, string]> | undefined {
  const out: Array<[string, string]> = []
  for (const part of s.split(',')) {
    const m = /^([a-zA-Z])=(.*)$/s.exec(part)
    if (m == null) return undefined
    out.push([m[1], m[2]])
  }
  return out
}

/** The keys a SCRAM server keeps for a password and salt. */
export interface ScramKeys {
  salt: Buffer
  iterations: number
  storedKey: Buffer
  serverKey: Buffer
}

export async function scramKeys (password: string, salt: Buffer, iterations = SCRAM_ITERATIONS): Promise<ScramKeys> {
  // RFC 5802 asks for SASLprep; the generated passwords are ASCII, where it changes nothing
  const salted = await pbkdf2Async(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, 20, 'sha1')
  return { salt, iterations, storedKey: sha1(hmac(salted, 'Client Key')), serverKey: hmac(salted, 'Server Key') }
}

/**
 * The keys for the current password, derived once per password (PBKDF2
 * costs milliseconds; a client logging in again should not pay it twice).
 */
export class ScramKeyCache {
  private last?: { password: string, keys: Promise<ScramKeys> }

  async keysFor (password: string): Promise<ScramKeys> {
    if (this.last == null || !sameText(this.last.password, password)) {
      this.last = { password, keys: scramKeys(password, randomBytes(16)) }
    }
    return await this.last.keys
  }
}

export interface ScramOptions {
  /** The server's part of the nonce (default: 18 random bytes, base64). */
  serverNonce?: () => string
}

export function scramSha1 (account: SaslAccount, cache: ScramKeyCache, options: ScramOptions = {}): SaslMechanism {
  let stage: 'first' | 'final' | 'done' = 'first'
  let gs2Header = ''
  let clientFirstBare = ''
  let serverFirst = ''
  let nonce = ''
  let userOk = false
  let keys: ScramKeys | undefined

  const first = async (msg: string): Promise<SaslStep> => {
    // gs2-header: cbind flag, authzid, then client-first-message-bare
    const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(msg)
    if (m == null) return failure('malformed-request', 'not a SCRAM client-first message')
    if (m[1].startsWith('p=')) return failure('not-authorized', 'channel binding is not offered')
    if (m[2] != null) {
      const authzid = decodeSaslName(m[2].slice(2))
      if (authzid == null || authzid.toLowerCase() !== account.jid.toLowerCase()) return failure('invalid-authzid')
    }
    gs2Header = `${m[1]},${m[2] ?? ''},`
    clientFirstBare = m[3]
    const attrs = parseAttributes(clientFirstBare)
    if (attrs == null || attrs.length < 2 || attrs[0][0] !== 'n' || attrs[1][0] !== 'r') {
      return failure('malformed-request', 'client-first message must start with n= and r=')
    }
    if (attrs.some(([k]) => k === 'm')) return failure('malformed-request', 'unsupported mandatory extension')
    const username = decodeSaslName(attrs[0][1])
    const clientNonce = attrs[1][1]
    if (username == null || clientNonce === '' || !/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce)) {
      return failure('malformed-request', 'bad username or nonce')
    }
    // a wrong username fails only at the proof, like a wrong password
    userOk = sameText(username.toLowerCase(), account.username.toLowerCase())
    keys = await cache.keysFor(await account.password())
    nonce = clientNonce + (options.serverNonce?.() ?? randomBytes(18).toString('base64'))
    serverFirst = `r=${nonce},s=${keys.salt.toString('base64')},i=${keys.iterations}`
    stage = 'final'
    return { kind: 'challenge', data: Buffer.from(serverFirst) }
  }

  const final = async (msg: string): Promise<SaslStep> => {
    const attrs = parseAttributes(msg)
    if (attrs == null || attrs.length < 3 || attrs[0][0] !== 'c' || attrs[1][0] !== 'r' || attrs[attrs.length - 1][0] !== 'p') {
      return failure('malformed-request', 'not a SCRAM client-final message')
    }
    if (attrs[0][1] !== Buffer.from(gs2Header).toString('base64')) return failure('not-authorized', 'channel binding data differs')
    if (attrs[1][1] !== nonce) return failure('not-authorized', 'nonce differs')
    const proof = Buffer.from(attrs[attrs.length - 1][1], 'base64')
    if (keys == null || proof.length !== 20) return failure('not-authorized')
    const withoutProof = msg.slice(0, msg.lastIndexOf(',p='))
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`
    const clientSignature = hmac(keys.storedKey, authMessage)
    const clientKey = Buffer.alloc(20)
    for (let i = 0; i < 20; i++) clientKey[i] = proof[i] ^ clientSignature[i]
    const proofOk = timingSafeEqual(sha1(clientKey), keys.storedKey)
    if (!proofOk || !userOk) return failure('not-authorized')
    return { kind: 'success', data: Buffer.from(`v=${hmac(keys.serverKey, authMessage).toString('base64')}`) }
  }

  return {
    name: 'SCRAM-SHA-1',
    step: async (input) => {
      const msg = input.toString('utf8')
      if (stage === 'first') return await first(msg)
      if (stage === 'final') {
        stage = 'done'
        return await final(msg)
      }
      return failure('malformed-request', 'the exchange is over')
    }
  }
}

export function plain (account: SaslAccount): SaslMechanism {
  return {
    name: 'PLAIN',
    step: async (input) => {
      const parts = input.toString('utf8').split('\0')
      if (parts.length !== 3) return failure('malformed-request', 'PLAIN needs authzid, authcid and password')
      const [authzid, authcid, password] = parts
      if (authzid !== '' && authzid.toLowerCase() !== account.jid.toLowerCase()) return failure('invalid-authzid')
      const userOk = sameText(authcid.toLowerCase(), account.username.toLowerCase())
      const passwordOk = sameText(password, await account.password())
      return userOk && passwordOk ? { kind: 'success' } : failure('not-authorized')
    }
  }
}

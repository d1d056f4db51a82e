/**
 * The encrypted backup file (docs/backup.md): a passphrase-derived key
 * (scrypt, RFC 7914) seals the backup's JSON with XChaCha20-Poly1305. The
 * cipher from @noble, scrypt Node's own (OpenSSL's): about half the CPU of
 * @noble's, and on libuv's thread pool, so the event loop stays free while
 * it runs. Nothing here is home-made cryptography, only the layout.
 *
 *   offset  size  field
 *        0     8  magic, ASCII "PMBACKUP"
 *        8     1  format version (1)
 *        9     1  KDF (1 = scrypt)
 *       10     1  log2 of scrypt's N (17)
 *       11     1  scrypt r (8)
 *       12     1  scrypt p (1)
 *       13    16  salt (random)
 *       29    24  nonce (random)
 *       53     …  XChaCha20-Poly1305(key, nonce, aad = bytes 0..52, UTF-8 JSON), tag last
 *
 *   key = scrypt(UTF-8(NFKC(passphrase)), salt, N, r, p, 32 bytes)
 */
import { scrypt } from 'node:crypto'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { BackupError } from './errors.js'

export const BACKUP_MAGIC = new TextEncoder().encode('PMBACKUP')
export const BACKUP_FILE_VERSION = 1
export const KDF_SCRYPT = 1
/** scrypt N = 2^17, r = 8, p = 1: 128 MiB and about half a second (OWASP's recommendation). */
export const SCRYPT_LOG2_N = 17
export const SCRYPT_R = 8
export const SCRYPT_P = 1
const SALT_BYTES = 16
const NONCE_BYTES = 24
const HEADER_BYTES = BACKUP_MAGIC.length + 5 + SALT_BYTES + NONCE_BYTES
/** Cost a file may ask for: room to grow, not enough to exhaust memory (scrypt needs 128·N·r bytes). */
const MAX_KDF_MEMORY = 2 ** 28
const MAX_P = 4
export const MIN_PASSPHRASE_CHARS = 8
/** A backup holds a key and a roster; anything this large is not one. */
export const MAX_BACKUP_BYTES = 8 * 1024 * 1024

async function deriveKey (passphrase: string, salt: Uint8Array, log2N: number, r: number, p: number): Promise<Uint8Array> {
  const key = await new Promise<Buffer>((resolve, reject) => {
    scrypt(Buffer.from(passphrase.normalize('NFKC'), 'utf8'), salt, 32, { N: 2 ** log2N, r, p, maxmem: MAX_KDF_MEMORY + 2 ** 20 }, (err, derived) => { err != null ? reject(err) : resolve(derived) })
  })
  return new Uint8Array(key.buffer, key.byteOffset, key.byteLength)
}

/**
 * Encrypts `plaintext` under `passphrase` into a backup file's bytes. The
 * cost is scrypt's documented one; `log2N` lowers it only for tests.
 */
export async function sealBackupFile (plaintext: Uint8Array, passphrase: string, { log2N = SCRYPT_LOG2_N }: { log2N?: number } = {}): Promise<Uint8Array> {
  if ([...passphrase].length < MIN_PASSPHRASE_CHARS) throw new BackupError('weak-passphrase', `a passphrase needs at least ${MIN_PASSPHRASE_CHARS} characters`)
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES))
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES))
  const header = new Uint8Array(HEADER_BYTES)
  header.set(BACKUP_MAGIC, 0)
  header.set([BACKUP_FILE_VERSION, KDF_SCRYPT, log2N, SCRYPT_R, SCRYPT_P], BACKUP_MAGIC.length)
  header.set(salt, BACKUP_MAGIC.length + 5)
  header.set(nonce, BACKUP_MAGIC.length + 5 + SALT_BYTES)
  const key = await deriveKey(passphrase, salt, log2N, SCRYPT_R, SCRYPT_P)
  const sealed = xchacha20poly1305(key, nonce, header).encrypt(plaintext)
  const out = new Uint8Array(HEADER_BYTES + sealed.length)
  out.set(header, 0)
  out.set(sealed, HEADER_BYTES)
  return out
}

/** Decrypts a backup file; a wrong passphrase and a damaged file are the same error (the tag cannot tell them apart). */
export async function openBackupFile (file: Uint8Array, passphrase: string): Promise<Uint8Array> {
  if (file.length < HEADER_BYTES + 16 || !uint8ArrayEquals(file.subarray(0, BACKUP_MAGIC.length), BACKUP_MAGIC)) {
    throw new BackupError('not-a-backup', 'not a presence-mesh backup file')
  }
  if (file.length > MAX_BACKUP_BYTES) throw new BackupError('not-a-backup', 'too large for a presence-mesh backup file')
  const [version, kdf, log2N, r, p] = file.subarray(BACKUP_MAGIC.length, BACKUP_MAGIC.length + 5)
  if (version !== BACKUP_FILE_VERSION || kdf !== KDF_SCRYPT) throw new BackupError('unsupported-version', `backup format ${version} (KDF ${kdf}) is not one this version reads`)
  if (log2N < 10 || r < 1 || p < 1 || p > MAX_P || 128 * 2 ** log2N * r > MAX_KDF_MEMORY) throw new BackupError('not-a-backup', 'backup file asks for unreasonable key derivation costs')
  const header = file.subarray(0, HEADER_BYTES)
  const salt = header.subarray(BACKUP_MAGIC.length + 5, BACKUP_MAGIC.length + 5 + SALT_BYTES)
  const nonce = header.subarray(BACKUP_MAGIC.length + 5 + SALT_BYTES)
  const key = await deriveKey(passphrase, salt, log2N, r, p)
  try {
    return xchacha20poly1305(key, nonce, header).decrypt(file.subarray(HEADER_BYTES))
  } catch {
    throw new BackupError('wrong-passphrase', 'wrong passphrase, or the file is damaged')
  }
}

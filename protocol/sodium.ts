/**
 * libsodium (sodium-native), loaded once, at the first use, where its
 * prebuilt addon loads. It does not everywhere: sodium-native 5.1's linux
 * builds (x64, arm64) need glibc >= 2.33, and it ships none for musl, 32-bit
 * ARM or win32-ia32 and builds nothing at install (docs/operations.md).
 * There protocol/ed25519-fast.ts and protocol/xchacha.ts run on node:crypto
 * and @noble/ciphers instead: the same bytes and the same accept sets,
 * slower. Loading is synchronous (require, not import) so that callers stay
 * synchronous, and the failure is kept, not thrown, so that the node can
 * say which one it runs. Pure: no I/O beyond loading the module.
 */
import { createRequire } from 'node:module'

export type Sodium = typeof import('sodium-native')

/** Which implementations this process runs, and why not libsodium when it does not. */
export interface CryptoBackend {
  /** What the log says: libsodium, or the fallback's libraries. */
  name: typeof LIBSODIUM | typeof FALLBACK
  /** The loaded addon; undefined where it did not load. */
  sodium?: Sodium
  /** Why it did not load (the loader's error, e.g. "Cannot find addon '.'"). */
  loadError?: Error
}

export const LIBSODIUM = 'libsodium'
export const FALLBACK = 'node:crypto and @noble/ciphers'

/** Loads sodium-native or throws: the loader the process uses; tests pass their own to chooseCryptoBackend. */
export type SodiumLoader = () => Sodium

const requireSodium: SodiumLoader = () => createRequire(import.meta.url)('sodium-native') as Sodium

/** libsodium when the loader gives it, else the fallback with the loader's error. Never throws. */
export function chooseCryptoBackend (load: SodiumLoader): CryptoBackend {
  try {
    return { name: LIBSODIUM, sodium: load() }
  } catch (err: any) {
    return { name: FALLBACK, loadError: err instanceof Error ? err : new Error(String(err)) }
  }
}

let chosen: CryptoBackend | undefined

/** This process's backend: chosen at the first call (sodium-native loaded then, or found missing), the same ever after. */
export function cryptoBackend (): CryptoBackend {
  return (chosen ??= chooseCryptoBackend(requireSodium))
}

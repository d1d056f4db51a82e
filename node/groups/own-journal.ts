/**
 * This node's own text entries, appended to a file in its home before they
 * are published (docs/protocol.md §12.7). A published position must never be
 * reused, or members would see a fork; the store's commit of the entry waits
 * its turn on the datastore's queue and the thread pool, while one write() of
 * a few hundred bytes returns at once and survives the process as well as an
 * unsynced store commit does. So a text is published once its entry is here,
 * and at start any entry here that the store lacks is stored. The store stays
 * the record: the file is emptied once it holds 64 KiB and no commit of its
 * entries is pending, and kept whole once one of them failed.
 */
import fs from 'node:fs'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'

/** Each record: u32 big-endian length of the rest, the 16-byte group id, the entry envelope. */
const LENGTH_BYTES = 4
const GROUP_BYTES = 16
/** Emptied once nothing is pending and it holds this much (not after every commit: one truncate per few hundred texts). */
const EMPTY_AT_BYTES = 64 * 1024

export interface JournalRecord {
  /** Hex of the group id. */
  group: string
  bytes: Uint8Array
}

export class OwnEntryJournal {
  private pending = 0
  private failed = false
  private closed = false

  private constructor (private readonly fd: number, private size: number) {}

  /** Opens (or creates) the journal; returns it with the records it holds, in the order written (a torn last record is dropped: it was never published). */
  static async open (path: string): Promise<{ journal: OwnEntryJournal, records: JournalRecord[] }> {
    const data = await fs.promises.readFile(path).catch((err) => { if (err.code === 'ENOENT') return Buffer.alloc(0); throw err })
    const records: JournalRecord[] = []
    let at = 0
    while (at + LENGTH_BYTES <= data.length) {
      const len = data.readUInt32BE(at)
      if (len <= GROUP_BYTES || at + LENGTH_BYTES + len > data.length) break
      const body = data.subarray(at + LENGTH_BYTES, at + LENGTH_BYTES + len)
      records.push({ group: uint8ArrayToString(body.subarray(0, GROUP_BYTES), 'base16'), bytes: Uint8Array.from(body.subarray(GROUP_BYTES)) })
      at += LENGTH_BYTES + len
    }
    const fd = fs.openSync(path, 'a')
    // what follows a torn record would be misread after the next append
    if (at < data.length) fs.ftruncateSync(fd, at)
    return { journal: new OwnEntryJournal(fd, at), records }
  }

  /** Appends entries of one group; once it returns they outlive the process. A commit of them is now pending. */
  append (groupId: Uint8Array, entries: Uint8Array[]): void {
    // a closed descriptor's number may already belong to another file
    if (this.closed) throw new Error('the group journal is closed')
    const size = entries.reduce((n, e) => n + LENGTH_BYTES + GROUP_BYTES + e.byteLength, 0)
    const buf = Buffer.allocUnsafe(size)
    let at = 0
    for (const e of entries) {
      at = buf.writeUInt32BE(GROUP_BYTES + e.byteLength, at)
      buf.set(groupId, at)
      buf.set(e, at + GROUP_BYTES)
      at += GROUP_BYTES + e.byteLength
    }
    try {
      for (let written = 0; written < size;) written += fs.writeSync(this.fd, buf, written, size - written)
    } catch (err) {
      // no torn record before the next one: the next start would stop reading there
      try { fs.ftruncateSync(this.fd, this.size) } catch {}
      throw err
    }
    this.size += size
    this.pending++
  }

  /** A pending commit ended: stored, or failed (then the file is kept until the next start stores what it holds). */
  settled (stored: boolean): void {
    if (this.closed) return
    this.pending--
    if (!stored) this.failed = true
    if (this.pending === 0 && !this.failed && this.size >= EMPTY_AT_BYTES) this.empty()
  }

  /** Empties the file: everything it held is stored. */
  empty (): void {
    if (this.closed) return
    fs.ftruncateSync(this.fd, 0)
    this.size = 0
    this.failed = false
  }

  /** Closes the file; a commit that ends later leaves it as it is (the next start sees what it holds). */
  close (): void {
    if (this.closed) return
    this.closed = true
    fs.closeSync(this.fd)
  }
}

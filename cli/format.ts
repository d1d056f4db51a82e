/**
 * How the CLI shows things to a person. Pure string building; everything a
 * peer supplied goes through safe() here, and nowhere is text printed that
 * did not come through this module or safe().
 *
 * One short peer-id form (`…` and the last 8 characters, which is also
 * what a person can type), one time format (HH:MM, with the date when not
 * today).
 */
import stringWidth from 'string-width'
import { safe } from './safe-text.js'
import { painter } from './style.js'
import type { Paint, Style } from './style.js'
import type { ChatMessage, PresenceView } from '../node/index.js'

const plain = painter(false)

const STATUS_STYLE: Record<PresenceView['status'], Style> = {
  online: 'green', away: 'yellow', busy: 'magenta', dnd: 'red', offline: 'grey'
}

/** How many characters of a peer id the short form keeps (the end: every Ed25519 id starts alike). */
export const SHORT_ID_CHARS = 8

/** The one short form of a peer id: `…` and its last 8 characters. */
export function shortId (peerId: string): string {
  return `…${peerId.slice(-SHORT_ID_CHARS)}`
}

const two = (n: number): string => String(n).padStart(2, '0')

/** The one time format: `14:05` today, `2025-03-01 14:05` on any other day (local time). */
export function stamp (t: number, now: number = Date.now()): string {
  const d = new Date(t)
  const today = new Date(now)
  const time = `${two(d.getHours())}:${two(d.getMinutes())}`
  const sameDay = d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() && d.getDate() === today.getDate()
  return sameDay ? time : `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${time}`
}

/** `[14:05]`, dimmed. */
export function at (t: number, paint: Paint = plain, now: number = Date.now()): string {
  return paint('dim', `[${stamp(t, now)}]`)
}

/** A duration for people: `45 s`, `10 min`, `2 h`. */
export function duration (ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`
  if (ms < 3600_000) return `${Math.round(ms / 60_000)} min`
  return `${+(ms / 3600_000).toFixed(1)} h`
}

/** A presence in words; `lastSeen` absent is "never seen" for someone else's (pass `own` for this node's own: it has no last seen). */
export function describe (v: Pick<PresenceView, 'status' | 'note' | 'activity' | 'lastSeen'>, now: number = Date.now(), paint: Paint = plain, own = false): string {
  const parts: string[] = [paint(STATUS_STYLE[v.status], v.status)]
  if (v.activity != null && v.activity !== '') parts.push(`(${safe(v.activity)})`)
  if (v.note != null && v.note !== '') parts.push(`— ${safe(v.note)}`)
  if (v.status === 'offline' && !own) parts.push(v.lastSeen != null ? `(last seen ${stamp(v.lastSeen, now)})` : '(never seen)')
  return parts.join(' ')
}

/**
 * One line for a change in a watched presentity's presence: coming online and
 * going offline read as events, anything else as the new state.
 */
export function presenceLine (v: PresenceView, name: string, before: PresenceView['status'] | undefined, now: number = Date.now(), paint: Paint = plain): string {
  const who = paint('bold', name)
  if (v.status === 'offline') return `${at(now, paint, now)} ${who} ${paint('grey', 'went offline')}`
  if (before == null || before === 'offline') return `${at(now, paint, now)} ${who} ${paint('green', 'came online')}: ${describe(v, now, paint)}`
  return `${at(now, paint, now)} ${who} is ${describe(v, now, paint)}`
}

const STATE_MARK: Record<ChatMessage['state'], string> = { queued: '…', sent: '✓', delivered: '✓✓', read: '✓✓ read' }

/** Incoming messages that arrived this much later than they were written say when they arrived. */
const LATE_MS = 5 * 60_000

/**
 * When a message was written, the same on both sides: the sender's clock
 * (an incoming one never later than it arrived).
 */
export function writtenAt (m: ChatMessage): number {
  return m.direction === 'in' && m.receivedAt != null ? Math.min(m.sentAt, m.receivedAt) : m.sentAt
}

/** One chat line: incoming `[14:05] bob: text`, outgoing `[14:05] → bob: text ✓✓` (`fromDevice`: written on another device of yours, named). */
export function messageLine (m: ChatMessage, who: string, paint: Paint = plain, now: number = Date.now(), fromDevice?: string): string {
  const written = writtenAt(m)
  if (m.direction === 'in') {
    const late = m.receivedAt != null && m.receivedAt - written > LATE_MS ? ' ' + paint('dim', `(arrived ${stamp(m.receivedAt, now)})`) : ''
    return `${at(written, paint, now)} ${paint('bold', who)}: ${safe(m.text)}${late}`
  }
  const mark = fromDevice == null ? STATE_MARK[m.state] : `from your ${safe(fromDevice)}`
  return `${at(written, paint, now)} → ${paint('bold', who)}: ${safe(m.text)} ${paint('dim', mark)}`
}

/** A delivery-state change of an outgoing message, shown briefly. */
export function stateLine (m: { text: string, state?: string }, who: string, paint: Paint = plain, now: number = Date.now()): string {
  const chars = [...m.text]
  const text = chars.length > 30 ? `${chars.slice(0, 29).join('')}…` : m.text
  return paint('dim', `[${stamp(now, now)}] → ${who}: "${safe(text)}" ${m.state}`)
}

/** Columns padded by the cells a terminal shows: colour codes take none, wide (CJK) characters and emoji two. */
export function pad (text: string, width: number): string {
  const shown = stringWidth(text)
  return shown >= width ? text : text + ' '.repeat(width - shown)
}

/** Numbers for people: 100,000. */
export function count (n: number): string {
  return n.toLocaleString('en-US')
}

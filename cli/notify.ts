/**
 * Notifications for what arrives while the user looks elsewhere: the
 * terminal bell, and a desktop notification where `notify-send` exists.
 * Per person they follow the roster's mute; the session can turn them off.
 * The text shown is made safe for the terminal and for notification markup.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { safe, safeMarkup } from './safe-text.js'

const BELL = '\u0007'
/** A desktop notification shows at most this much of a message. */
const MAX_BODY_CHARS = 200

/** The notify-send executable on PATH, if there is one. */
export function findNotifySend (env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue
    const file = path.join(dir, 'notify-send')
    try {
      fs.accessSync(file, fs.constants.X_OK)
      return file
    } catch {}
  }
  return undefined
}

export class Notifier {
  private enabled: boolean
  constructor (
    private readonly bell: (s: string) => void,
    private readonly notifySend: string | undefined,
    enabled = true
  ) {
    this.enabled = enabled
  }

  get on (): boolean { return this.enabled }
  set on (value: boolean) { this.enabled = value }

  /** Rings and, where it can, shows `title: body` on the desktop. */
  notify (title: string, body: string): void {
    if (!this.enabled) return
    this.bell(BELL)
    if (this.notifySend == null) return
    const chars = [...body]
    const text = chars.length > MAX_BODY_CHARS ? `${chars.slice(0, MAX_BODY_CHARS - 1).join('')}…` : body
    // arguments, never a shell; `--` so a name starting with - is no option
    const child = spawn(this.notifySend, ['--app-name=presence-mesh', '--', safe(title), safeMarkup(text)], { stdio: 'ignore', detached: true })
    child.on('error', () => {})
    child.unref()
  }
}

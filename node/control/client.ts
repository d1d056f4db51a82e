/** The client side of the control socket (see server.ts). */
import fs from 'node:fs/promises'
import net from 'node:net'
import { ControlError, NoRunningNodeError, remoteError } from '../errors.js'
import { toJson } from '../util/json.js'
import { CONTROL_TIMEOUT_MS, controlSocketPath } from './server.js'

export { NoRunningNodeError }

/**
 * Sends one request to the node running on `home`. Refuses a socket that is
 * not a socket or that another user owns: whoever owns it would see what we send.
 */
export async function callNode<T = unknown> (home: string, method: string, ...params: unknown[]): Promise<T> {
  const file = controlSocketPath(home)
  let stat
  try {
    stat = await fs.lstat(file)
  } catch {
    throw new NoRunningNodeError(home)
  }
  const uid = process.getuid?.()
  if (!stat.isSocket()) throw new ControlError('not-a-socket', `${file} is not a socket: refusing to use it`)
  if (uid != null && stat.uid !== uid) {
    throw new ControlError('foreign-owner', `control socket ${file} belongs to uid ${stat.uid}, not to you (uid ${uid}): refusing to use it`)
  }
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = net.createConnection(file)
    let data = ''
    socket.setTimeout(CONTROL_TIMEOUT_MS, () => { socket.destroy(new ControlError('timeout', 'the node did not answer in time')) })
    socket.on('connect', () => { socket.write(toJson({ method, params }) + '\n') })
    socket.on('data', (d: Buffer) => { data += d.toString('utf8') })
    socket.on('end', () => { resolve(data) })
    socket.on('error', (err: any) => {
      reject(err.code === 'ECONNREFUSED' || err.code === 'ENOENT'
        ? new NoRunningNodeError(home)
        : err)
    })
  })
  let parsed: { result?: T, error?: Record<string, unknown> }
  try {
    parsed = JSON.parse(reply)
  } catch {
    throw new ControlError('unreadable-answer', 'the node sent an unreadable answer')
  }
  // the node's own error, by name and fields (a PeerUnreachableError stays one)
  if (parsed.error != null) throw remoteError(typeof parsed.error === 'object' ? parsed.error : { message: String(parsed.error) })
  return parsed.result as T
}

/**
 * The node API as the CLI's commands use it: the same methods whether the
 * node runs in this process (the prompt) or in another one (a subcommand,
 * through the control socket). Every call is awaited, so a method may
 * answer at once or later.
 */
import { callNode } from '../node/client.js'
import type { PresenceNodeApi, REMOTE_API } from '../node/index.js'

type Callable<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Awaited<R> | Promise<Awaited<R>> : never }

export type Api = Callable<Pick<PresenceNodeApi, typeof REMOTE_API[number]>>

/** The node running on `home`, through its control socket (results are JSON: bigints arrive as strings). */
export function remoteNode (home: string): Api {
  return new Proxy({}, {
    get: (_target, name) => typeof name !== 'string'
      ? undefined
      : async (...args: unknown[]) => await callNode(home, 'call', name, ...args)
  }) as Api
}

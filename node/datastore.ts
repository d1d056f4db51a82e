import path from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { AlreadyRunningError } from './errors.js'
import { DATASTORE_DIR } from './home.js'

/**
 * Opens the node's one datastore. libp2p keeps its peer store and DHT records
 * in it; the node's own state lives under the /presence-mesh prefix.
 */
export async function openDatastore (home: string): Promise<LevelDatastore> {
  const location = path.join(home, DATASTORE_DIR)
  const store = new LevelDatastore(location)
  try {
    await store.open()
  } catch (err: any) {
    throw new AlreadyRunningError(home, undefined, `cannot open the datastore at ${location}: another process is using it (${err.message})`)
  }
  return store
}

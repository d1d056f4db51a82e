import path from 'node:path'
import { AlreadyRunningError } from './errors.js'
import { DATASTORE_DIR } from './home.js'
import { PeerCacheDatastore } from './store/peer-cache-datastore.js'

/**
 * Opens the node's one datastore. libp2p keeps its peer store and DHT records
 * in it (peer-store entries also in memory for reading: node/store/peer-cache-datastore.ts);
 * the node's own state lives under the /presence-mesh prefix.
 */
export async function openDatastore (home: string): Promise<PeerCacheDatastore> {
  const location = path.join(home, DATASTORE_DIR)
  const store = new PeerCacheDatastore(location)
  try {
    await store.open()
  } catch (err: any) {
    throw new AlreadyRunningError(home, undefined, `cannot open the datastore at ${location}: another process is using it (${err.message})`)
  }
  return store
}

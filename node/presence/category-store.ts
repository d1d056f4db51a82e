/**
 * What the user set of this node's own presence, across restarts: each
 * category's value, the containers it is published to, a state chosen by
 * hand and the idle period (`/presence-mesh/presence/category/<key>`,
 * `.../publish/<key>`, `.../setting/away-after`).
 */
import { categoryKey, categoryProblem, isCategoryKey } from '../../protocol/categories.js'
import { jsonCodec, Store } from '../store/records.js'
import { CONTAINERS } from './containers.js'
import { DATASTORE_PREFIX } from './constants.js'
import type { Container } from './containers.js'
import type { OwnChange } from './own-categories.js'
import type { Category, CategoryKey } from '../../protocol/categories.js'
import type { RecordSet } from '../store/records.js'
import type { Logger } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

interface Publication { containers: Container[] }
interface AwayAfter { awayAfterMs: number | null }

const AWAY_AFTER = 'away-after'

export interface StoredCategories {
  /** Values by key; the state is there only when chosen by hand. */
  values: Map<CategoryKey, Category>
  publication: Map<CategoryKey, Container[]>
}

export class CategoryStore {
  private readonly store: Store
  private readonly values: RecordSet<Category>
  private readonly publication: RecordSet<Publication>
  private readonly settings: RecordSet<AwayAfter>

  constructor (datastore: Datastore, private readonly log: Logger) {
    this.store = new Store(datastore)
    this.values = this.store.records(`${DATASTORE_PREFIX}/category`, jsonCodec<Category>([], ['data' as keyof Category & string]))
    this.publication = this.store.records(`${DATASTORE_PREFIX}/publish`, jsonCodec<Publication>())
    this.settings = this.store.records(`${DATASTORE_PREFIX}/setting`, jsonCodec<AwayAfter>())
  }

  /** The idle period the user chose (null: never away), or undefined when none was chosen or it is unreadable. */
  async loadAwayAfter (): Promise<number | null | undefined> {
    const stored = await this.settings.get(AWAY_AFTER).catch(() => undefined)
    const ms = stored?.awayAfterMs
    return ms === null || (typeof ms === 'number' && Number.isInteger(ms)) ? ms : undefined
  }

  async saveAwayAfter (awayAfterMs: number | null): Promise<void> {
    await this.store.write(tx => { this.settings.put(tx, AWAY_AFTER, { awayAfterMs }) })
  }

  /** Everything stored; a record that no longer passes the rules is logged and left out (and left on disk). */
  async load (): Promise<StoredCategories> {
    const out: StoredCategories = { values: new Map(), publication: new Map() }
    for await (const [key, value] of this.values.entries()) {
      if (!isCategoryKey(key) || categoryProblem(value) != null || categoryKey(value) !== key) {
        this.log.error('ignoring the stored %s category: it breaks a rule', key)
        continue
      }
      out.values.set(key, value)
    }
    for await (const [key, p] of this.publication.entries()) {
      if (!isCategoryKey(key) || !Array.isArray(p.containers) || !p.containers.every(c => (CONTAINERS as readonly string[]).includes(c))) {
        this.log.error('ignoring the stored publication of %s: it breaks a rule', key)
        continue
      }
      out.publication.set(key, p.containers)
    }
    return out
  }

  /** Stores a change of the values, and of the state chosen by hand, in one transaction. */
  async commit (change: OwnChange): Promise<void> {
    await this.store.write(tx => {
      for (const key of change.clear ?? []) this.values.delete(tx, key)
      for (const value of change.set ?? []) this.values.put(tx, categoryKey(value), value)
      if (change.manual === 'online') this.values.delete(tx, 'state')
      else if (change.manual != null) this.values.put(tx, 'state', { kind: 'state', availability: change.manual, source: 'manual', manualSince: change.manualAt })
    })
  }

  async publish (key: CategoryKey, containers: Container[] | undefined): Promise<void> {
    await this.store.write(tx => {
      if (containers == null) this.publication.delete(tx, key)
      else this.publication.put(tx, key, { containers })
    })
  }
}

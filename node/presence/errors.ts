/**
 * What presence refuses, as typed errors: the name says what went wrong,
 * the fields say where. Wording for people lives in cli/.
 */
import type { CategoryProblem } from '../../protocol/categories.js'

export type CategoryErrorProblem = CategoryProblem['problem'] | 'too-large' | 'not-settable'

/**
 * A category this node will not publish: a field breaks a rule (`field`,
 * `problem`, `limit`), the category is unknown, the items together would
 * not fit one watcher's bundle (`too-large`), or it cannot be set by hand
 * (`not-settable`: the state is set with setState).
 */
export class InvalidCategoryError extends Error {
  static override name = 'InvalidCategoryError'
  constructor (readonly category: string, readonly field: string, readonly problem: CategoryErrorProblem, readonly limit?: number) {
    super(`${category} category: ${field} ${problem}${limit != null ? ` (limit ${limit})` : ''}`)
    this.name = 'InvalidCategoryError'
  }
}

/** The peer answered a query with something that is not a valid answer (the reason names the rule). */
export class InvalidAnswerError extends Error {
  static override name = 'InvalidAnswerError'
  constructor (readonly peer: string, readonly reason: string, readonly detail?: string) {
    super(`${peer} answered the query with an invalid item: ${reason}${detail != null ? ` (${detail})` : ''}`)
    this.name = 'InvalidAnswerError'
  }
}

/** The peer runs a version without categories: it cannot be queried. */
export class QueryNotSupportedError extends Error {
  static override name = 'QueryNotSupportedError'
  constructor (readonly peer: string) {
    super(`${peer} does not answer category queries (an older version)`)
    this.name = 'QueryNotSupportedError'
  }
}

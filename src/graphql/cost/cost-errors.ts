import { GraphQLError } from 'graphql'
import { rateLimitHeaders, retryAfterSeconds } from '../../headers.js'
import type { RateLimitDecision } from '../../types.js'
import { GraphQLRateLimitedError } from '../errors.js'
import { MAX_CHARGED_COST } from './cost-model.js'

/**
 * Errors of the cost budget. Each is a `GraphQLError` with `extensions.code` (so graphql-yoga's
 * error masking keeps it) and `extensions.http` (graphql-yoga turns it into the HTTP status and
 * headers of the response).
 */

/** `extensions.code` of the errors the cost budget returns. */
export type CostErrorCode = 'QUERY_TOO_EXPENSIVE' | 'INVALID_SLICING_ARGUMENTS' | 'QUERY_TOO_COMPLEX'

/** Why an operation could not be priced: the codes of {@link CostAnalysisError}. */
export type CostAnalysisErrorCode = 'INVALID_SLICING_ARGUMENTS' | 'QUERY_TOO_COMPLEX'

/**
 * The operation can never run: its cost alone is above `maxCost` (or above the whole budget).
 * Nothing was consumed. HTTP 400: waiting does not help, the client must ask for less.
 */
export class QueryTooExpensiveError extends GraphQLError {
  readonly code = 'QUERY_TOO_EXPENSIVE' as const
  /** The operation's cost. */
  readonly cost: number
  /** The largest cost accepted. */
  readonly maxCost: number

  constructor(cost: number, maxCost: number) {
    const costs =
      cost >= MAX_CHARGED_COST
        ? `This operation costs more than ${MAX_CHARGED_COST} points (its estimate overflows)`
        : `This operation costs ${cost} points`
    super(`${costs}, more than the ${maxCost} allowed for one operation; ask for fewer items.`, {
      extensions: { code: 'QUERY_TOO_EXPENSIVE', cost, maxCost, http: { status: 400 } },
    })
    this.name = 'QueryTooExpensiveError'
    this.cost = cost
    this.maxCost = maxCost
  }
}

/**
 * The operation cannot be priced, so it is refused before any resolver runs (HTTP 400):
 * - `INVALID_SLICING_ARGUMENTS`: a list field with `@listSize(requireOneSlicingArgument: true)` was
 *   not given exactly one of its slicing arguments, or a slicing argument is negative (its size,
 *   and the operation's cost, cannot be known);
 * - `QUERY_TOO_COMPLEX`: pricing it would visit more than `maxAnalysisNodes` nodes (or the document
 *   nests too deeply to walk).
 */
export class CostAnalysisError extends GraphQLError {
  readonly code: CostAnalysisErrorCode

  constructor(message: string, code: CostAnalysisErrorCode = 'INVALID_SLICING_ARGUMENTS') {
    super(message, { extensions: { code, http: { status: 400 } } })
    this.name = 'CostAnalysisError'
    this.code = code
  }
}

/**
 * The caller's cost budget cannot pay for this operation now: nothing ran, nothing was consumed.
 * A {@link GraphQLRateLimitedError} (`extensions.code: 'RATE_LIMITED'`, `retryAfter`, `limit`,
 * `remaining`, `reset`, `policy`) plus the operation's `cost`; HTTP 429 with `Retry-After` and
 * the `RateLimit` headers.
 */
export class CostBudgetExceededError extends GraphQLRateLimitedError {
  /** The operation's cost. */
  readonly cost: number

  constructor(decision: RateLimitDecision, cost: number) {
    const wait = retryAfterSeconds(decision)
    super(
      `This operation costs ${cost} points and ${decision.remaining} of ${decision.limit} are left in the "${decision.rule.name}" budget; enough returns in ${wait} s.`,
      decision,
    )
    this.name = 'CostBudgetExceededError'
    this.cost = cost
    // Extend the extensions GraphQLRateLimitedError built (the same object GraphQLError keeps).
    Object.assign(this.extensions, { cost, http: { status: 429, headers: rateLimitHeaders(decision) } })
  }
}

/**
 * The errors the GraphQL adapter puts in a response: a field refused by `@rateLimit`
 * ({@link GraphQLRateLimitedError}, `extensions.code: 'RATE_LIMITED'`), and a caller `identify`
 * refused to name ({@link identityGraphQLError}). Both are plain `GraphQLError`s with a code, so
 * graphql-yoga's error masking keeps them.
 */
import { type ASTNode, GraphQLError } from 'graphql'
import { retryAfterSeconds } from '../headers.js'
import type { IdentityError } from '../identity/identity-error.js'
import { quotaRefusal } from '../identity/quotas.js'
import type { RateLimitDecision } from '../types.js'

/**
 * What a refused field reports in `errors[].extensions` (contract: `code` and `retryAfter`).
 *
 * @example
 * { "code": "RATE_LIMITED", "retryAfter": 42, "limit": 10, "remaining": 0, "reset": 60, "policy": "Query.search" }
 */
export interface RateLimitedExtensions {
  readonly code: 'RATE_LIMITED'
  /**
   * Whole seconds until the same request would be admitted, rounded up (at least 1); `null` when
   * waiting cannot help (the cost is larger than the limit).
   */
  readonly retryAfter: number | null
  /** The binding rule's limit. */
  readonly limit: number
  /** Units left under the binding rule. */
  readonly remaining: number
  /** Whole seconds until the binding rule's budget is fully back, rounded up. */
  readonly reset: number
  /** The binding rule's name: the field coordinate (`Query.search`) or the bucket. */
  readonly policy: string
  /** Set when the refusal is not a plain spent budget: `'cost-exceeds-limit'`, `'store-unavailable'`, `'circuit-open'`, `'outage-usage'`. */
  readonly reason?: string
  /**
   * Set when a quota of the caller's plan refused (not the field's own rule): its name, limit and
   * when it is whole again (ISO 8601).
   * @example { "name": "quota:free:0", "limit": 1000, "resetsAt": "2026-12-06T00:00:00.000Z" }
   */
  readonly quota?: { readonly name: string; readonly limit: number; readonly resetsAt: string }
}

/** Where the refused field sits in the response. */
export interface GraphQLRateLimitedErrorOptions {
  readonly nodes?: ReadonlyArray<ASTNode>
  readonly path?: ReadonlyArray<string | number>
}

/** Builds the extensions of a refusal. */
export function rateLimitedExtensions(decision: RateLimitDecision): RateLimitedExtensions {
  const retryAfter = retryAfterSeconds(decision)
  const quota = quotaRefusal(decision)
  return {
    code: 'RATE_LIMITED',
    retryAfter: retryAfter < 0 ? null : retryAfter,
    limit: decision.limit,
    remaining: decision.remaining,
    reset: Math.max(0, Math.ceil(decision.resetMs / 1000)),
    policy: decision.rule.name,
    // A refusal from the blocked-caller cache is a spent budget too: clients see no difference.
    ...(decision.reason && decision.reason !== 'limited' && decision.reason !== 'cached'
      ? { reason: decision.reason }
      : {}),
    ...(quota ? { quota: { name: quota.name, limit: quota.limit, resetsAt: quota.resetsAt } } : {}),
  }
}

/**
 * The GraphQL error of a request refused by a rate limit: a field refused by `@rateLimit` resolves
 * to `null` (or nulls its parent when it is non-null) and this error lands in `errors` (the cost
 * budget's `CostBudgetExceededError` extends it). It is a plain `GraphQLError` without an
 * `originalError`, so graphql-yoga's error masking keeps its message and extensions.
 *
 * @example
 * if (error instanceof GraphQLRateLimitedError) console.log(error.extensions.retryAfter, error.decision.rule.name)
 */
export class GraphQLRateLimitedError extends GraphQLError {
  /** Same as `extensions.code`, for `error.code` checks. */
  readonly code = 'RATE_LIMITED' as const
  /** The engine's decision (not serialised: it holds the caller's identity). */
  declare readonly decision: RateLimitDecision
  declare readonly extensions: RateLimitedExtensions & Record<string, unknown>

  constructor(message: string, decision: RateLimitDecision, options: GraphQLRateLimitedErrorOptions = {}) {
    super(message, {
      nodes: options.nodes,
      path: options.path,
      extensions: { ...rateLimitedExtensions(decision) },
    })
    this.name = 'GraphQLRateLimitedError'
    Object.defineProperty(this, 'decision', { value: decision, enumerable: false })
  }
}

/** True for a rate-limit refusal, also after serialisation or a copy by another module version. */
export function isGraphQLRateLimitedError(error: unknown): boolean {
  const extensions = (error as { extensions?: { code?: unknown } } | null)?.extensions
  return error instanceof GraphQLRateLimitedError || extensions?.code === 'RATE_LIMITED'
}

/**
 * An `identify` refusal (API key required, client unidentified, key lookup failed) as a GraphQL
 * error with its code and HTTP status, so yoga answers 401, 403, 400 or 503 instead of a masked
 * server error.
 */
export function identityGraphQLError(error: IdentityError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { code: error.code, http: { status: error.status } } })
}

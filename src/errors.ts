/**
 * Error classes and the one way to throw a configuration error. The engine throws only for
 * programmer errors (a bad rule, option, cost or identity); a spent budget is a decision, never
 * an exception. Every class says where it comes from:
 *
 * | Class                     | Thrown by                                          | Entry      |
 * | ------------------------- | -------------------------------------------------- | ---------- |
 * | `ResolverRateLimitError`  | nothing directly: the base class of the others     | root       |
 * | `RateLimitConfigError`    | a factory, a rule, a cost or an identity (you)      | root       |
 * | `StoreError`              | a store call that failed or timed out              | root       |
 * | `IdentityError`           | `identify`, refusing to name a caller              | root       |
 * | `GraphQLRateLimitedError` | a `@rateLimit` field refused (a `GraphQLError`)    | `/graphql` |
 * | `TRPCRateLimitedCause`    | the `cause` of a refused procedure's `TRPCError`   | `/trpc`    |
 * | `TRPCConcurrencyLimitedCause` | the same, for a concurrency limit's refusal    | `/trpc`    |
 */

/** Every error code this package throws. The README's error table lists a fix for each. */
export type ResolverRateLimitErrorCode =
  | 'INVALID_RULE'
  | 'INVALID_OPTION'
  | 'INVALID_COST'
  | 'INVALID_IDENTITY'
  | 'STORE_TIMEOUT'
  | 'STORE_UNAVAILABLE'
  | 'INVALID_DIRECTIVE'
  | 'TRANSFORMER_NOT_APPLIED'
  | 'RATE_LIMITED'
  | 'CONCURRENCY_LIMITED'
  | 'API_KEY_REQUIRED'
  | 'API_KEY_LOOKUP_FAILED'
  | 'API_KEY_MISCONFIGURED'
  | 'CLIENT_UNIDENTIFIED'

/**
 * The base class of every error this package throws on the server: an `Error` with a stable
 * `code`. Catch it to tell this package's errors from others; the subclasses say what happened.
 */
export class ResolverRateLimitError extends Error {
  readonly code: ResolverRateLimitErrorCode
  constructor(code: ResolverRateLimitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ResolverRateLimitError'
    this.code = code
  }
}

/**
 * A programmer error: a rule, option, cost, identity or directive that cannot work. Thrown when
 * the limiter, store, directive or middleware is built, or by the call that was given it.
 */
export class RateLimitConfigError extends ResolverRateLimitError {
  constructor(code: ResolverRateLimitErrorCode, message: string) {
    super(code, message)
    this.name = 'RateLimitConfigError'
  }
}

/** The store did not answer within the deadline or failed; handled by the `onStoreError` policy. */
export class StoreError extends ResolverRateLimitError {
  constructor(code: 'STORE_TIMEOUT' | 'STORE_UNAVAILABLE', message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'StoreError'
  }
}

/** The codes of configuration mistakes. */
export type ConfigErrorCode = 'INVALID_OPTION' | 'INVALID_RULE' | 'INVALID_DIRECTIVE'

/**
 * Throws the {@link RateLimitConfigError} of a configuration mistake; `message` names the option
 * and what is allowed (`Expected \`limit\` to be an integer from 1 to …, got 0`). Internal: the
 * one throw helper of every factory's validation.
 */
export function invalidConfig(message: string, code: ConfigErrorCode = 'INVALID_OPTION'): never {
  throw new RateLimitConfigError(code, message)
}

/** Shows a value in an error message without dumping huge strings. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value
    return JSON.stringify(shown)
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  return typeof value
}

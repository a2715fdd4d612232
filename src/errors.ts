/**
 * Error classes. The engine throws only for programmer errors (a bad rule, option or cost);
 * a spent budget is a decision, never an exception.
 */

/** Every error code this package throws. The README's error table lists a fix for each. */
export type RateLimitErrorCode =
  | 'INVALID_RULE'
  | 'INVALID_OPTION'
  | 'INVALID_COST'
  | 'INVALID_IDENTITY'
  | 'STORE_TIMEOUT'
  | 'STORE_UNAVAILABLE'
  | 'INVALID_DIRECTIVE'
  | 'TRANSFORMER_NOT_APPLIED'
  | 'RATE_LIMITED'
  | 'API_KEY_REQUIRED'
  | 'API_KEY_LOOKUP_FAILED'
  | 'API_KEY_MISCONFIGURED'
  | 'CLIENT_UNIDENTIFIED'

/** Base class: an `Error` with a stable `code`. */
export class RateLimitError extends Error {
  readonly code: RateLimitErrorCode
  constructor(code: RateLimitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RateLimitError'
    this.code = code
  }
}

/** A rule, option or cost that cannot work; thrown when the rule or limiter is built. */
export class RateLimitConfigError extends RateLimitError {
  constructor(code: RateLimitErrorCode, message: string) {
    super(code, message)
    this.name = 'RateLimitConfigError'
  }
}

/** The store did not answer within the deadline or failed; handled by the `onStoreError` policy. */
export class StoreError extends RateLimitError {
  constructor(code: 'STORE_TIMEOUT' | 'STORE_UNAVAILABLE', message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'StoreError'
  }
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

/**
 * What a tRPC procedure throws when it is refused: a `TRPCError` (`TOO_MANY_REQUESTS`, or the
 * status an identity refusal calls for) whose `cause` carries the details, and the helpers that
 * read them back for `onError` and the `errorFormatter`.
 */
import { TRPCError } from '@trpc/server'
import { ResolverRateLimitError } from '../errors.js'
import { retryAfterSeconds } from '../headers.js'
import type { IdentityError } from '../identity/identity-error.js'
import { type QuotaRefusal, quotaRefusal } from '../identity/quotas.js'
import type { RateLimitDecision } from '../types.js'

/**
 * The `cause` of the `TRPCError` (`TOO_MANY_REQUESTS`) a refused procedure call throws: the
 * decision, the procedure path and the whole seconds to wait. (tRPC requires an `Error` as
 * `cause`; the client never sees it.)
 *
 * @example
 * const cause = error instanceof TRPCError ? error.cause : undefined
 * if (cause instanceof TRPCRateLimitedCause) console.log(cause.retryAfter, cause.decision.remaining)
 */
export class TRPCRateLimitedCause extends ResolverRateLimitError {
  readonly decision: RateLimitDecision
  /** The procedure path, such as `post.create`. */
  readonly path: string
  /** Whole seconds until the same call would be admitted, rounded up; `-1` when never (its cost exceeds the limit). */
  readonly retryAfter: number
  /** Set when a quota of the caller's plan refused the call (rather than the procedure's own rule). */
  readonly quota: QuotaRefusal | undefined

  constructor(decision: RateLimitDecision, path: string, message: string) {
    super('RATE_LIMITED', message)
    this.name = 'TRPCRateLimitedCause'
    this.decision = decision
    this.path = path
    this.retryAfter = retryAfterSeconds(decision)
    this.quota = quotaRefusal(decision)
  }
}

/** The default refusal message: when to retry, or why retrying cannot help; which quota when one refused. */
export function defaultMessage(decision: RateLimitDecision): string {
  const seconds = retryAfterSeconds(decision)
  const quota = quotaRefusal(decision)
  if (quota) return `Quota "${quota.name}" exceeded: retry in ${seconds} s`
  if (seconds < 0) {
    return `Rate limit exceeded: this call costs ${decision.cost}, more than the limit of ${decision.limit} allows`
  }
  return `Rate limit exceeded: retry in ${seconds} s`
}

/**
 * The error a refused call throws: `TOO_MANY_REQUESTS` (HTTP 429) with a
 * {@link TRPCRateLimitedCause} as `cause`.
 */
export function tooManyRequests(
  decision: RateLimitDecision,
  path: string,
  message: (decision: RateLimitDecision, path: string) => string = defaultMessage,
): TRPCError {
  const text = message(decision, path)
  return new TRPCError({ code: 'TOO_MANY_REQUESTS', message: text, cause: causeOf(decision, path, text) })
}

/** False where the intrinsics are frozen (e.g. SES lockdown): there the cause keeps its stack. */
const stackLimitWritable = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')?.writable === true

/**
 * The cause, without a stack of its own: it would repeat the `TRPCError`'s, made one frame away,
 * and capturing it costs as much as the error itself — on every refusal of a flood.
 */
function causeOf(decision: RateLimitDecision, path: string, text: string): TRPCRateLimitedCause {
  if (!stackLimitWritable) return new TRPCRateLimitedCause(decision, path, text)
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return new TRPCRateLimitedCause(decision, path, text)
  } finally {
    Error.stackTraceLimit = limit
  }
}

/** How long a refusal caused by a failed check (identify or cost threw) asks the caller to wait. */
export const CHECK_FAILED_RETRY_SECONDS = 1

/** The refusal for a failed check under `onError: 'closed'`; `cause` is the original error. */
export function checkFailed(error: Error): TRPCError {
  return new TRPCError({
    code: 'TOO_MANY_REQUESTS',
    message: `Rate limit check failed: retry in ${CHECK_FAILED_RETRY_SECONDS} s`,
    cause: error,
  })
}

/**
 * The refusal of a call whose input the `cost` function cannot price (it threw, or returned
 * something that is not a cost): `BAD_REQUEST` (HTTP 400) — the input made it fail, so the client
 * must change it; never admitted unchecked, never an INTERNAL_SERVER_ERROR that clients retry.
 * `cause` (not sent to the client) is what the cost function threw.
 */
export function unpricedInput(path: string, reason: string, cause?: unknown): TRPCError {
  return new TRPCError({
    code: 'BAD_REQUEST',
    message: `Invalid input for ${path}: its rate-limit cost cannot be computed (${reason})`,
    ...(cause !== undefined ? { cause } : {}),
  })
}

/**
 * The answer to a caller the default identify refuses to name: `UNAUTHORIZED` (no valid API key
 * with `requireApiKey`), `FORBIDDEN` (a key whose record cannot work: `API_KEY_MISCONFIGURED`) or
 * `BAD_REQUEST` (no user, key or address), with the `IdentityError` as
 * `cause`. The client sees a short message; the detail stays in `cause` for the server's logs.
 */
export function identityRefused(error: IdentityError): TRPCError {
  if (error.code === 'API_KEY_REQUIRED')
    return new TRPCError({ code: 'UNAUTHORIZED', message: error.message, cause: error })
  if (error.code === 'API_KEY_MISCONFIGURED')
    return new TRPCError({ code: 'FORBIDDEN', message: error.message, cause: error })
  return new TRPCError({ code: 'BAD_REQUEST', message: 'Cannot identify the caller', cause: error })
}

/**
 * The decision behind a rate-limit refusal, or `undefined` for any other error.
 * @example
 * onError({ error }) { const decision = getRateLimitDecision(error); if (decision) metrics.refused(decision.rule.name) }
 */
export function getRateLimitDecision(error: unknown): RateLimitDecision | undefined {
  const cause = isTRPCError(error) ? error.cause : error
  return cause instanceof TRPCRateLimitedCause ? cause.decision : undefined
}

/** What {@link rateLimitErrorData} adds to the error shape sent to the client. */
export interface RateLimitErrorData {
  /** Whole seconds to wait, rounded up; `-1` when retrying cannot help. */
  retryAfter: number
  limit: number
  remaining: number
  /** The binding rule's name (the procedure path by default). */
  rule: string
  /** Present when a quota of the caller's plan refused the call: which one and when it is whole again. */
  quota?: { name: string; limit: number; resetsAt: string }
}

/**
 * Rate-limit details for tRPC's `errorFormatter` (the `cause` itself never reaches the client):
 * `null` for other errors.
 *
 * @example
 * const t = initTRPC.create({
 *   errorFormatter: ({ shape, error }) => ({ ...shape, data: { ...shape.data, rateLimit: rateLimitErrorData(error) } }),
 * })
 */
export function rateLimitErrorData(error: unknown): RateLimitErrorData | null {
  const decision = getRateLimitDecision(error)
  if (!decision) return null
  const cause = isTRPCError(error) ? error.cause : error
  const quota = cause instanceof TRPCRateLimitedCause ? cause.quota : undefined
  return {
    retryAfter: retryAfterSeconds(decision),
    limit: decision.limit,
    remaining: decision.remaining,
    rule: decision.rule.name,
    ...(quota ? { quota: { name: quota.name, limit: quota.limit, resetsAt: quota.resetsAt } } : {}),
  }
}

/**
 * A `TRPCError`, recognised by name as tRPC itself does: a CommonJS application's `TRPCError`
 * comes from @trpc/server's CommonJS build, while this package (ES modules, also when loaded with
 * `require`) imports its ES build: two classes, so `instanceof` alone misses it.
 */
export function isTRPCError(error: unknown): error is TRPCError {
  return error instanceof TRPCError || (error instanceof Error && error.name === 'TRPCError')
}

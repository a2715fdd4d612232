/**
 * `concurrencyLimit()`: at most `max` calls of a procedure (or of every procedure sharing `name`)
 * in flight per caller. A query or mutation holds its lease until its resolver settles (a streamed
 * async iterable until it ends); a subscription until it ends — completion, error, unsubscribe, or the client going away (the
 * request's abort signal). A refusal is `TOO_MANY_REQUESTS` with a
 * {@link TRPCConcurrencyLimitedCause}: no Retry-After, since nobody knows when a slot frees. A
 * refused call gets back the rate budget the `rateLimit()` middlewares before it took (rate-refund.ts).
 */
import type { TRPCMiddlewareFunction } from '@trpc/server'
import { TRPCError } from '@trpc/server'
import { resolveConcurrencyLimit } from '../concurrency-limit.js'
import { describeValue, invalidConfig, RateLimitConfigError, ResolverRateLimitError } from '../errors.js'
import { resolveCaller } from '../identity/caller.js'
import { IdentityError } from '../identity/identity-error.js'
import type { Identify } from '../identity/types.js'
import type { ConcurrencyDecision } from '../leases.js'
import type { RateLimiter } from '../limiter.js'
import type { Duration, StoreErrorPolicy } from '../types.js'
import { checkFailed, identityRefused, isTRPCError } from './errors.js'
import { refundRateBudget, wantRefunds } from './rate-refund.js'
import { holdUntilEnd } from './subscription-lease.js'

/** Options of {@link concurrencyLimit}; validated when it is called. */
export interface ConcurrencyLimitOptions<TContext = object> {
  /** The engine from `createRateLimiter()`; its store holds the leases. */
  limiter: RateLimiter
  /** Most calls in flight at once per caller: an integer from 1 to 10 000. */
  max: number
  /** Names the slots; procedures with the same name share them. @default the procedure path */
  name?: string
  /** How long a lease outlives a crashed server (renewed while the call runs). @default 60_000 */
  leaseMs?: Duration
  /** @default limiter.identify: user id, else a validated API key, else the client IP */
  identify?: Identify<TContext>
  /** Count and report, but never refuse. @default false */
  shadow?: boolean
  /** Overrides the limiter's `onStoreError`. */
  onStoreError?: StoreErrorPolicy
}

/** What the middleware adds to the context: the decision holding this call's lease. */
export interface ConcurrencyContext {
  concurrency: ConcurrencyDecision
}

export type ConcurrencyLimitMiddleware<TContext extends object = object> = TRPCMiddlewareFunction<
  TContext,
  object,
  object,
  ConcurrencyContext,
  unknown
>

/**
 * The `cause` of the `TRPCError` (`TOO_MANY_REQUESTS`) a call refused by a concurrency limit
 * throws, with the decision (`limit`, `active`) and the procedure path. Tells a concurrency
 * refusal from a rate refusal (`TRPCRateLimitedCause`).
 */
export class TRPCConcurrencyLimitedCause extends ResolverRateLimitError {
  readonly kind = 'concurrency'
  readonly decision: ConcurrencyDecision
  readonly path: string

  constructor(decision: ConcurrencyDecision, path: string) {
    super('CONCURRENCY_LIMITED', `Too many concurrent calls of ${path}: at most ${decision.limit} at once`)
    this.name = 'TRPCConcurrencyLimitedCause'
    this.decision = decision
    this.path = path
  }
}

function resolve<TContext>(options: ConcurrencyLimitOptions<TContext>) {
  if (typeof options !== 'object' || options === null)
    invalidConfig('concurrencyLimit(): Expected an options object such as { limiter, max: 2 }')
  const { limiter, max, name, leaseMs, identify, shadow, onStoreError } = options
  if (typeof limiter?.acquire !== 'function') {
    invalidConfig(
      `concurrencyLimit(): Expected \`limiter\` to be a limiter from createRateLimiter(), got ${describeValue(limiter)}`,
    )
  }
  if (identify !== undefined && typeof identify !== 'function')
    invalidConfig('concurrencyLimit(): Expected `identify` to be a function (ctx) => caller')
  const template = { max, leaseMs, shadow, onStoreError, ...(name === undefined ? {} : { name }) }
  try {
    resolveConcurrencyLimit({ name: 'check', ...template })
  } catch (error) {
    if (error instanceof RateLimitConfigError) invalidConfig(`concurrencyLimit(): ${error.message}`)
    throw error
  }
  return { limiter, template, identify: identify ?? (limiter.identify as Identify<TContext>) }
}

/**
 * Limits how many calls of a procedure one caller has in flight (queries, mutations) or open
 * (subscriptions) at once, across every server sharing the limiter's store.
 *
 * @example
 * const exporting = t.procedure.use(concurrencyLimit({ limiter, max: 2 }))
 * const router = t.router({ export: exporting.mutation(() => runExport()) })
 * @throws RateLimitConfigError (`INVALID_OPTION`) when an option cannot work, naming it.
 */
export function concurrencyLimit<TContext extends object = object>(
  options: ConcurrencyLimitOptions<TContext>,
): ConcurrencyLimitMiddleware<TContext> {
  const o = resolve(options)
  wantRefunds()
  return async (opts) => {
    const ctx = opts.ctx as unknown as TContext
    let id: string
    try {
      id = (await resolveCaller(o.identify, ctx)).id
    } catch (cause) {
      if (isTRPCError(cause)) throw cause
      if (cause instanceof IdentityError && cause.code !== 'API_KEY_LOOKUP_FAILED')
        throw identityRefused(cause)
      throw checkFailed(cause instanceof Error ? cause : new Error(String(cause)))
    }
    // Only a subscription lets its abort signal release: a query or mutation runs on after its
    // client has gone, and holds its slot until it settles (else aborting and resending bypasses `max`).
    const signal = opts.type === 'subscription' ? opts.signal : undefined
    const limit = { name: opts.path, ...o.template, signal }
    const decision = await o.limiter.acquire(id, limit)
    if (!decision.allowed) {
      // A call refused here gives back the rate budget its earlier `rateLimit()` took.
      await refundRateBudget(ctx)
      const cause = new TRPCConcurrencyLimitedCause(decision, opts.path)
      throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: cause.message, cause })
    }
    const release = (): void => void decision.release()
    let result: Awaited<ReturnType<typeof opts.next>>
    try {
      result = await opts.next({ ctx: { concurrency: decision } })
    } catch (error) {
      release()
      throw error
    }
    if (!result.ok) {
      release()
      return result
    }
    const data = holdUntilEnd(opts.type, result.data, release, opts.signal)
    return data === result.data ? result : { ...result, data }
  }
}

import type { TRPCMiddlewareFunction } from '@trpc/server'
import { describeValue } from '../errors.js'
import { identifyNow, rulesForCaller } from '../identity/caller.js'
import { IdentityError } from '../identity/identity-error.js'
import type { Caller } from '../identity/types.js'
import { MAX_LIMIT } from '../rules.js'
import type { RateLimitDecision } from '../types.js'
import {
  CHECK_FAILED_RETRY_SECONDS,
  checkFailed,
  identityRefused,
  isTRPCError,
  tooManyRequests,
  unpricedInput,
} from './errors.js'
import { responseHeadersOf } from './headers.js'
import { type CallInfo, type RateLimitOptions, type ResolvedOptions, resolveOptions } from './options.js'
import { registerRefund } from './rate-refund.js'

/**
 * What the middleware adds to the context: the decision of this call, or `null` when no check
 * applied (an unlimited API-key plan, or a failed check under `onError: 'open'`). With several
 * `rateLimit` middlewares on one procedure, the last one's decision.
 */
export interface RateLimitContext {
  rateLimit: RateLimitDecision | null
}

/** The middleware `rateLimit()` returns; usable with any `t.procedure.use(...)` whose context fits `TContext`. */
export type RateLimitMiddleware<TContext extends object = object> = TRPCMiddlewareFunction<
  TContext,
  object,
  object,
  RateLimitContext,
  unknown
>

/** The options a middleware receives, as far as the check needs them. */
interface CallOptions<TContext> {
  ctx: TContext
  path: string
  type: CallInfo<TContext>['type']
  input: unknown
  getRawInput: () => Promise<unknown>
}

/**
 * The call's cost from its input. The cost function sees nothing else that changes from call to
 * call, so when it throws or returns something that is not a cost, the input made it fail:
 * `BAD_REQUEST`, never `onError` (whose `'open'` would admit the call unchecked). A `TRPCError`
 * it throws passes through.
 */
async function costOf<TContext>(o: ResolvedOptions<TContext>, call: CallOptions<TContext>): Promise<number> {
  if (typeof o.cost === 'number') return o.cost
  // Before `.input()` no validator has run: `input` is undefined and the raw input is all there is.
  const input = call.input !== undefined ? call.input : await call.getRawInput()
  let cost: unknown
  try {
    cost = await o.cost(input, { ctx: call.ctx, path: call.path, type: call.type })
  } catch (error) {
    if (isTRPCError(error)) throw error
    throw unpricedInput(call.path, 'the cost function threw on it', error)
  }
  if (!Number.isInteger(cost) || (cost as number) < 1 || (cost as number) > MAX_LIMIT) {
    const got = describeValue(cost)
    throw unpricedInput(call.path, `the cost function returned ${got}, not an integer from 1 to ${MAX_LIMIT}`)
  }
  return cost as number
}

function policyFor<TContext>(
  o: ResolvedOptions<TContext>,
  error: Error,
  call: CallOptions<TContext>,
): 'open' | 'closed' {
  if (typeof o.onError !== 'function') return o.onError
  try {
    return o.onError(error, { ctx: call.ctx, path: call.path, type: call.type }) === 'open'
      ? 'open'
      : 'closed'
  } catch {
    return 'closed'
  }
}

/**
 * Identify → rules for this caller (and its plan's quotas) → one `consume`; `null` when no check
 * applies. Not `async`: a synchronous `identify` (the default, for a user id) and a numeric cost
 * go straight to the limiter, so a call costs the limiter's promise and no chain of awaits. May
 * throw synchronously; the middleware turns that into {@link failed}.
 */
function check<TContext>(
  o: ResolvedOptions<TContext>,
  call: CallOptions<TContext>,
): Promise<RateLimitDecision | null> {
  const caller = identifyNow(o.identify, call.ctx)
  if (caller instanceof Promise) return caller.then((known) => consumeFor(o, call, known))
  return consumeFor(o, call, caller)
}

function consumeFor<TContext>(
  o: ResolvedOptions<TContext>,
  call: CallOptions<TContext>,
  caller: Caller,
): Promise<RateLimitDecision | null> {
  const rules = rulesForCaller(o.rulesFor(call.path), caller)
  if (rules === null) return Promise.resolve(null)
  // The plan's quotas are in `rules`: one atomic check, a refusal by either records nothing.
  if (o.consumeOptions) return o.limiter.consume(caller.id, rules, o.consumeOptions)
  return costOf(o, call).then((cost) => o.limiter.consume(caller.id, rules, { cost }))
}

/**
 * A check that failed. Never lets an unexpected error escape as INTERNAL_SERVER_ERROR or
 * SERVICE_UNAVAILABLE (which tRPC clients and subscription links retry): a `TRPCError` from
 * identify or cost passes through, an input the cost function cannot price is BAD_REQUEST, an
 * `IdentityError` becomes UNAUTHORIZED / BAD_REQUEST (or a refusal when the key lookup failed),
 * anything else follows `onError` — `null` when it admits the call unchecked.
 */
function failed<TContext>(o: ResolvedOptions<TContext>, call: CallOptions<TContext>, cause: unknown): null {
  if (isTRPCError(cause)) throw cause
  // The identify chain refused on purpose; only a failed key lookup is a failed check.
  const lookupFailed = cause instanceof IdentityError && cause.code === 'API_KEY_LOOKUP_FAILED'
  if (cause instanceof IdentityError && !lookupFailed) throw identityRefused(cause)
  const error = cause instanceof Error ? cause : new Error(String(cause))
  // A failed key lookup under `requireApiKey` never admits: the key is required.
  if (!lookupFailed && policyFor(o, error, call) === 'open') return null
  responseHeadersOf(call.ctx)?.retryAfter(CHECK_FAILED_RETRY_SECONDS)
  throw checkFailed(error)
}

/** The decision applied: headers, a refusal thrown, or the call continued with `ctx.rateLimit`. */
function proceed<TContext extends object>(
  o: ResolvedOptions<TContext>,
  opts: Parameters<RateLimitMiddleware<TContext>>[0],
  decision: RateLimitDecision | null,
): ReturnType<RateLimitMiddleware<TContext>> {
  if (decision) {
    const { ctx, path } = opts as unknown as CallOptions<TContext>
    responseHeadersOf(ctx)?.add(decision)
    if (!decision.allowed) throw tooManyRequests(decision, path, o.message)
    registerRefund(o.limiter, decision, ctx)
  }
  return opts.next({ ctx: { rateLimit: decision } })
}

/**
 * Rate-limits tRPC procedures. Over the limit a call fails with `TRPCError` `TOO_MANY_REQUESTS`
 * (HTTP 429) whose `cause` is a `TRPCRateLimitedCause` carrying the decision; admitted calls see
 * the decision as `ctx.rateLimit`. The budget is named after the procedure path unless `name` is
 * given. Subscriptions are counted when they start. Store failures follow the limiter's
 * `onStoreError` policy and are never an INTERNAL_SERVER_ERROR.
 *
 * Headers (`RateLimit`, `RateLimit-Policy`, `Retry-After`) go to the response when the context
 * was built with `rateLimitContext(opts)` or carries `res` / `resHeaders`.
 *
 * @example
 * const t = initTRPC.context<Context>().create()
 * const limited = t.procedure.use(rateLimit({ limiter, limit: 10, window: '1m' }))
 * const router = t.router({ search: limited.query(({ ctx }) => ctx.rateLimit?.remaining) })
 * @throws RateLimitConfigError (`INVALID_OPTION`) when an option cannot work, naming it.
 */
export function rateLimit<TContext extends object = object>(
  options: RateLimitOptions<TContext>,
): RateLimitMiddleware<TContext> {
  const o = resolveOptions(options)
  return (opts) => {
    // tRPC types ctx as Overwrite<TContext, object>: the same object, which TS cannot prove for a generic TContext.
    const call = opts as unknown as CallOptions<TContext>
    let pending: Promise<RateLimitDecision | null>
    try {
      pending = check(o, call)
    } catch (cause) {
      pending = Promise.reject(cause)
    }
    // One `then` for both outcomes: a refusal `proceed` throws is the call's answer, not a failed check.
    return pending.then(
      (decision) => proceed(o, opts, decision),
      (cause: unknown) => proceed(o, opts, failed(o, call, cause)),
    )
  }
}

import type { TRPCMiddlewareFunction } from '@trpc/server'
import { describeValue } from '../errors.js'
import { resolveCaller, rulesForCaller } from '../identity/caller.js'
import { IdentityError } from '../identity/identity-error.js'
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
 * Identify → rules for this caller (and its plan's quotas) → one `consume`. Returns `null` when no check applies. Never
 * lets an unexpected error escape as INTERNAL_SERVER_ERROR or SERVICE_UNAVAILABLE (which tRPC
 * clients and subscription links retry): a `TRPCError` from identify or cost passes through, an
 * input the cost function cannot price is BAD_REQUEST, an `IdentityError` becomes UNAUTHORIZED /
 * BAD_REQUEST (or a refusal when the key lookup failed), anything else follows `onError`.
 */
async function decide<TContext>(
  o: ResolvedOptions<TContext>,
  call: CallOptions<TContext>,
): Promise<RateLimitDecision | null> {
  try {
    const caller = await resolveCaller(o.identify, call.ctx)
    const rules = rulesForCaller(o.rulesFor(call.path), caller)
    if (rules === null) return null
    const cost = typeof o.cost === 'number' ? o.cost : await costOf(o, call)
    // The plan's quotas are in `rules`: one atomic check, a refusal by either records nothing.
    return await o.limiter.consume(caller.id, rules, { cost })
  } catch (cause) {
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
  return async (opts) => {
    // tRPC types ctx as Overwrite<TContext, object>: the same object, which TS cannot prove for a generic TContext.
    const call = opts as unknown as CallOptions<TContext>
    const decision = await decide(o, call)
    if (decision) {
      responseHeadersOf(call.ctx)?.add(decision)
      if (!decision.allowed) throw tooManyRequests(decision, call.path, o.message)
      registerRefund(o.limiter, decision, call.ctx)
    }
    return opts.next({ ctx: { rateLimit: decision } })
  }
}

/**
 * `limiter.usage`: the state of an identity's budgets as it stands, recording nothing — where
 * `peek` answers "would a request of this cost be admitted, and what would be left after it".
 *
 * It reads the store through the port as it is: a check whose cost is above every rule's limit is
 * refused by every store, records nothing and reports each rule's usage without the request (the
 * store contract), so every store — memory, Redis, Redis Cluster, your own — answers it with no
 * method of its own and no extra round trip.
 */
import type { ResolvedRule, StoreResult } from '../types.js'
import { callStoreDirectly, type DirectCallContext } from './direct-call.js'
import type { StoreRequest } from './store-request.js'

/**
 * One rule's state as it stands. `kind` tells the members of this union apart: every rule is a
 * `'window'` today; later kinds of limit (calendar quotas, concurrency leases) will join the union
 * with fields of their own, so code that reads `kind` keeps working.
 */
export interface RuleUsage {
  /** A window-based rule (sliding log, sliding-window counter, token bucket) or a calendar quota. */
  readonly kind: 'window'
  readonly rule: ResolvedRule
  readonly limit: number
  /**
   * Units counted in the window (or period) now, rounded up to whole units (the counter's estimate
   * is fractional); for a token bucket, the tokens missing from a full bucket.
   */
  readonly used: number
  /** Whole units a request could use now: `limit − used` (a token bucket: `burst − used`), never below 0. */
  readonly remaining: number
  /** Milliseconds until the whole budget is back; 0 when nothing is used. */
  readonly resetMs: number
  /** When the whole budget is back, in milliseconds since the epoch (wall clock): for a billing page. */
  readonly resetsAt: number
  /**
   * A calendar quota only: when its current period ends and the count starts over (ms since the
   * epoch, wall clock), used or not — what a usage page shows as "renews on".
   */
  readonly periodEndsAt?: number
}

/**
 * The answer to `limiter.usage`: every rule's state, and the numbers of the tightest one (the
 * fewest units left, then the longest reset), as a decision names its binding rule.
 */
export interface RateLimitUsage extends Omit<RuleUsage, 'kind'> {
  readonly identity: string
  /** Every rule's state, in the order given. */
  readonly rules: readonly RuleUsage[]
}

/**
 * Reads the usage of the request's rules in one store call (a direct call: rejects with a
 * `StoreError` when the store fails or is down, see `direct-call.ts`).
 */
export async function readUsage(context: DirectCallContext, request: StoreRequest): Promise<RateLimitUsage> {
  let aboveEveryLimit = 1
  for (const rule of request.resolved) aboveEveryLimit = Math.max(aboveEveryLimit, rule.burst + 1)
  const result = await callStoreDirectly(context, 'read usage', (store) =>
    store.peek(request.storeRules, aboveEveryLimit),
  )
  return usageReport(request, result, Date.now())
}

/** The report of a store result that counts no request (a refused one), as of `now` (wall-clock ms). */
export function usageReport(request: StoreRequest, result: StoreResult, now: number): RateLimitUsage {
  const rules = request.resolved.map((rule, i): RuleUsage => {
    const { used, resetMs } = result.rules[i]!
    return {
      kind: 'window',
      rule,
      limit: rule.limit,
      used: Math.ceil(used),
      remaining: Math.max(0, Math.floor(rule.burst - used)),
      resetMs,
      resetsAt: now + resetMs,
      ...(rule.calendar ? { periodEndsAt: rule.calendar.bounds(now).end } : {}),
    }
  })
  let tightest = rules[0]!
  for (const r of rules) {
    if (
      r.remaining < tightest.remaining ||
      (r.remaining === tightest.remaining && r.resetMs > tightest.resetMs)
    )
      tightest = r
  }
  const { rule, limit, used, remaining, resetMs, resetsAt } = tightest
  return { identity: request.identity, rule, limit, used, remaining, resetMs, resetsAt, rules }
}

/**
 * Gives back the rate budget of a call refused later in its chain. `rateLimit()` registers, for
 * each decision it puts on `ctx.rateLimit`, how to refund exactly what that call consumed — same
 * limiter, identity, rules and cost, and what the `rateLimit` middlewares before it consumed —
 * and `concurrencyLimit()` calls it when it refuses the call.
 */
import type { RateLimiter } from '../limiter.js'
import type { RateLimitDecision } from '../types.js'

/**
 * What a decision's refund gives back: the limiter that recorded it (`undefined` when it recorded
 * nothing of its own) and the refund of the decisions already on `ctx` before it.
 */
class Chained {
  constructor(
    readonly limiter: RateLimiter | undefined,
    readonly earlier: RateLimitDecision,
  ) {}
}

/**
 * Per decision on `ctx.rateLimit`: the limiter that recorded it, or a {@link Chained} when earlier
 * `rateLimit` middlewares of the call consumed too. No closure or rule list per call: the refund
 * is built from the decision only when it is used, which is rare (a later refusal).
 */
const refunds = new WeakMap<RateLimitDecision, RateLimiter | Chained>()

/** The decision on `ctx.rateLimit` when an earlier `rateLimit()` of this call registered it. */
function registeredOf(ctx: unknown): RateLimitDecision | undefined {
  if (typeof ctx !== 'object' || ctx === null) return undefined
  const decision = (ctx as { rateLimit?: unknown }).rateLimit
  return typeof decision === 'object' && decision !== null && refunds.has(decision as RateLimitDecision)
    ? (decision as RateLimitDecision)
    : undefined
}

/**
 * Whether any `concurrencyLimit()` exists, the only caller of {@link refundRateBudget}. A
 * procedure's middlewares are created before its first call, so while none exists no call can
 * need a refund, and `rateLimit` records nothing per call (a WeakMap entry costs GC work).
 */
let refundsWanted = false

/** Called by `concurrencyLimit()` when it is created: from now on admitted calls register refunds. */
export function wantRefunds(): void {
  refundsWanted = true
}

/**
 * Registers how to give back what `decision` consumed (and what the decisions already on `ctx`
 * consumed). Only a normal admission recorded its cost: a shadow, degraded or refused decision
 * has nothing of its own to give back.
 */
export function registerRefund(limiter: RateLimiter, decision: RateLimitDecision, ctx: unknown): void {
  if (!refundsWanted) return
  const earlier = registeredOf(ctx)
  const recorded = decision.allowed && decision.reason === undefined
  if (earlier) refunds.set(decision, new Chained(recorded ? limiter : undefined, earlier))
  else if (recorded) refunds.set(decision, limiter)
}

/** Gives back what `decision` and the decisions before it recorded, same identity, rules and cost. */
async function refund(decision: RateLimitDecision): Promise<void> {
  const entry = refunds.get(decision)
  if (entry === undefined) return
  // Once: a second refusal seeing the same ctx (a middleware calling next() again, a nested
  // createCaller with this ctx) must not give the same charge back twice.
  refunds.delete(decision)
  const limiter = entry instanceof Chained ? entry.limiter : entry
  const rules = decision.rules.map((outcome) => outcome.rule.source)
  await Promise.all([
    limiter?.refund(decision.identity, rules, { cost: decision.cost }),
    entry instanceof Chained ? refund(entry.earlier) : undefined,
  ])
}

/**
 * Gives back the rate budget the call's `rateLimit` middlewares consumed. Never throws: the call
 * is refused anyway, and a refund that fails (store down, a store without `refund`) leaves the
 * charge standing, as without this.
 */
export async function refundRateBudget(ctx: unknown): Promise<void> {
  try {
    const decision = registeredOf(ctx)
    if (decision) await refund(decision)
  } catch {
    // The charge stands.
  }
}

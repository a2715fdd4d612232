/**
 * Gives back the rate budget of a call refused later in its chain. `rateLimit()` registers, for
 * each decision it puts on `ctx.rateLimit`, how to refund exactly what that call consumed — same
 * limiter, identity, rules and cost, and what the `rateLimit` middlewares before it consumed —
 * and `concurrencyLimit()` calls it when it refuses the call.
 */
import type { RateLimiter } from '../limiter.js'
import type { RateLimitDecision } from '../types.js'

type Refund = () => Promise<void>

const refunds = new WeakMap<object, Refund>()

/** The refund registered for `ctx.rateLimit`, if an earlier `rateLimit()` of this call put it there. */
function refundOf(ctx: unknown): Refund | undefined {
  if (typeof ctx !== 'object' || ctx === null) return undefined
  const decision = (ctx as { rateLimit?: unknown }).rateLimit
  return typeof decision === 'object' && decision !== null ? refunds.get(decision) : undefined
}

/**
 * Registers how to give back what `decision` consumed (and what the decisions already on `ctx`
 * consumed). Only a normal admission recorded its cost: a shadow, degraded or refused decision
 * has nothing of its own to give back.
 */
export function registerRefund(limiter: RateLimiter, decision: RateLimitDecision, ctx: unknown): void {
  const earlier = refundOf(ctx)
  const recorded = decision.allowed && decision.reason === undefined
  if (!recorded && !earlier) return
  const rules = decision.rules.map((outcome) => outcome.rule.source)
  refunds.set(decision, async () => {
    await Promise.all([
      recorded ? limiter.refund(decision.identity, rules, { cost: decision.cost }) : undefined,
      earlier?.(),
    ])
  })
}

/**
 * Gives back the rate budget the call's `rateLimit` middlewares consumed. Never throws: the call
 * is refused anyway, and a refund that fails (store down, a store without `refund`) leaves the
 * charge standing, as without this.
 */
export async function refundRateBudget(ctx: unknown): Promise<void> {
  try {
    await refundOf(ctx)?.()
  } catch {
    // The charge stands.
  }
}

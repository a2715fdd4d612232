/**
 * A plan's quotas in GraphQL: used once per operation, atomically with one field's own rules.
 *
 * The quota must count an operation once, however many limited fields it runs, and never be
 * spent by a field its own rule refuses (nor a field's budget by a refused quota). So the first
 * limited field of the operation *carries* the quotas — its rules and the quotas in one store call
 * — while the operation's other limited fields wait for that answer:
 * - admitted: the quota is used; the waiting fields (and every later one) are checked against
 *   their own rules only, together again in one `consumeMany`;
 * - refused by a quota: the operation is over quota; every other limited field is refused with
 *   the same decision, without asking the store;
 * - refused by the field's own rules (or by a failure policy): nothing was recorded, so the next
 *   waiting field carries the quotas.
 *
 * The cost: an operation with several limited fields takes two store round trips instead of one
 * (the carrier, then the rest), and one more per carrier its own rule refuses. That last part is
 * bounded (§8: a document of a thousand refused aliases must not queue a thousand round trips one
 * after the other): after {@link MAX_CARRIERS} carriers refused by their own rules, the quotas are
 * charged on their own, once, and the remaining fields go together — the one case where the quota
 * is not atomic with a field's rule (the operation was admitted by the quota, and its later fields
 * may all be refused by their own rules). Operations of callers without quotas are unchanged.
 */
import { quotaRefusal, withQuotas } from '../identity/quotas.js'
import type { RateLimitDecision, RateLimitRule } from '../types.js'

/** Carriers refused by their own rules before the quotas are charged on their own. */
export const MAX_CARRIERS = 4

/**
 * Where one operation's quota stands: not carried yet (`undefined`), being carried (the promise
 * settles with the carrier's answer), used (`true`), or refused (the refusing decision).
 */
export type QuotaState = undefined | Promise<void> | true | RateLimitDecision

/** What {@link checkWithQuota} needs from the field limiter. */
export interface QuotaCheck {
  /** Checks the field against these rules (its own, or its own and the quotas) and reports the decision. */
  send(rules: readonly RateLimitRule[]): Promise<RateLimitDecision>
  /** Reports the quota's refusal for this field, which did not ask the store. */
  refused(decision: RateLimitDecision): RateLimitDecision
}

/**
 * One limited field's decision in an operation whose caller's plan has quotas (see the module
 * comment). `holder.quota` is the operation's {@link QuotaState}.
 */
export async function checkWithQuota(
  holder: { quota: QuotaState; carriers: number },
  rules: readonly RateLimitRule[],
  quotas: readonly RateLimitRule[],
  check: QuotaCheck,
): Promise<RateLimitDecision> {
  for (;;) {
    const current = holder.quota
    if (current === true) return check.send(rules)
    if (current instanceof Promise) {
      await current
      continue
    }
    if (current !== undefined) return check.refused(current)
    let settle: () => void = () => {}
    holder.quota = new Promise<void>((resolve) => {
      settle = resolve
    })
    try {
      const alone = holder.carriers++ >= MAX_CARRIERS
      const decision = await check.send(alone ? quotas : withQuotas(rules, quotas))
      holder.quota = decision.allowed ? true : quotaRefusal(decision) ? decision : undefined
      if (alone && decision.allowed) {
        settle() // the waiting fields need not wait for this one's own check
        return await check.send(rules)
      }
      return decision
    } catch (error) {
      holder.quota = undefined
      throw error
    } finally {
      settle()
    }
  }
}

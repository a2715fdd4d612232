import { makeDecision, ruleDecisions } from './decision.js'
import type { Prepared } from './limiter-request.js'
import type { RateLimitDecision, RuleDecision, StoreResult, StoreRule } from './types.js'

/** How {@link admitShadow} reaches the store: the limiter's consume or peek, under its deadline. */
export type StoreCheck = (rules: readonly StoreRule[], cost: number) => StoreResult | Promise<StoreResult>

/** What {@link admitShadow} needs to know besides the request. */
export interface ShadowAdmission {
  /** The limiter runs in shadow as a whole: no rule is enforced. */
  readonly allShadow: boolean
  /** `consume` (true) or `peek`. */
  readonly record: boolean
  /** The store has not seen this request yet (its cost is above a shadow rule's limit). */
  readonly unchecked: boolean
  readonly check: StoreCheck
}

/**
 * A shadow rule refused: admit with reason `'shadow'`, and record the cost under the enforced
 * rules so their budgets stay true. When the store has not seen the request yet (`unchecked`),
 * the enforced rules are checked even by a peek; an enforced rule that refuses refuses the whole
 * request (`'limited'`). A store failure on this second call admits, as the shadow rule asked.
 */
export async function admitShadow(
  p: Prepared,
  perRule: readonly RuleDecision[],
  how: ShadowAdmission,
): Promise<RateLimitDecision> {
  const { identity, resolved, storeRules, cost } = p
  const enforced = how.allShadow ? [] : resolved.flatMap((rule, i) => (rule.shadow ? [] : [i]))
  if ((how.record || how.unchecked) && enforced.length > 0) {
    try {
      const again = await how.check(
        enforced.map((i) => storeRules[i]!),
        cost,
      )
      if (!again.allowed || how.unchecked) {
        const merged = perRule.slice()
        ruleDecisions(
          enforced.map((i) => resolved[i]!),
          again,
        ).forEach((d, j) => {
          merged[enforced[j]!] = d
        })
        return again.allowed
          ? makeDecision(identity, cost, merged, true, 'shadow')
          : makeDecision(identity, cost, merged, false, 'limited')
      }
    } catch {
      // The first call reached the store; a failure now admits, as the shadow rule asked.
    }
  }
  return makeDecision(identity, cost, perRule, true, 'shadow')
}

import { assumedRuleDecision, makeDecision } from './decision.js'
import { describeValue, RateLimitConfigError } from './errors.js'
import type { StoreRuleCache } from './keys.js'
import type { Rules } from './limiter-api.js'
import { resolveRules, validateCost } from './options.js'
import type { RateLimitDecision, ResolvedRule, StoreRule } from './types.js'

/** A validated request, ready for the store. */
export interface Prepared {
  readonly identity: string
  readonly resolved: readonly ResolvedRule[]
  readonly cost: number
  readonly storeRules: readonly StoreRule[]
  /** Set when the answer is known without the store (cost above a limit). */
  early?: RateLimitDecision
}

/** Throws `INVALID_IDENTITY` unless the identity is a non-empty string. */
export function checkIdentity(identity: unknown): asserts identity is string {
  if (typeof identity !== 'string' || identity.length === 0) {
    throw new RateLimitConfigError(
      'INVALID_IDENTITY',
      `Expected the identity to be a non-empty string such as "user:42", got ${describeValue(identity)}`,
    )
  }
}

/**
 * Validates a request — programmer errors (identity, rules, cost) throw here, before any store
 * call — and builds its store keys (cached per identity × rule list).
 */
export function prepareRequest(keys: StoreRuleCache, identity: string, rules: Rules, cost = 1): Prepared {
  checkIdentity(identity)
  const resolved = resolveRules(rules)
  if (cost !== 1) validateCost(cost)
  const prepared: Prepared = { identity, resolved, cost, storeRules: keys.get(identity, resolved) }
  // Limits are ≥ 1, so only a cost above 1 can exceed one.
  if (cost !== 1 && resolved.some((rule) => cost > rule.limit)) {
    prepared.early = costTooHigh(identity, resolved, cost)
  }
  return prepared
}

/** A refusal that no amount of waiting fixes: the cost alone is larger than a rule's limit. */
function costTooHigh(identity: string, resolved: readonly ResolvedRule[], cost: number): RateLimitDecision {
  const perRule = resolved.map((rule) =>
    cost > rule.limit
      ? { ...assumedRuleDecision(rule, false, Number.POSITIVE_INFINITY), remaining: rule.limit, resetMs: 0 }
      : assumedRuleDecision(rule, true, 0),
  )
  return makeDecision(identity, cost, perRule, false, 'cost-exceeds-limit')
}

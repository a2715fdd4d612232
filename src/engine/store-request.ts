/**
 * A request as the engine passes it along — to the store, the failure policy, a shadow admission,
 * a refund or a usage report — and how one is built from a call's arguments.
 */
import { describeValue, RateLimitConfigError } from '../errors.js'
import type { StoreRuleCache } from '../keys.js'
import { resolveRules, validateCost } from '../rules.js'
import type { RateLimitDecision, ResolvedRule, StoreRule } from '../types.js'
import { assumedRuleDecision, makeDecision } from './decision.js'
import type { Rules } from './limiter-api.js'

/** A validated request: who, which rules (and their store keys, in the same order), how many units. */
export interface StoreRequest {
  readonly identity: string
  readonly resolved: readonly ResolvedRule[]
  readonly cost: number
  readonly storeRules: readonly StoreRule[]
  /** Set when the answer is known without the store: the cost is above a rule's limit. */
  readonly early?: RateLimitDecision
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
 * call — and finds its store keys (cached per identity × rule list).
 */
export function prepareRequest(keys: StoreRuleCache, identity: string, rules: Rules, cost = 1): StoreRequest {
  checkIdentity(identity)
  const resolved = resolveRules(rules)
  if (cost !== 1) validateCost(cost)
  const storeRules = keys.get(identity, resolved)
  // Capacities (`burst`: a token bucket's, else the limit) are ≥ 1, so only a cost above 1 can exceed one.
  if (cost !== 1 && resolved.some((rule) => cost > rule.burst)) {
    return { identity, resolved, cost, storeRules, early: costTooHigh(identity, resolved, cost) }
  }
  return { identity, resolved, cost, storeRules }
}

/** A refusal that no amount of waiting fixes: the cost alone is larger than a rule's limit. */
function costTooHigh(identity: string, resolved: readonly ResolvedRule[], cost: number): RateLimitDecision {
  const perRule = resolved.map((rule) =>
    cost > rule.burst
      ? { ...assumedRuleDecision(rule, false, Number.POSITIVE_INFINITY), remaining: rule.burst, resetMs: 0 }
      : assumedRuleDecision(rule, true, 0),
  )
  return makeDecision(identity, cost, perRule, false, 'cost-exceeds-limit')
}

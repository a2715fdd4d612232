/**
 * Shadow rules: a rule with `shadow: true` (or every rule, when the limiter runs in shadow) is
 * computed and reported but never refuses. A request refused only by shadow rules is admitted with
 * reason `'shadow'`, and the enforced rules of the same check keep their budgets true: the engine
 * asks the store about them alone (see `Engine.#admitShadow`) and merges that answer in here.
 */
import type { RateLimitDecision, ResolvedRule, RuleDecision, StoreResult } from '../types.js'
import { makeDecision, ruleDecisions } from './decision.js'
import { RuleSubset } from './rule-subset.js'
import type { StoreRequest } from './store-request.js'

/** True when every refusing rule is a shadow rule (or the whole limiter runs in shadow). */
export function onlyShadowRefused(rules: readonly RuleDecision[], allShadow: boolean): boolean {
  return allShadow || rules.every((r) => r.allowed || r.rule.shadow)
}

/** The rules a shadow admission still enforces: none when the whole limiter runs in shadow. */
export function enforcedRules(resolved: readonly ResolvedRule[], allShadow: boolean): RuleSubset {
  return allShadow ? RuleSubset.NONE : RuleSubset.where(resolved, (rule) => !rule.shadow)
}

/** The admission a shadow rule asked for: `perRule` as they were, reason `'shadow'`. */
export function shadowAdmission(request: StoreRequest, perRule: readonly RuleDecision[]): RateLimitDecision {
  return makeDecision(request.identity, request.cost, perRule, true, 'shadow')
}

/**
 * The decision once the store has answered for the `enforced` rules alone: their numbers replace
 * theirs in `perRule`; admitted with reason `'shadow'` when they admit (and, for a consume, were
 * charged), else refused by them (`'limited'`).
 */
export function afterEnforcedCheck(
  request: StoreRequest,
  perRule: readonly RuleDecision[],
  enforced: RuleSubset,
  answer: StoreResult,
): RateLimitDecision {
  const merged = enforced.merge(perRule, ruleDecisions(enforced.pick(request.resolved), answer))
  const reason = answer.allowed ? 'shadow' : 'limited'
  return makeDecision(request.identity, request.cost, merged, answer.allowed, reason)
}

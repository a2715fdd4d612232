/**
 * Store numbers → decisions: each rule's outcome, the binding rule, the decision itself; and the
 * one answer to "which of two states of one rule is more restrictive".
 */
import type {
  DecisionReason,
  RateLimitDecision,
  ResolvedRule,
  RuleDecision,
  StoreErrorPolicy,
  StoreResult,
} from '../types.js'

/** Turns the store's per-rule numbers into per-rule decisions. */
export function ruleDecisions(rules: readonly ResolvedRule[], result: StoreResult): RuleDecision[] {
  const out: RuleDecision[] = new Array(rules.length)
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!
    const r = result.rules[i]!
    out[i] = {
      rule,
      allowed: r.retryAfterMs === 0,
      limit: rule.limit,
      // Units left of what the budget holds: a token bucket holds `burst`, every other rule `limit`.
      remaining: Math.max(0, Math.floor(rule.burst - r.used)),
      resetMs: r.resetMs,
      retryAfterMs: r.retryAfterMs,
    }
  }
  return out
}

/**
 * The binding rule: when refused, the refusing rule with the longest wait; when admitted, the
 * rule with the fewest units left (then the longest reset).
 */
export function bindingRule(rules: readonly RuleDecision[], allowed: boolean): RuleDecision {
  let best = rules[0]!
  for (let i = 1; i < rules.length; i++) {
    const r = rules[i]!
    if (allowed) {
      if (r.remaining < best.remaining || (r.remaining === best.remaining && r.resetMs > best.resetMs))
        best = r
    } else if (!r.allowed && (best.allowed || r.retryAfterMs > best.retryAfterMs)) {
      best = r
    }
  }
  return best
}

/**
 * True when rule state `a` is more restrictive than `b`: refused before admitted; between two
 * refusals, the longer wait; then fewer units left; then the longer reset. Everything that merges
 * several states of one rule into one — the `RateLimit` header, `extensions.rateLimit` — uses this
 * function, so they always name the same state.
 */
export function moreRestrictive(a: RuleDecision, b: RuleDecision): boolean {
  if (a.allowed !== b.allowed) return !a.allowed
  if (!a.allowed && a.retryAfterMs !== b.retryAfterMs) return a.retryAfterMs > b.retryAfterMs
  if (a.remaining !== b.remaining) return a.remaining < b.remaining
  return a.resetMs > b.resetMs
}

/** Assembles a decision; `reason` and `policy` are left out entirely when undefined. */
export function makeDecision(
  identity: string,
  cost: number,
  rules: readonly RuleDecision[],
  allowed: boolean,
  reason?: DecisionReason,
  policy?: StoreErrorPolicy,
): RateLimitDecision {
  const binding = bindingRule(rules, allowed)
  const decision: {
    -readonly [K in keyof RateLimitDecision]: RateLimitDecision[K]
  } = {
    allowed,
    limit: binding.limit,
    remaining: binding.remaining,
    resetMs: binding.resetMs,
    retryAfterMs: allowed ? 0 : Math.max(1, binding.retryAfterMs),
    rule: binding.rule,
    rules,
    identity,
    cost,
  }
  if (reason !== undefined) decision.reason = reason
  if (policy !== undefined) decision.policy = policy
  return decision
}

/** Per-rule decisions for rules the store was not asked about (failure policy `open`/`closed`). */
export function assumedRuleDecision(
  rule: ResolvedRule,
  allowed: boolean,
  retryAfterMs: number,
): RuleDecision {
  return {
    rule,
    allowed,
    limit: rule.limit,
    remaining: allowed ? rule.burst : 0,
    resetMs: allowed ? 0 : retryAfterMs,
    retryAfterMs: allowed ? 0 : retryAfterMs,
  }
}

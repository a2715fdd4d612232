import type { DecisionHook } from '../engine/events.js'
import type { RateLimitDecision, ResolvedRule } from '../types.js'

/** Rule label value that collects every rule name past `maxRuleLabels`. */
export const OTHER_RULES_LABEL = 'other'

/** Decisions per outcome for one rule label: allowed, limited, degraded, shadow, cached. */
export type RuleCounts = Float64Array

/** Where a decision listener counts. */
export interface DecisionTally {
  /** Rule label → counts; the label is the rule name, cut at 200 characters, or `'other'`. */
  readonly decisions: Map<string, RuleCounts>
  readonly maxRuleLabels: number
  /** Called with each timed store round trip, in milliseconds. */
  readonly observe: (storeMs: number) => void
}

/**
 * Index in {@link RuleCounts} (the order of `OUTCOMES`). A plain admission has no `reason`, so it
 * costs one comparison; a policy answer is degraded whatever it decided (it always has a reason).
 */
function outcomeIndex(decision: RateLimitDecision): number {
  const reason = decision.reason
  if (reason === undefined) return 0
  if (decision.policy !== undefined) return 2
  if (reason === 'cached') return 4
  return reason === 'shadow' ? 3 : decision.allowed ? 0 : 1
}

/**
 * Builds the `decision` hook. It runs on every decision while metrics are on, so it is a closure
 * over plain locals (cheaper than class fields here) and does an identity check on the binding
 * rule (resolved rules are cached objects), at most a look-up, and one increment. Peeks are timed
 * but not counted as decisions.
 */
export function decisionListener(tally: DecisionTally): DecisionHook {
  const { decisions, maxRuleLabels, observe } = tally
  // Resolved rule → its counts. Weak: rules (and names folded into 'other') cannot grow memory.
  const byRule = new WeakMap<ResolvedRule, RuleCounts>()
  let lastRule: ResolvedRule | undefined
  let lastCounts: RuleCounts = new Float64Array(5) // never counted into: no rule is undefined

  // First decision for a rule object: pick its label (an earlier rule of the same name shares it).
  const slot = (rule: ResolvedRule): RuleCounts => {
    const name = rule.name
    let label = name.length > 200 ? `${name.slice(0, 200)}…` : name
    if (!decisions.has(label) && decisions.size >= maxRuleLabels) label = OTHER_RULES_LABEL
    let counts = decisions.get(label)
    if (!counts) {
      counts = new Float64Array(5)
      decisions.set(label, counts)
    }
    byRule.set(rule, counts)
    return counts
  }

  return (decision, storeMs, operation) => {
    if (storeMs > 0) observe(storeMs) // a round trip was timed (see DecisionEvent)
    if (operation !== 'consume') return
    const rule = decision.rule
    if (rule !== lastRule) {
      lastCounts = byRule.get(rule) ?? slot(rule)
      lastRule = rule
    }
    lastCounts[outcomeIndex(decision)]! += 1
  }
}

import type { DecisionEvent } from '../types.js'

/** Rule label value that collects every rule name past `maxRuleLabels`. */
export const OTHER_RULES_LABEL = 'other'

/** Decisions per outcome for one rule label: allowed, limited, degraded, shadow. */
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
 * Builds the `decision` listener. It runs on every decision while metrics are on, so it is a
 * closure over plain locals (cheaper than class fields here) and does a string identity check,
 * at most a map look-up, and one increment. Peeks are timed but not counted as decisions.
 */
export function decisionListener(tally: DecisionTally): (event: DecisionEvent) => void {
  const { decisions, maxRuleLabels, observe } = tally
  const byName = new Map<string, RuleCounts>()
  let lastName: string | undefined
  let lastCounts: RuleCounts | undefined

  // First decision for a rule name: pick its label. Names folded into 'other' are not cached, so
  // generated names cannot grow memory.
  const slot = (name: string): RuleCounts => {
    let label = name.length > 200 ? `${name.slice(0, 200)}…` : name
    const folded = !decisions.has(label) && decisions.size >= maxRuleLabels
    if (folded) label = OTHER_RULES_LABEL
    let counts = decisions.get(label)
    if (!counts) {
      counts = new Float64Array(4)
      decisions.set(label, counts)
    }
    if (!folded) byName.set(name, counts)
    return counts
  }

  return (event) => {
    if (event.storeMs > 0) observe(event.storeMs) // a round trip was timed (see DecisionEvent)
    if (event.operation !== 'consume') return
    const decision = event.decision
    const name = decision.rule.name
    let counts = lastCounts
    if (name !== lastName || counts === undefined) {
      counts = byName.get(name) ?? slot(name)
      lastName = name
      lastCounts = counts
    }
    // Indexed like OUTCOMES: a policy answer is degraded whatever it decided.
    counts[
      decision.policy !== undefined ? 2 : decision.reason === 'shadow' ? 3 : decision.allowed ? 0 : 1
    ]! += 1
  }
}

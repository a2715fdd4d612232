import { moreRestrictive } from '../../engine/decision.js'
import { retryAfterSeconds, seconds, windowSeconds } from '../../headers.js'
import type { RateLimitDecision, RuleDecision } from '../../types.js'

/**
 * What one GraphQL operation learned about its limits: the merged state of every policy it
 * touched and the cost the budget charged. Kept in the context under {@link LIMIT_STATE}.
 */
export interface LimitState {
  /** Per rule id, the most restrictive state seen (never simply the last one). */
  readonly policies: Map<string, RuleDecision>
  /** Set by `useCostBudget()`. */
  cost?: CostReport
}

/** The cost part of `extensions.rateLimit`. */
export interface CostReport {
  /** Points charged before execution. */
  readonly cost: number
  /** The largest cost one operation may have, when `maxCost` is set. */
  readonly maxCost?: number
  /** Points the operation actually used (list sizes returned), when `refund` is set. */
  actualCost?: number
}

/** One policy in `extensions.rateLimit.policies`. Times are whole seconds, rounded up. */
export interface RateLimitPolicyState {
  /** The rule's name: `GraphQL.cost`, a field coordinate (`Query.search`) or a bucket. */
  readonly policy: string
  readonly limit: number
  /** Units left after this operation. */
  readonly remaining: number
  /** Seconds until the whole budget is back. */
  readonly reset: number
  /** The window, in seconds; for a calendar quota the nominal length of its period (a month: 31 days). */
  readonly window: number
  /** A calendar quota's period (`reset` is the time to its end). */
  readonly period?: 'day' | 'week' | 'month'
  /** A calendar quota's time zone. */
  readonly timeZone?: string
  /** A token bucket's capacity: `remaining` counts up to it. */
  readonly burst?: number
  /** Seconds until this policy would admit the refused request again (only when it refused). */
  readonly retryAfter?: number
  /** Present when the policy runs in shadow mode: it reports but never refuses. */
  readonly shadow?: true
}

/** `extensions.rateLimit` of a response. */
export interface RateLimitExtension {
  readonly cost?: number
  readonly actualCost?: number
  readonly maxCost?: number
  readonly policies: readonly RateLimitPolicyState[]
}

/** Where the state lives in the context (`Symbol.for`, so two copies of the package still meet). */
export const LIMIT_STATE: unique symbol = Symbol.for('resolver-rate-limit.graphql.limit-state')

/** The operation's state, when `useRateLimitExtensions()` put one in this context. */
export function limitStateOf(context: unknown): LimitState | undefined {
  return context !== null && typeof context === 'object'
    ? (context as { [LIMIT_STATE]?: LimitState })[LIMIT_STATE]
    : undefined
}

/** Merges a decision into the state: per rule, the most restrictive state wins. */
export function recordDecision(state: LimitState, decision: RateLimitDecision): void {
  for (const rule of decision.rules) {
    const seen = state.policies.get(rule.rule.id)
    if (!seen || moreRestrictive(rule, seen)) state.policies.set(rule.rule.id, rule)
  }
}

function policyState(r: RuleDecision): RateLimitPolicyState {
  return {
    policy: r.rule.name,
    limit: r.limit,
    remaining: r.remaining,
    reset: seconds(r.resetMs),
    window: windowSeconds(r.rule.windowMs),
    ...(!r.allowed && Number.isFinite(r.retryAfterMs) ? { retryAfter: retryAfterSeconds(r) } : {}),
    ...(r.rule.shadow ? { shadow: true as const } : {}),
    ...(r.rule.calendar ? { period: r.rule.calendar.period, timeZone: r.rule.calendar.timeZone } : {}),
    ...(r.rule.algorithm === 'token-bucket' ? { burst: r.rule.burst } : {}),
  }
}

/** The `extensions.rateLimit` value; `undefined` when the operation touched no limit and no budget. */
export function rateLimitExtension(state: LimitState): RateLimitExtension | undefined {
  if (state.policies.size === 0 && !state.cost) return undefined
  const { cost } = state
  return {
    ...(cost ? { cost: cost.cost } : {}),
    ...(cost?.actualCost !== undefined ? { actualCost: cost.actualCost } : {}),
    ...(cost?.maxCost !== undefined ? { maxCost: cost.maxCost } : {}),
    policies: [...state.policies.values()].map(policyState),
  }
}

/**
 * Plan quotas: a plan's `quotas` are ordinary rules that ride along with every limited request of
 * the key's budget owner, in the same store call as the field's or procedure's own rules — so a
 * refusal by either records nothing under the other. This file names them, applies per-key
 * overrides, and recognises a refusal that a quota caused (for the adapters' errors).
 *
 * A quota is recognised by its rule object (a WeakSet of the objects handed to the limiter), not
 * by its name: a field rule a user happens to name `quota:free:0` is not a quota.
 */
import { describeValue, invalidConfig } from '../errors.js'
import { resolveRule } from '../rules.js'
import type { RateLimitDecision, RateLimitRule, RuleDecision } from '../types.js'
import { WeakPairCache } from './pair-cache.js'
import type { Caller, LimitOverride, Plan } from './types.js'

/** Most quotas one plan may carry: each is one more key in every check of its callers. */
export const MAX_PLAN_QUOTAS = 16

const NONE: readonly RateLimitRule[] = Object.freeze([])
/** Every rule object that is a quota, as handed to the limiter. */
const quotaRules = new WeakSet<object>()
const byPlan = new WeakMap<Plan, readonly RateLimitRule[]>()
const byOverrides = new WeakPairCache<object, Plan, readonly RateLimitRule[]>()
const combined = new WeakPairCache<
  readonly RateLimitRule[],
  readonly RateLimitRule[],
  readonly RateLimitRule[]
>()

function quota(rule: RateLimitRule): RateLimitRule {
  const frozen = Object.freeze(rule)
  quotaRules.add(frozen)
  return frozen
}

/**
 * The plan's quotas, each named (`quota:<plan>:<index>` unless it has a `name`), validated and
 * frozen: one list per plan object.
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the plan and the quota.
 */
export function planQuotas(plan: Plan): readonly RateLimitRule[] {
  const cached = byPlan.get(plan)
  if (cached) return cached
  const { quotas } = plan
  if (quotas === undefined) return NONE
  const label = `\`quotas\` of plan "${plan.name}"`
  if (!Array.isArray(quotas) || quotas.length > MAX_PLAN_QUOTAS) {
    invalidConfig(
      `Expected ${label} to be an array of at most ${MAX_PLAN_QUOTAS} rules { limit, window, name? }, got ${describeValue(quotas)}`,
    )
  }
  if (quotas.length > 0 && plan.unlimited) {
    invalidConfig(`Plan "${plan.name}" cannot be both \`unlimited\` and carry \`quotas\`: choose one`)
  }
  const named = quotas.map((rule: RateLimitRule, index) => {
    if (typeof rule !== 'object' || rule === null) {
      invalidConfig(
        `Expected ${label}[${index}] to be a rule { limit, window, name? }, got ${describeValue(rule)}`,
      )
    }
    const named = quota({ ...rule, name: rule.name ?? `quota:${plan.name}:${index}` })
    try {
      resolveRule(named)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      invalidConfig(`Invalid ${label}[${index}]: ${message}`)
    }
    return named
  })
  const list = Object.freeze(named)
  byPlan.set(plan, list)
  return list
}

function override(rule: RateLimitRule, limits: Readonly<Record<string, LimitOverride>>): RateLimitRule {
  const name = rule.name!
  if (!Object.hasOwn(limits, name)) return rule
  const { limit, window } = limits[name]!
  return quota({ ...rule, limit, ...(window !== undefined ? { window } : {}) })
}

/**
 * The quotas that apply to this caller: its plan's, with the per-key `limits` replacing a quota by
 * name. Empty without a plan or quotas. Cached per plan and overrides object.
 */
export function quotasForCaller(caller: Pick<Caller, 'plan' | 'overrides'>): readonly RateLimitRule[] {
  const { plan, overrides } = caller
  if (!plan?.quotas || plan.quotas.length === 0) return NONE
  const quotas = planQuotas(plan)
  if (!overrides) return quotas
  return byOverrides.get(overrides, plan, () =>
    Object.freeze(quotas.map((rule) => override(rule, overrides))),
  )
}

/** `rules` followed by `quotas`, as one list checked atomically; the same list object for the same pair. */
export function withQuotas(
  rules: readonly RateLimitRule[],
  quotas: readonly RateLimitRule[],
): readonly RateLimitRule[] {
  if (quotas.length === 0) return rules
  return combined.get(rules, quotas, () => Object.freeze([...rules, ...quotas]))
}

/** Whether this rule object is a plan quota (as handed to the limiter by the adapters). */
export function isQuotaRule(rule: RateLimitRule): boolean {
  return quotaRules.has(rule)
}

/**
 * Which quota refused a request: its name, limit, and when its whole budget is back. Reported by
 * the GraphQL error (`extensions.quota`) and the tRPC error (`cause.quota`, `rateLimitErrorData`).
 */
export interface QuotaRefusal {
  /** The quota's name: `quota:<plan>:<index>` or the name the plan gave it. */
  readonly name: string
  readonly limit: number
  /** Milliseconds until the quota is whole again. */
  readonly resetMs: number
  /** When the quota is whole again, as an ISO 8601 date (the app server's clock). */
  readonly resetsAt: string
}

/**
 * The quota behind a refusal, or `undefined` when no quota refused (a refusal by the field's or
 * procedure's own rules or by a failure policy, or an admission). With several refusing quotas, the one with the longest wait.
 */
export function quotaRefusal(decision: RateLimitDecision, now = Date.now()): QuotaRefusal | undefined {
  // Only a counted refusal: a store outage under `onStoreError: 'closed'` is not a spent quota.
  if (
    decision.allowed ||
    (decision.reason !== 'limited' && decision.reason !== 'outage-usage' && decision.reason !== 'cached')
  )
    return undefined
  let refusing: RuleDecision | undefined
  for (const outcome of decision.rules) {
    if (outcome.allowed || !isQuotaRule(outcome.rule.source)) continue
    if (!refusing || outcome.retryAfterMs > refusing.retryAfterMs) refusing = outcome
  }
  if (!refusing) return undefined
  return {
    name: refusing.rule.name,
    limit: refusing.limit,
    resetMs: refusing.resetMs,
    resetsAt: new Date(now + refusing.resetMs).toISOString(),
  }
}

import { tryParseDuration } from '../duration.js'
import { describeValue, invalidConfig } from '../errors.js'
import { MAX_LIMIT } from '../rules.js'
import { planQuotas } from './quotas.js'
import type { LimitOverride, Plan, PlanDefinition } from './types.js'

/** Largest `scale` accepted: beyond it a plan is effectively unlimited, which must be said with `unlimited: true`. */
export const MAX_PLAN_SCALE = 1_000_000

const validPlans = new WeakSet<object>()
const validOverrides = new WeakSet<object>()

/**
 * Validates per-rule limits (`{ 'Query.search': { limit: 100, window: '1m' } }`), once per object.
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming `where` and the rule.
 */
export function validateOverrides(
  limits: unknown,
  where = '`limits`',
): Readonly<Record<string, LimitOverride>> {
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    invalidConfig(
      `Expected ${where} to be an object of rule name → { limit, window? }, got ${describeValue(limits)}`,
    )
  }
  if (validOverrides.has(limits)) return limits as Record<string, LimitOverride>
  for (const [name, override] of Object.entries(limits)) {
    const { limit, window } = (override ?? {}) as Partial<LimitOverride>
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_LIMIT) {
      invalidConfig(
        `Expected ${where}["${name}"].limit to be an integer from 1 to ${MAX_LIMIT}, got ${describeValue(limit)}`,
      )
    }
    if (window !== undefined && tryParseDuration(window) === undefined) {
      invalidConfig(
        `Expected ${where}["${name}"].window to be a duration such as '30s', '1m', '1h30m' or milliseconds, got ${describeValue(window)}`,
      )
    }
  }
  validOverrides.add(limits)
  return limits as Record<string, LimitOverride>
}

/**
 * Validates a plan once per object: a name, and a `scale` > 0, per-rule `limits`, or an explicit
 * `unlimited: true`.
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the plan and the field.
 */
export function validatePlan(plan: unknown, where = '`plan`'): Plan {
  if (typeof plan !== 'object' || plan === null)
    invalidConfig(
      `Expected ${where} to be a plan object { name, scale?, limits?, unlimited?, quotas? }, got ${describeValue(plan)}`,
    )
  if (validPlans.has(plan)) return plan as Plan
  const { name, scale, limits, unlimited } = plan as Partial<Plan>
  if (typeof name !== 'string' || name.length === 0 || name.length > 100) {
    invalidConfig(
      `Expected ${where}.name to be a non-empty string of at most 100 characters, got ${describeValue(name)}`,
    )
  }
  const label = `plan "${name}"`
  if (scale !== undefined && (typeof scale !== 'number' || !(scale > 0) || scale > MAX_PLAN_SCALE)) {
    invalidConfig(
      `Expected \`scale\` of ${label} to be a number > 0 and ≤ ${MAX_PLAN_SCALE} (use unlimited: true for no limit), got ${describeValue(scale)}`,
    )
  }
  if (limits !== undefined) validateOverrides(limits, `\`limits\` of ${label}`)
  if (unlimited !== undefined && typeof unlimited !== 'boolean') {
    invalidConfig(`Expected \`unlimited\` of ${label} to be true or false, got ${describeValue(unlimited)}`)
  }
  planQuotas(plan as Plan)
  validPlans.add(plan)
  return plan as Plan
}

/** The plans `definePlans` returns: each with its `name`, typed as given. */
export type DefinedPlans<T extends Record<string, PlanDefinition>> = {
  readonly [K in keyof T]: T[K] & Plan
}

/**
 * Validates a set of plans by name and returns it. A plan's `name` may be left out: it is its
 * key (a plan that gives one must give its key). Quotas are checked here too (see `Plan.quotas`).
 *
 * @example
 * const plans = definePlans({
 *   free: { quotas: [{ limit: 1000, window: '1d' }] },
 *   pro: { scale: 10, limits: { 'Mutation.upload': { limit: 100, window: '1h' } } },
 *   internal: { unlimited: true },
 * })
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the plan and the field.
 */
export function definePlans<T extends Record<string, PlanDefinition>>(plans: T): DefinedPlans<T> {
  if (typeof plans !== 'object' || plans === null || Array.isArray(plans)) {
    invalidConfig(`Expected \`plans\` to be an object of plan name → plan, got ${describeValue(plans)}`)
  }
  let named: Record<string, PlanDefinition> | undefined
  for (const [key, given] of Object.entries(plans)) {
    let plan = given
    if (typeof plan === 'object' && plan !== null && plan.name === undefined) {
      plan = { ...plan, name: key }
      named ??= { ...plans }
      named[key] = plan
    }
    validatePlan(plan, `\`plans.${key}\``)
    if (plan.name !== key)
      invalidConfig(
        `Expected \`plans.${key}.name\` to be "${key}" (its key), got ${describeValue(plan.name)}`,
      )
  }
  // The same object when every plan was named: callers may compare it.
  return (named ?? plans) as DefinedPlans<T>
}

/**
 * The known name a mistyped one most likely meant: the same letters in another case, or one or
 * two edits away. For error messages (`did you mean "free"?`).
 */
export function likelyName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase()
  const exact = known.find((k) => k.toLowerCase() === lower)
  if (exact) return exact
  return known.find((k) => Math.abs(k.length - name.length) <= 2 && editDistance(k, name) <= 2)
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length]!
}

import { describeValue, RateLimitConfigError } from '../errors.js'
import { MAX_LIMIT } from '../rules.js'
import type { RateLimitRule } from '../types.js'
import { WeakPairCache } from './pair-cache.js'
import { quotasForCaller, withQuotas } from './quotas.js'
import type { Caller, Identify, LimitOverride, Plan } from './types.js'

/** Normalises what an `identify` function returned. */
export function toCaller(value: Caller | string): Caller {
  if (typeof value === 'string') return { id: value, kind: 'custom' }
  if (value && typeof value.id === 'string') return value
  throw new RateLimitConfigError(
    'INVALID_IDENTITY',
    `Expected identify() to return a string or { id, kind }, got ${describeValue(value)}`,
  )
}

/** Calls `identify` and normalises its answer; a synchronous throw rejects. */
export async function resolveCaller<TContext>(identify: Identify<TContext>, ctx: TContext): Promise<Caller> {
  return identifyNow(identify, ctx)
}

/**
 * {@link resolveCaller} without a promise when `identify` answers synchronously (the default chain
 * does for a user id): the adapters' hot paths then pay no promise for it. A thenable that is not
 * a promise is adopted. May throw synchronously.
 */
export function identifyNow<TContext>(identify: Identify<TContext>, ctx: TContext): Caller | Promise<Caller> {
  const answer = identify(ctx)
  return typeof (answer as PromiseLike<unknown> | null)?.then === 'function'
    ? Promise.resolve(answer).then(toCaller)
    : toCaller(answer as Caller | string)
}

/**
 * The override written for `name`, never one inherited: `limits.toString` is `Object.prototype`'s
 * function, and a rule may be named `toString` (a tRPC procedure, a `@rateLimit(bucket:)`).
 */
function ownOverride(
  limits: Readonly<Record<string, LimitOverride>> | undefined,
  name: string,
): LimitOverride | undefined {
  return limits !== undefined && Object.hasOwn(limits, name) ? limits[name] : undefined
}

const planCache = new WeakPairCache<object, readonly RateLimitRule[], readonly RateLimitRule[]>()

function adjust(
  rule: RateLimitRule,
  plan: Plan | undefined,
  overrides: Readonly<Record<string, LimitOverride>> | undefined,
): RateLimitRule {
  const name = rule.name ?? 'default'
  const override = ownOverride(overrides, name) ?? ownOverride(plan?.limits, name)
  if (override) return { ...rule, limit: override.limit, window: override.window ?? rule.window }
  if (plan?.scale !== undefined && plan.scale !== 1) {
    return { ...rule, limit: Math.min(MAX_LIMIT, Math.max(1, Math.floor(rule.limit * plan.scale))) }
  }
  return rule
}

/**
 * The rules as they apply to this caller, for one request: plan and per-key overrides applied, then
 * the plan's quotas (see `Plan.quotas`), all to be checked in one `consume`. Returns `null` for an
 * unlimited plan (skip the check). Results are cached per plan (or overrides object) and rule list,
 * so the adjusted rules are validated once, not on every request.
 *
 * One request, one call: the GraphQL directive, which makes one check per field, adds the quotas
 * once per operation itself.
 */
export function rulesForCaller(
  rules: readonly RateLimitRule[],
  caller: Caller,
): readonly RateLimitRule[] | null {
  const adjusted = planRulesForCaller(rules, caller)
  return adjusted === null ? null : withQuotas(adjusted, quotasForCaller(caller))
}

/** {@link rulesForCaller} without the plan's quotas: one field's own rules. */
export function planRulesForCaller(
  rules: readonly RateLimitRule[],
  caller: Caller,
): readonly RateLimitRule[] | null {
  const { plan, overrides } = caller
  if (!plan && !overrides) return rules
  if (plan?.unlimited) return null
  const owner: object = overrides ?? plan!
  return planCache.get(owner, rules, () => rules.map((rule) => adjust(rule, plan, overrides)))
}

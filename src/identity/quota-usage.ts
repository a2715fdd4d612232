/**
 * `quotaUsage`: a customer's plan quotas as they stand — used, remaining, when each is whole
 * again — for a usage page or a billing export. One `limiter.usage` call (one store round trip)
 * over the plan's quota rules, recording nothing.
 */
import type { RuleUsage } from '../engine/usage.js'
import { describeValue, invalidConfig } from '../errors.js'
import type { RateLimiter } from '../limiter.js'
import { apiKeyIdentity } from './api-keys.js'
import { quotasForCaller } from './quotas.js'
import type { Caller, LimitOverride, Plan } from './types.js'

/**
 * Whose quotas to read: a caller (as `identify` returned it in a request), or an API-key account
 * by its owner and plan (the identity its keys share under `budget: 'owner'`, the default).
 */
export type QuotaSubject =
  | Pick<Caller, 'id' | 'plan' | 'overrides'>
  | {
      readonly owner: string | number
      readonly plan: Plan | undefined
      /** The key's own limits, when they replace a quota by name. */
      readonly overrides?: Readonly<Record<string, LimitOverride>>
    }

/** What {@link quotaUsage} reports. */
export interface QuotaUsage {
  /** The identity the quotas are counted under. */
  readonly identity: string
  /** The plan's name; `undefined` without a plan. */
  readonly plan: string | undefined
  /** Each quota's state, in the plan's order (empty when the plan has none: no store call). */
  readonly quotas: readonly RuleUsage[]
}

/**
 * Reads a customer's plan quotas without recording anything.
 *
 * @example
 * // In a request: the caller identify returned.
 * const { quotas } = await quotaUsage(limiter, await resolveCaller(identify, ctx))
 * for (const q of quotas) console.log(q.rule.name, `${q.used}/${q.limit}`, new Date(q.resetsAt))
 * // For a billing export: by account.
 * await quotaUsage(limiter, { owner: 'acct_42', plan: plans.pro })
 * @throws StoreError when the store fails (like `limiter.usage`: no failure policy answers for a read).
 */
export async function quotaUsage(
  limiter: Pick<RateLimiter, 'usage'>,
  subject: QuotaSubject,
): Promise<QuotaUsage> {
  if (typeof subject !== 'object' || subject === null) {
    invalidConfig(
      `Expected a caller { id, plan } or an account { owner, plan }, got ${describeValue(subject)}`,
    )
  }
  const identity =
    'id' in subject && typeof subject.id === 'string'
      ? subject.id
      : apiKeyIdentity('owner', String((subject as { owner: string | number }).owner), '')
  const quotas = quotasForCaller(subject)
  const plan = subject.plan?.name
  if (quotas.length === 0) return { identity, plan, quotas: [] }
  const usage = await limiter.usage(identity, quotas)
  return { identity, plan, quotas: usage.rules }
}

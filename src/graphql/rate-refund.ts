/**
 * Gives back a field's `@rateLimit` charge when its `@concurrencyLimit` refuses the resolution —
 * the GraphQL side of "a call refused by its concurrency limit keeps no rate budget" (tRPC:
 * `trpc/rate-refund.ts`).
 *
 * Two parts:
 * - **Nesting.** Each wrapper a transformer installs is marked with its kind and what it wraps, so
 *   the `@rateLimit` check always runs *outside* the `@concurrencyLimit` slot, whichever
 *   transformer was applied first: the concurrency transformer places its wrapper inside the rate
 *   wrappers it finds ({@link insideRate}), and a rate wrapper knows at build time whether a slot
 *   is taken inside it ({@link holdsConcurrency}) — only those fields pay for a refund record.
 *   A call its rate rule refuses thus never takes a slot, in either order.
 * - **The charge.** The rate wrapper records, per resolution (keyed by the `GraphQLResolveInfo`
 *   graphql-js builds for each resolution and hands to every wrapper of the field), what it
 *   recorded for this resolution alone; the concurrency wrapper takes it synchronously when it is
 *   called (so a record never outlives the one call it belongs to) and refunds it on refusal.
 *
 * Only what is exclusively this resolution's is given back: its field's own rules (same limiter,
 * identity, rules and cost), never a plan quota (charged once for the whole operation, see
 * `operation-quota.ts`), and nothing when the decision is shared by the items of a list
 * (`listMode: 'path'`: one decision for every item of a path) — the rate wrapper does not record
 * those. Only a normal admission recorded its cost: a shadow or degraded one is not refunded.
 */
import type { GraphQLFieldResolver, GraphQLResolveInfo } from 'graphql'
import { isQuotaRule } from '../identity/quotas.js'
import type { RateLimiter } from '../limiter.js'
import type { RateLimitDecision, RateLimitRule } from '../types.js'

// biome-ignore lint/suspicious/noExplicitAny: resolvers of any source, context and arguments.
type Resolver = GraphQLFieldResolver<any, any, any, unknown>

interface Wrapper {
  readonly kind: 'rate' | 'concurrency'
  readonly inner: Resolver
  /** The same wrapper around another resolver. */
  readonly rewrap: (inner: Resolver) => Resolver
}

const wrappers = new WeakMap<object, Wrapper>()

/** Marks `wrapped` as a limiter wrapper of `kind` around `inner`; returns it. */
export function markWrapper(
  kind: Wrapper['kind'],
  wrapped: Resolver,
  inner: Resolver,
  rewrap: (inner: Resolver) => Resolver,
): Resolver {
  wrappers.set(wrapped, { kind, inner, rewrap })
  return wrapped
}

/** True when `resolve` is a concurrency wrapper, or rate wrappers around one. */
export function holdsConcurrency(resolve: Resolver): boolean {
  const wrapper = wrappers.get(resolve)
  if (wrapper?.kind === 'concurrency') return true
  return wrapper?.kind === 'rate' && holdsConcurrency(wrapper.inner)
}

/** `wrap` applied inside the rate wrappers around `resolve` (rebuilt around it), else around `resolve`. */
export function insideRate(resolve: Resolver, wrap: (inner: Resolver) => Resolver): Resolver {
  const wrapper = wrappers.get(resolve)
  return wrapper?.kind === 'rate' ? wrapper.rewrap(insideRate(wrapper.inner, wrap)) : wrap(resolve)
}

/** What one rate wrapper recorded for one resolution, and what the wrappers outside it recorded. */
export interface RateCharge {
  readonly limiter: RateLimiter
  readonly identity: string
  readonly rules: readonly RateLimitRule[]
  readonly cost: number
  readonly outer: RateCharge | undefined
}

const charges = new WeakMap<GraphQLResolveInfo, RateCharge>()

/**
 * Records what `decision` charged for this resolution alone: its rules without the plan quotas,
 * when it recorded anything. The caller records only decisions that are not shared.
 */
export function recordCharge(
  info: GraphQLResolveInfo,
  limiter: RateLimiter,
  decision: RateLimitDecision,
): void {
  if (!decision.allowed || decision.reason !== undefined) return
  const rules: RateLimitRule[] = []
  for (const outcome of decision.rules) if (!isQuotaRule(outcome.rule.source)) rules.push(outcome.rule.source)
  if (rules.length === 0) return
  const { identity, cost } = decision
  charges.set(info, { limiter, identity, rules, cost, outer: charges.get(info) })
}

/** Takes (and forgets) what the rate wrappers around this resolution recorded. */
export function takeCharge(info: GraphQLResolveInfo): RateCharge | undefined {
  const charge = charges.get(info)
  if (charge !== undefined) charges.delete(info)
  return charge
}

/**
 * Gives back every charge of the chain. Never throws: the resolution is refused anyway, and a
 * refund that fails (store down, a store without `refund`) leaves that charge standing.
 */
export async function giveBack(charge: RateCharge | undefined): Promise<void> {
  const refunds: Promise<unknown>[] = []
  for (let at = charge; at !== undefined; at = at.outer) {
    refunds.push(at.limiter.refund(at.identity, at.rules, { cost: at.cost }).catch(() => undefined))
  }
  await Promise.all(refunds)
}

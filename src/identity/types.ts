import type { Duration, RateLimitRule } from '../types.js'

/** How the caller was recognised. */
export type CallerKind = 'user' | 'api-key' | 'ip' | 'custom'

/** A limit that replaces a rule's own, by rule name. */
export interface LimitOverride {
  limit: number
  window?: Duration
}

/**
 * A plan attached to API keys: scales or replaces rule limits.
 *
 * @example
 * const pro: Plan = { name: 'pro', scale: 10, limits: { 'Mutation.upload': { limit: 100, window: '1h' } } }
 */
export interface Plan {
  readonly name: string
  /** Multiplies every rule's limit (rounded down, at least 1). @default 1 */
  readonly scale?: number
  /** Replaces the limit (and optionally the window) of the rules with these names. Wins over `scale`. */
  readonly limits?: Readonly<Record<string, LimitOverride>>
  /** No limits at all for this plan's callers. Must be set explicitly. @default false */
  readonly unlimited?: boolean
  /**
   * Quotas on the whole API: checked with every limited request of the key's budget owner, in the
   * same atomic store call as the field's or procedure's own rules (GraphQL: once per operation;
   * tRPC: once per call, by its `cost`). Each is an ordinary rule, named `quota:<plan>:<index>`
   * unless it has a `name`; plans that give one quota the same name (and numbers) share its count.
   * Not scaled by `scale`; per-key `limits` replace one by name. At most 16.
   * @example quotas: [{ name: 'daily', limit: 1000, window: '1d' }]
   */
  readonly quotas?: readonly RateLimitRule[]
}

/** A plan as `definePlans` takes it: `name` may be left out (it is the plan's key). */
export type PlanDefinition = Omit<Plan, 'name'> & { readonly name?: string }

/** Who is calling: the identity the budget is counted under, and the plan that shapes the rules. */
export interface Caller {
  /** The identity string passed to the limiter: `user:42`, `key:<digest>`, `ip:203.0.113.7`, … */
  readonly id: string
  readonly kind: CallerKind
  /** For `api-key` callers: the account the key belongs to, as the lookup returned it. */
  readonly owner?: string
  readonly plan?: Plan
  /** Per-key limits (from the API key lookup), by rule name; win over the plan. */
  readonly overrides?: Readonly<Record<string, LimitOverride>>
}

/**
 * Turns a request context into the caller. Returning a string means `{ id: string, kind: 'custom' }`.
 * Adapters accept one per limiter/directive/middleware; the default is `createIdentify()`.
 */
// biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
export type Identify<TContext = any> = (ctx: TContext) => Caller | string | Promise<Caller | string>

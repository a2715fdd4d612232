import { describeValue, invalidConfig, RateLimitConfigError } from '../errors.js'
import type { Identify } from '../identity/types.js'
import type { RateLimiter } from '../limiter.js'
import { POLICIES, resolveRules, validateCost } from '../rules.js'
import type { Algorithm, Duration, RateLimitDecision, RateLimitRule, StoreErrorPolicy } from '../types.js'

/** What a cost function and an `onError` function learn about the call. */
export interface CallInfo<TContext> {
  /** The tRPC context of the call. */
  ctx: TContext
  /** The procedure path, such as `post.create`. */
  path: string
  type: 'query' | 'mutation' | 'subscription'
}

/**
 * The cost of one call, from its input. The input is the parsed input when the middleware comes
 * after `.input(schema)`, otherwise the raw input as the client sent it (untrusted: validate it).
 * Must return an integer ≥ 1. When it throws, or returns anything else, the call is refused with
 * `BAD_REQUEST` (its input cannot be priced); throw a `TRPCError` to answer otherwise.
 */
export type CostFunction<TContext> = (input: unknown, info: CallInfo<TContext>) => number | Promise<number>

/** What to do when the check itself fails (identify or cost threw): refuse or admit. */
export type CheckFailurePolicy = 'closed' | 'open'

/**
 * Options of {@link rateLimit}. Pass either `limit` and `window` (one rule) or `rules` (several,
 * checked atomically). Every option is validated when `rateLimit()` is called.
 *
 * @example
 * rateLimit({ limiter, limit: 10, window: '1m' })
 * rateLimit({ limiter, rules: [{ limit: 5, window: '10s' }, { limit: 100, window: '1h' }] })
 */
export interface RateLimitOptions<TContext = object> {
  /** The engine from `createRateLimiter()`; its store holds the counts. */
  limiter: RateLimiter
  /** Units of cost admitted per `window`: an integer ≥ 1. */
  limit?: number
  /** The window: `'30s'`, `'1m'`, `'1h30m'` or milliseconds. */
  window?: Duration
  /** A calendar quota instead of `window`: at most `limit` per day, ISO week or month in `timeZone`. */
  period?: 'day' | 'week' | 'month'
  /** The IANA time zone of `period`. @default 'UTC' */
  timeZone?: string
  /** With `algorithm: 'token-bucket'`: the capacity. @default limit */
  burst?: number
  /** Several limits (burst + sustained) checked atomically; instead of `limit`/`window`. */
  rules?: readonly RateLimitRule[]
  /**
   * The budget's name. Calls of procedures whose middleware has the same name (and the same
   * limit and window) share one budget.
   * @default the procedure path, such as `post.create`: every procedure gets its own budget
   */
  name?: string
  /** Units one call uses: an integer ≥ 1, or a function of the input. @default 1 */
  cost?: number | CostFunction<TContext>
  /**
   * Turns the tRPC context into the caller.
   * @default limiter.identify: user id, else a validated API key, else the client IP
   */
  identify?: Identify<TContext>
  /** Count and report, but never refuse. @default false */
  shadow?: boolean
  /**
   * `'sliding-log'`, `'sliding-window'` or `'token-bucket'` (for rules with a `window`).
   * @default 'sliding-log' for limits ≤ 1000, else 'sliding-window'
   */
  algorithm?: Algorithm
  /** Overrides the limiter's `onStoreError` for these rules. @default the limiter's policy */
  onStoreError?: StoreErrorPolicy
  /**
   * When `identify` throws something unexpected: `'closed'` refuses with `TOO_MANY_REQUESTS`
   * (retry in 1 s), `'open'` admits unchecked (`ctx.rateLimit` is `null`). A function may log the
   * error and choose. Not consulted for a `TRPCError` (passes through), an `IdentityError`
   * (UNAUTHORIZED / BAD_REQUEST; a failed key lookup always refuses), or a cost function that
   * fails on the input (BAD_REQUEST: the client's input must never admit a call unchecked).
   * @default 'closed'
   */
  onError?: CheckFailurePolicy | ((error: Error, info: CallInfo<TContext>) => CheckFailurePolicy)
  /** The refusal message. @default 'Rate limit exceeded: retry in N s' */
  message?: (decision: RateLimitDecision, path: string) => string
}

/** Options after defaults and validation. */
export interface ResolvedOptions<TContext> {
  readonly limiter: RateLimiter
  readonly identify: Identify<TContext>
  readonly cost: number | CostFunction<TContext>
  readonly onError: NonNullable<RateLimitOptions<TContext>['onError']>
  readonly message: RateLimitOptions<TContext>['message']
  /** `{ cost }` for a numeric cost: one object for every call, not one per call. */
  readonly consumeOptions: { readonly cost: number } | undefined
  /** The rules for a procedure path; one list object per path, so validation runs once per path. */
  rulesFor(path: string): readonly RateLimitRule[]
}

function checkType(name: string, value: unknown, type: 'function' | 'boolean' | 'string'): void {
  if (value !== undefined && typeof value !== type) {
    invalidConfig(`rateLimit(): Expected \`${name}\` to be a ${type}, got ${describeValue(value)}`)
  }
}

/** The rules as given, without names; names are filled in per path. */
function ruleTemplates<TContext>(o: RateLimitOptions<TContext>): readonly RateLimitRule[] {
  const { limit, window, period, timeZone, burst, rules, shadow, algorithm, onStoreError } = o
  const defaults: Partial<RateLimitRule> = {}
  if (shadow !== undefined) defaults.shadow = shadow
  if (algorithm !== undefined) defaults.algorithm = algorithm
  if (onStoreError !== undefined) defaults.onStoreError = onStoreError
  const shape: Partial<RateLimitRule> = {}
  if (window !== undefined) shape.window = window
  if (period !== undefined) shape.period = period
  if (timeZone !== undefined) shape.timeZone = timeZone
  if (burst !== undefined) shape.burst = burst
  if (rules !== undefined) {
    if (limit !== undefined || Object.keys(shape).length > 0)
      invalidConfig(
        `rateLimit(): Pass either \`limit\` and \`window\` (or \`period\`), or \`rules\`, not both`,
      )
    if (!Array.isArray(rules) || rules.length === 0) {
      invalidConfig(
        `rateLimit(): Expected \`rules\` to be a non-empty array of { limit, window }, got ${describeValue(rules)}`,
      )
    }
    // A calendar quota has no algorithm: the default applies to the rules with a window.
    return rules.map((rule) =>
      rule?.period === undefined ? { ...defaults, ...rule } : { ...defaults, algorithm: undefined, ...rule },
    )
  }
  if (limit === undefined || (window === undefined && period === undefined)) {
    invalidConfig(
      `rateLimit(): Expected \`limit\` and \`window\` (such as { limit: 10, window: '1m' }) or \`period\`, or \`rules\``,
    )
  }
  return [{ ...defaults, limit, ...shape }]
}

/** Fails now, naming the option, if a rule cannot work. */
function checkRules(templates: readonly RateLimitRule[]): void {
  try {
    resolveRules(templates)
  } catch (error) {
    if (error instanceof RateLimitConfigError) invalidConfig(`rateLimit(): ${error.message}`)
    throw error
  }
}

function checkCost(cost: unknown): void {
  if (cost === undefined || typeof cost === 'function') return
  try {
    validateCost(cost)
  } catch {
    invalidConfig(
      `rateLimit(): Expected \`cost\` to be an integer ≥ 1 or a function (input) => number, got ${describeValue(cost)}`,
    )
  }
}

function checkOnError(onError: unknown): void {
  if (onError === undefined || typeof onError === 'function' || onError === 'closed' || onError === 'open')
    return
  invalidConfig(
    `rateLimit(): Expected \`onError\` to be 'closed', 'open' or a function, got ${describeValue(onError)}`,
  )
}

function checkScalars<TContext>(o: RateLimitOptions<TContext>): void {
  if (typeof o.limiter?.consume !== 'function') {
    invalidConfig(
      `rateLimit(): Expected \`limiter\` to be a limiter from createRateLimiter(), got ${describeValue(o.limiter)}`,
    )
  }
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0)) {
    invalidConfig(`rateLimit(): Expected \`name\` to be a non-empty string, got ${describeValue(o.name)}`)
  }
  checkType('identify', o.identify, 'function')
  checkType('message', o.message, 'function')
  checkType('shadow', o.shadow, 'boolean')
  if (o.onStoreError !== undefined && !POLICIES.includes(o.onStoreError)) {
    invalidConfig(
      `rateLimit(): Expected \`onStoreError\` to be 'local', 'open' or 'closed', got ${describeValue(o.onStoreError)}`,
    )
  }
  checkCost(o.cost)
  checkOnError(o.onError)
}

/**
 * Applies every default and validates, once, when `rateLimit()` is called.
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the option and what is allowed.
 */
export function resolveOptions<TContext>(options: RateLimitOptions<TContext>): ResolvedOptions<TContext> {
  if (typeof options !== 'object' || options === null)
    invalidConfig(`rateLimit(): Expected an options object such as { limiter, limit, window }`)
  checkScalars(options)
  const templates = ruleTemplates(options)
  checkRules(templates)
  const named = (name: string): readonly RateLimitRule[] =>
    templates.map((rule) => ({ ...rule, name: rule.name ?? name }))
  const fixed = options.name !== undefined ? named(options.name) : undefined
  const byPath = new Map<string, readonly RateLimitRule[]>()
  return {
    limiter: options.limiter,
    identify: options.identify ?? (options.limiter.identify as Identify<TContext>),
    cost: options.cost ?? 1,
    consumeOptions:
      typeof options.cost === 'function' ? undefined : Object.freeze({ cost: options.cost ?? 1 }),
    onError: options.onError ?? 'closed',
    message: options.message,
    rulesFor(path) {
      if (fixed) return fixed
      let rules = byPath.get(path)
      if (!rules) {
        rules = named(path)
        byPath.set(path, rules)
      }
      return rules
    },
  }
}

import { describeValue, invalidConfig } from '../../errors.js'
import type { Identify } from '../../identity/types.js'
import type { RateLimiter } from '../../limiter.js'
import { resolveRule } from '../../rules.js'
import type { Algorithm, Duration, RateLimitRule, StoreErrorPolicy } from '../../types.js'
import type { CostAnalyzerOptions } from './analyze.js'
import { type ResolvedCostModel, resolveCostModel } from './cost-model.js'

/** Options of {@link useCostBudget}. Validated once, when the plugin is built. */
export interface CostBudgetOptions extends CostAnalyzerOptions {
  /** The engine: same store, same identities as the `@rateLimit` directive and the tRPC middleware. */
  limiter: RateLimiter
  /** Points per window for one caller, e.g. 5000. API-key plans scale or replace it like any rule. */
  limit: number
  /** The window, e.g. `'1h'`. */
  window: Duration
  /** The budget's policy name (rule name, header and `extensions.rateLimit` label). @default 'GraphQL.cost' */
  name?: string
  /** @default 'sliding-log' up to a limit of 1000, else 'sliding-window' */
  algorithm?: Algorithm
  /** Overrides the limiter's `onStoreError` for the budget. */
  onStoreError?: StoreErrorPolicy
  /**
   * Refuse an operation whose cost alone is above this, with `QUERY_TOO_EXPENSIVE` (HTTP 400), without
   * consuming budget. An operation costing more than the caller's whole budget is always refused so.
   * @default no limit beyond the budget
   */
  maxCost?: number
  /**
   * Measure only: costs are computed and consumed, refusals become decisions with reason `'shadow'`
   * (and `extensions.rateLimit`, headers, events), but no operation is refused — not even over `maxCost`.
   * @default false
   */
  shadow?: boolean
  /** Who is calling. @default limiter.identify */
  identify?: Identify
  /**
   * After execution, compute the actual cost from the list sizes returned:
   * - `'report'`: report it as `extensions.rateLimit.actualCost`;
   * - `true`: also give back the difference (`limiter.refund`) when the operation used less than
   *   its estimate, before the response is sent. Needs a store with `refund` (MemoryStore and
   *   RedisStore have one; checked when the plugin is built).
   * @default false
   */
  refund?: boolean | 'report'
}

export interface ResolvedBudgetOptions {
  readonly limiter: RateLimiter
  readonly rules: readonly RateLimitRule[]
  readonly maxCost: number | undefined
  readonly shadow: boolean
  readonly identify: Identify
  readonly refund: false | 'report' | 'refund'
  readonly model: ResolvedCostModel
  /** What `createCostAnalyzer` gets: the model and the bounds of the analysis cache. */
  readonly analyzer: CostAnalyzerOptions
}

function canRefund(limiter: RateLimiter): boolean {
  return typeof limiter.refund === 'function' && typeof limiter.store?.refund === 'function'
}

function refundMode(refund: unknown, limiter: RateLimiter): ResolvedBudgetOptions['refund'] {
  if (refund === undefined || refund === false) return false
  if (refund === 'report') return 'report'
  if (refund !== true)
    invalidConfig(`Expected \`refund\` to be true, false or 'report', got ${describeValue(refund)}`)
  if (!canRefund(limiter)) {
    invalidConfig(
      `\`refund: true\` needs a store that can give units back, and the limiter's store (kind "${limiter.store?.kind}") has no refund(rules, cost): use MemoryStore or RedisStore, implement RateLimitStore.refund, or use refund: 'report' to see the actual cost only`,
    )
  }
  return 'refund'
}

/** Applies the defaults and validates every option of `useCostBudget`. */
export function resolveBudgetOptions(options: CostBudgetOptions): ResolvedBudgetOptions {
  if (typeof options !== 'object' || options === null)
    invalidConfig('Expected the options of useCostBudget to be an object')
  const {
    limiter,
    limit,
    window,
    name = 'GraphQL.cost',
    algorithm,
    onStoreError,
    maxCost,
    shadow = false,
  } = options
  if (typeof limiter?.consume !== 'function')
    invalidConfig('Expected `limiter` to be a limiter from createRateLimiter()')
  const rule: RateLimitRule = { name, limit, window, shadow }
  if (algorithm !== undefined) rule.algorithm = algorithm
  if (onStoreError !== undefined) rule.onStoreError = onStoreError
  resolveRule(rule)
  if (maxCost !== undefined && (!Number.isInteger(maxCost) || maxCost < 1)) {
    invalidConfig(`Expected \`maxCost\` to be an integer ≥ 1, got ${describeValue(maxCost)}`)
  }
  if (typeof shadow !== 'boolean')
    invalidConfig(`Expected \`shadow\` to be a boolean, got ${describeValue(shadow)}`)
  if (options.identify !== undefined && typeof options.identify !== 'function') {
    invalidConfig('Expected `identify` to be a function (ctx) => caller')
  }
  const model = resolveCostModel(options)
  return {
    limiter,
    rules: [rule],
    maxCost,
    shadow,
    identify: options.identify ?? limiter.identify,
    refund: refundMode(options.refund, limiter),
    model,
    analyzer: {
      ...model,
      analysisCacheEntries: options.analysisCacheEntries,
      analysisCacheBytes: options.analysisCacheBytes,
    },
  }
}

import { describeValue, RateLimitConfigError } from '../../errors.js'

/**
 * The knobs of the cost model that the schema's directives do not set. Defaults follow Apollo's
 * demand control (IBM GraphQL Cost Directives specification) where it has one.
 */
export interface CostModelOptions {
  /**
   * Items assumed in a list field that has no slicing argument value and no `@listSize(assumedSize:)`.
   * @default 10
   */
  defaultListSize?: number
  /**
   * Added for each root field of a mutation (a mutation usually writes: it costs more than a read).
   * @default 10
   */
  mutationCost?: number
  /**
   * Added to each introspection root field (`__schema`, `__type`), on top of what it selects:
   * introspection objects are priced like any other (1 each, lists sized from the schema itself).
   * `__typename` is always free.
   * @default 0
   */
  introspectionCost?: number
  /**
   * The smallest cost an operation is charged, so that even an operation of scalars only uses the
   * budget (GitHub charges at least 1 point per call). The estimate is rounded up to a whole number.
   * @default 1
   */
  minimumCost?: number
  /**
   * The most nodes one analysis may visit (selections, once per type and list size they are
   * priced at; list items of a response; values of costed arguments): the estimate before
   * execution or the actual cost after it. Past it the operation is refused with
   * `QUERY_TOO_COMPLEX` (HTTP 400) before any resolver runs, and an actual-cost pass gives up
   * (the charge stands). A bound on CPU per request whatever the document.
   * @default 200000
   */
  maxAnalysisNodes?: number
}

/** {@link CostModelOptions} with every default applied. */
export type ResolvedCostModel = Readonly<Required<CostModelOptions>>

/** The defaults of {@link CostModelOptions}, exported so they can be wrapped. */
export const DEFAULT_COST_MODEL: ResolvedCostModel = Object.freeze({
  defaultListSize: 10,
  mutationCost: 10,
  introspectionCost: 0,
  minimumCost: 1,
  maxAnalysisNodes: 200_000,
})

/**
 * The charge of an estimate that is not a finite number below 2^53 (an overflow, or `0 × ∞`):
 * more than any budget (limits are at most 10^9), so such an operation is always too expensive,
 * and still a number in JSON (`Infinity` would be `null`).
 */
export const MAX_CHARGED_COST: number = Number.MAX_SAFE_INTEGER

function atLeast(name: string, value: unknown, min: 0 | 1, integer: boolean): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    (!integer || Number.isSafeInteger(value))
  if (!ok) {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      `Expected \`${name}\` to be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${describeValue(value)}`,
    )
  }
  return value as number
}

const nonNegative = (name: string, value: unknown, integer: boolean) => atLeast(name, value, 0, integer)

/**
 * Applies the defaults and validates, once, when the analyzer or plugin is built.
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the option.
 * @example
 * resolveCostModel({ defaultListSize: 20 }) // { defaultListSize: 20, mutationCost: 10, ... }
 */
export function resolveCostModel(options: CostModelOptions = {}): ResolvedCostModel {
  const d = DEFAULT_COST_MODEL
  return Object.freeze({
    defaultListSize: nonNegative('defaultListSize', options.defaultListSize ?? d.defaultListSize, true),
    mutationCost: nonNegative('mutationCost', options.mutationCost ?? d.mutationCost, false),
    introspectionCost: nonNegative(
      'introspectionCost',
      options.introspectionCost ?? d.introspectionCost,
      false,
    ),
    minimumCost: nonNegative('minimumCost', options.minimumCost ?? d.minimumCost, true),
    maxAnalysisNodes: atLeast('maxAnalysisNodes', options.maxAnalysisNodes ?? d.maxAnalysisNodes, 1, true),
  })
}

/**
 * The estimate as the whole number of budget units charged: rounded up, at least `minimumCost`;
 * {@link MAX_CHARGED_COST} when the estimate is not a finite number below it.
 */
export function chargedCost(estimate: number, model: ResolvedCostModel): number {
  if (!(estimate < MAX_CHARGED_COST)) return MAX_CHARGED_COST
  // Round away float noise first ("0.1" × 3 is 0.30000000000000004, not a reason to charge 1 more).
  const rounded = Math.ceil(Math.round(estimate * 1e6) / 1e6)
  return Math.min(MAX_CHARGED_COST, Math.max(model.minimumCost, rounded))
}

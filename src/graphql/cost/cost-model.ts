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
   * Flat cost of each introspection root field (`__schema`, `__type`), whatever it selects.
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
}

/** {@link CostModelOptions} with every default applied. */
export type ResolvedCostModel = Readonly<Required<CostModelOptions>>

/** The defaults of {@link CostModelOptions}, exported so they can be wrapped. */
export const DEFAULT_COST_MODEL: ResolvedCostModel = Object.freeze({
  defaultListSize: 10,
  mutationCost: 10,
  introspectionCost: 0,
  minimumCost: 1,
})

function nonNegative(name: string, value: unknown, integer: boolean): number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) && value >= 0 && (!integer || Number.isInteger(value))
  if (!ok) {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      `Expected \`${name}\` to be ${integer ? 'an integer' : 'a number'} ≥ 0, got ${describeValue(value)}`,
    )
  }
  return value as number
}

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
  })
}

/** The estimate as the whole number of budget units charged: rounded up, at least `minimumCost`. */
export function chargedCost(estimate: number, model: ResolvedCostModel): number {
  // Round away float noise first ("0.1" × 3 is 0.30000000000000004, not a reason to charge 1 more).
  const rounded = Math.ceil(Math.round(estimate * 1e6) / 1e6)
  return Math.max(model.minimumCost, rounded)
}

/**
 * The operation cost budget without a server: build it once from the options, `charge` each
 * operation before any resolver runs, `settle` it after execution (the actual cost, the refund).
 * The graphql-yoga plugin (`useCostBudget`) and the Apollo Server plugin
 * (`costBudgetApolloPlugin`) are thin adapters over it, so both price, charge and refuse alike.
 */
import type { GraphQLSchema } from 'graphql'
import { StoreError } from '../../errors.js'
import { type ExecutedResult, measureActualCost } from './actual-cost.js'
import type { AnalysisCacheStats } from './analysis-cache.js'
import { createCostAnalyzer } from './analyze.js'
import { type Charge, type ChargeOutcome, chargeOperation, type OperationArgs } from './budget-charge.js'
import { type CostBudgetOptions, type ResolvedBudgetOptions, resolveBudgetOptions } from './budget-options.js'
import { CostAnalysisError } from './cost-errors.js'
import { compileCostSchema } from './cost-schema.js'
import { limitStateOf } from './limit-state.js'
import { coerceVariables, prepareOperation } from './operation.js'

/** One cost budget, shared by every request of a server. */
export interface CostBudget {
  /** The options, defaults applied. */
  readonly options: ResolvedBudgetOptions
  /** Reads and validates `@cost` / `@listSize` as soon as the schema is known: a bad weight fails at startup. */
  checkSchema(schema: GraphQLSchema): void
  /** Prices the operation and consumes its cost: the error that refuses it, or what was charged. */
  charge(args: OperationArgs): Promise<ChargeOutcome>
  /**
   * After execution, when `refund` is set: the actual cost from the `result` (into the context's
   * state), and the unused points given back when `refund: true`. True when the cost was measured.
   */
  settle(args: OperationArgs, charge: Charge, result: unknown): Promise<boolean>
  /** What the analysis cache retains now, by its own accounting, and its bounds. */
  cacheStats(): AnalysisCacheStats
}

/**
 * The actual cost of the response; `undefined` when it cannot be measured within bounds. Its
 * errors count: a field an error nulled keeps its estimate (what ran under the `null` is unknown).
 */
function measure(o: ResolvedBudgetOptions, args: OperationArgs, result: unknown): number | undefined {
  const { data, errors } = (result ?? {}) as { data?: unknown; errors?: unknown }
  if (!data || typeof data !== 'object') return undefined
  if (errors !== undefined && !Array.isArray(errors)) return undefined
  const prepared = prepareOperation(args.document, args.operationName)
  try {
    const variables = prepared && coerceVariables(args.schema, prepared.operation, args.variableValues)
    if (!variables) return undefined
    const executed = { data: data as Record<string, unknown>, errors: errors as ExecutedResult['errors'] }
    return measureActualCost(args.schema, prepared, executed, variables, o.model)
  } catch (error) {
    // Past maxAnalysisNodes, or variables too deep: the charge (the estimate, an upper bound) stands.
    if (error instanceof CostAnalysisError) return undefined
    throw error
  }
}

/**
 * After execution: the actual cost from the data and errors returned; give back the difference
 * when asked. Never more than the estimate minus what the response shows ran.
 */
async function settle(
  o: ResolvedBudgetOptions,
  args: OperationArgs,
  charge: Charge,
  result: unknown,
): Promise<boolean> {
  const actual = measure(o, args, result)
  if (actual === undefined) return false
  const state = limitStateOf(args.contextValue)
  if (state?.cost) state.cost.actualCost = actual
  const unused = charge.analysis.cost - actual
  if (o.refund === 'refund' && unused > 0 && charge.recorded) await refund(o, charge, unused)
  return true
}

/**
 * Gives `unused` points back before the response is sent, so the caller's next operation sees
 * them. A store failure keeps the charge (the estimate, an upper bound) and never fails the
 * operation: the breaker and the limiter's `store-error` events of later checks report the outage.
 */
async function refund(o: ResolvedBudgetOptions, charge: Charge, unused: number): Promise<void> {
  try {
    await o.limiter.refund(charge.identity, charge.rules, { cost: unused })
  } catch (error) {
    if (!(error instanceof StoreError)) throw error
  }
}

/** Builds a cost budget: options validated and the analyzer (with its bounded cache) made, once. */
export function createCostBudget(options: CostBudgetOptions): CostBudget {
  const o = resolveBudgetOptions(options)
  const analyze = createCostAnalyzer(o.analyzer)
  return {
    options: o,
    checkSchema: (schema) => void compileCostSchema(schema),
    charge: (args) => chargeOperation(o, analyze, args),
    settle: (args, charge, result) => settle(o, args, charge, result),
    cacheStats: () => analyze.cacheStats(),
  }
}

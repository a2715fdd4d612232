import type { GraphQLSchema } from 'graphql'
import { StoreError } from '../../errors.js'
import { type ExecutedResult, measureActualCost } from './actual-cost.js'
import type { AnalysisCacheStats } from './analysis-cache.js'
import { createCostAnalyzer } from './analyze.js'
import { type Charge, chargeOperation, type OperationArgs } from './budget-charge.js'
import { type CostBudgetOptions, type ResolvedBudgetOptions, resolveBudgetOptions } from './budget-options.js'
import { CostAnalysisError } from './cost-errors.js'
import { compileCostSchema } from './cost-schema.js'
import { withRateLimitExtension } from './extensions-plugin.js'
import { limitStateOf } from './limit-state.js'
import { coerceVariables, prepareOperation } from './operation.js'

interface HookPayload {
  args: OperationArgs
  setResultAndStopExecution(result: never): void
}

interface DonePayload {
  result: unknown
  setResult(result: never): void
}

/** The hooks the plugin uses, typed structurally so that this package does not need graphql-yoga's types. */
export interface CostBudgetPlugin {
  onSchemaChange(payload: { schema: GraphQLSchema }): void
  onExecute(payload: HookPayload): Promise<void | { onExecuteDone(payload: DonePayload): Promise<void> }>
  onSubscribe(payload: HookPayload): Promise<void>
  /** What the plugin's analysis cache retains now, by its own accounting, and its bounds. */
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
  done: DonePayload,
): Promise<void> {
  const actual = measure(o, args, done.result)
  if (actual === undefined) return
  const state = limitStateOf(args.contextValue)
  if (state?.cost) state.cost.actualCost = actual
  const unused = charge.analysis.cost - actual
  if (o.refund === 'refund' && unused > 0 && charge.recorded) await refund(o, charge, unused)
  done.setResult(withRateLimitExtension(done.result, args.contextValue) as never)
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

/**
 * graphql-yoga plugin: a cost budget per caller ("5 000 points per hour"). Before any resolver
 * runs it prices the operation from the document and its variables (`@cost` / `@listSize`, IBM
 * GraphQL Cost Directives specification) and consumes that cost from the caller's budget on the
 * shared limiter (same store, same identities as `@rateLimit`).
 *
 * - over budget: the whole operation is refused, HTTP 429 with `Retry-After`, `RATE_LIMITED`
 *   error with `cost`, `remaining` and `retryAfter`; nothing is consumed;
 * - cost above `maxCost` (or above the whole budget): `QUERY_TOO_EXPENSIVE`, HTTP 400, nothing consumed;
 * - `@listSize(requireOneSlicingArgument)` not met, or a negative slicing value:
 *   `INVALID_SLICING_ARGUMENTS`, HTTP 400;
 * - an analysis that would visit more than `maxAnalysisNodes` nodes: `QUERY_TOO_COMPLEX`, HTTP 400;
 * - `refund: true`: after execution, the points the response did not use (estimate − actual cost
 *   from the list sizes returned) are given back before the response is sent.
 *
 * Subscriptions are charged once, when they start. Add `useRateLimitHeaders()` for `RateLimit`
 * headers on every response, `useRateLimitExtensions()` for `extensions.rateLimit`.
 *
 * @example
 * const yoga = createYoga({
 *   schema, // built with costTypeDefs in its typeDefs
 *   plugins: [useRateLimitHeaders(), useCostBudget({ limiter, limit: 5000, window: '1h', maxCost: 1000 })],
 * })
 */
export function useCostBudget(options: CostBudgetOptions): CostBudgetPlugin {
  const o = resolveBudgetOptions(options)
  const analyze = createCostAnalyzer(o.analyzer)
  return {
    cacheStats: () => analyze.cacheStats(),
    // Read and validate @cost / @listSize as soon as the schema is known: a bad weight fails at startup.
    onSchemaChange({ schema }) {
      compileCostSchema(schema)
    },
    async onExecute({ args, setResultAndStopExecution }) {
      const outcome = await chargeOperation(o, analyze, args)
      if ('error' in outcome) {
        setResultAndStopExecution(
          withRateLimitExtension({ errors: [outcome.error] }, args.contextValue) as never,
        )
        return
      }
      const { charge } = outcome
      if (!charge || !o.refund) return
      return { onExecuteDone: (done) => settle(o, args, charge, done) }
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const outcome = await chargeOperation(o, analyze, args)
      if ('error' in outcome) setResultAndStopExecution({ errors: [outcome.error] } as never)
    },
  }
}

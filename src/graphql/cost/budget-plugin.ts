import type { GraphQLSchema } from 'graphql'
import type { AnalysisCacheStats } from './analysis-cache.js'
import type { OperationArgs } from './budget-charge.js'
import { createCostBudget } from './budget-core.js'
import type { CostBudgetOptions } from './budget-options.js'
import { withRateLimitExtension } from './extensions-plugin.js'

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
  const budget = createCostBudget(options)
  return {
    cacheStats: () => budget.cacheStats(),
    onSchemaChange: ({ schema }) => budget.checkSchema(schema),
    async onExecute({ args, setResultAndStopExecution }) {
      const outcome = await budget.charge(args)
      if ('error' in outcome) {
        setResultAndStopExecution(
          withRateLimitExtension({ errors: [outcome.error] }, args.contextValue) as never,
        )
        return
      }
      const { charge } = outcome
      if (!charge || !budget.options.refund) return
      return {
        async onExecuteDone(done) {
          if (await budget.settle(args, charge, done.result))
            done.setResult(withRateLimitExtension(done.result, args.contextValue) as never)
        },
      }
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const outcome = await budget.charge(args)
      if ('error' in outcome) setResultAndStopExecution({ errors: [outcome.error] } as never)
    },
  }
}

/**
 * `costBudgetApolloPlugin(options)`: the operation cost budget of graphql-yoga's `useCostBudget()`
 * (the same analyzer, engine and errors: `graphql/cost/budget-core.ts`) in Apollo Server's request
 * pipeline. It charges in `didResolveOperation`, the hook Apollo documents for refusing a valid
 * operation before execution, and settles the actual cost when execution ends, before
 * `willSendResponse` writes `extensions.rateLimit`.
 */
import type { GraphQLError } from 'graphql'
import type { AnalysisCacheStats } from '../graphql/cost/analysis-cache.js'
import type { Charge, OperationArgs } from '../graphql/cost/budget-charge.js'
import { createCostBudget } from '../graphql/cost/budget-core.js'
import type { CostBudgetOptions } from '../graphql/cost/budget-options.js'
import type { ApolloOperationContext, ApolloServerContext } from './apollo-types.js'

/** The request hooks of {@link CostBudgetApolloPlugin}. */
export interface CostBudgetApolloListener {
  didResolveOperation(requestContext: ApolloOperationContext): Promise<void>
  executionDidStart(requestContext: ApolloOperationContext): Promise<void | {
    executionDidEnd(error?: Error): Promise<void>
  }>
}

/** The Apollo Server plugin, typed structurally: Apollo Server 4 and 5 accept it in `plugins`. */
export interface CostBudgetApolloPlugin {
  serverWillStart(service: ApolloServerContext): Promise<void>
  requestDidStart(): Promise<CostBudgetApolloListener>
  /** What the plugin's analysis cache retains now, by its own accounting, and its bounds. */
  cacheStats(): AnalysisCacheStats
}

/**
 * The refusal as Apollo applies it: Apollo sets the status and headers of `extensions.http` only
 * when its `headers` is a `Map` (and otherwise sends `http` to the client and answers 500).
 */
function forApollo(error: GraphQLError): GraphQLError {
  const http = error.extensions.http as { status?: number; headers?: Record<string, string> } | undefined
  if (http?.headers && !(http.headers instanceof Map)) {
    const headers = new Map(Object.entries(http.headers).map(([name, value]) => [name.toLowerCase(), value]))
    ;(error.extensions as Record<string, unknown>).http = { ...http, headers }
  }
  return error
}

function operationArgs(rc: ApolloOperationContext): OperationArgs {
  return {
    schema: rc.schema,
    document: rc.document,
    variableValues: rc.request.variables ?? null,
    operationName: rc.request.operationName ?? null,
    contextValue: rc.contextValue,
  }
}

/**
 * Apollo Server 4 / 5 plugin: a cost budget per caller ("5 000 points per hour"), exactly as
 * `useCostBudget()` on graphql-yoga — same options, same analysis (`@cost` / `@listSize`), same
 * limiter and identities. Before any resolver runs: over budget → HTTP 429 with `Retry-After` and
 * a `RATE_LIMITED` error carrying `cost`; above `maxCost` or the whole budget →
 * `QUERY_TOO_EXPENSIVE`, HTTP 400; unpriceable → `INVALID_SLICING_ARGUMENTS` / `QUERY_TOO_COMPLEX`,
 * HTTP 400; nothing consumed. `refund` settles the actual cost after execution. Add
 * `rateLimitApolloPlugin()` for `RateLimit` headers and `extensions.rateLimit`. Apollo serves
 * subscriptions outside this pipeline (graphql-ws): the budget does not see them.
 *
 * @example
 * const server = new ApolloServer({
 *   schema, // built with costTypeDefs in its typeDefs
 *   plugins: [rateLimitApolloPlugin(), costBudgetApolloPlugin({ limiter, limit: 5000, window: '1h', maxCost: 1000 })],
 * })
 */
export function costBudgetApolloPlugin(options: CostBudgetOptions): CostBudgetApolloPlugin {
  const budget = createCostBudget(options)
  return {
    cacheStats: () => budget.cacheStats(),
    // A bad @cost weight fails server.start().
    async serverWillStart({ schema }) {
      if (schema) budget.checkSchema(schema)
    },
    async requestDidStart() {
      let charge: Charge | undefined
      let args: OperationArgs | undefined
      return {
        async didResolveOperation(rc) {
          args = operationArgs(rc)
          const outcome = await budget.charge(args)
          if ('error' in outcome) throw forApollo(outcome.error)
          charge = outcome.charge
        },
        async executionDidStart({ response }) {
          if (!charge || !args || !budget.options.refund) return
          const [charged, operation] = [charge, args]
          return {
            async executionDidEnd(error) {
              if (error || response.body?.kind !== 'single') return
              await budget.settle(operation, charged, response.body.singleResult)
            },
          }
        },
      }
    },
  }
}

/**
 * `resolver-rate-limit/apollo`: Apollo Server 4 and 5 plugins — `rateLimitApolloPlugin()`
 * (headers, status, `extensions.rateLimit`) and `costBudgetApolloPlugin(options)` (the operation
 * cost budget). The `@rateLimit` directive itself comes from `resolver-rate-limit/graphql`.
 * Each name is a decision, pinned by `test/exports.test.ts`.
 */
export type {
  ApolloHeaderMap,
  ApolloOperationContext,
  ApolloRequestContext,
  ApolloResponse,
  ApolloServerContext,
  ApolloSingleResult,
} from './apollo-types.js'
export {
  type CostBudgetApolloListener,
  type CostBudgetApolloPlugin,
  costBudgetApolloPlugin,
} from './cost-budget-plugin.js'
export {
  type RateLimitApolloListener,
  type RateLimitApolloPlugin,
  type RateLimitApolloPluginOptions,
  rateLimitApolloPlugin,
} from './rate-limit-plugin.js'

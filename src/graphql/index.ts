/**
 * `resolver-rate-limit/graphql`: the `@rateLimit` directive and its transformer, the graphql-yoga
 * plugins (headers and status, `extensions.rateLimit`, the operation cost budget) and their errors.
 * Each name is a decision, pinned by `test/exports.test.ts`.
 */
export { assertRateLimitsApplied, type DirectiveNames } from './assert-applied.js'
export { type ConcurrencyLimitDirective, concurrencyLimitDirective } from './concurrency-directive.js'
export {
  type ConcurrencyLimitedExtensions,
  GraphQLConcurrencyLimitedError,
  isGraphQLConcurrencyLimitedError,
} from './concurrency-errors.js'
export type { ConcurrencyDirectiveOptions } from './concurrency-field.js'
export {
  type ConcurrencyLimitPlugin,
  type ConcurrencyLimitPluginOptions,
  useConcurrencyLimit,
} from './concurrency-plugin.js'
export { CONCURRENCY_LIMIT_SDL, concurrencyLimitTypeDefs } from './concurrency-sdl.js'
export {
  type ActualCostOptions,
  type AnalysisCacheStats,
  type AnalyzeCostOptions,
  actualCost,
  analyzeCost,
  type CostAnalysis,
  CostAnalysisError,
  CostBudgetExceededError,
  type CostBudgetOptions,
  type CostBudgetPlugin,
  type CostErrorCode,
  type CostModelOptions,
  type CostReport,
  type CostSchema,
  compileCostSchema,
  costTypeDefs,
  QueryTooExpensiveError,
  type RateLimitExtension,
  type RateLimitExtensionsPlugin,
  type RateLimitPolicyState,
  useCostBudget,
  useRateLimitExtensions,
} from './cost/index.js'
export { type RateLimitDirective, rateLimitDirective } from './directive.js'
export {
  GraphQLRateLimitedError,
  type GraphQLRateLimitedErrorOptions,
  isGraphQLRateLimitedError,
  type RateLimitedExtensions,
  rateLimitedExtensions,
} from './errors.js'
export type { FieldPlan } from './field-plan.js'
export {
  defaultErrorMessage,
  type LimitedEvent,
  type ListMode,
  type RateLimitDirectiveOptions,
} from './options.js'
export { RATE_LIMIT_SDL, rateLimitTypeDefs } from './sdl.js'
export {
  everyRootFieldRefused,
  type RateLimitResponse,
  type RateLimitResponseOptions,
  type RateLimitTracking,
  rateLimitResponse,
  type TrackRateLimitsOptions,
  trackRateLimits,
} from './tracking.js'
export { RATE_LIMIT_EXTENSION, type RateLimitFieldExtension } from './transformer.js'
export {
  type RateLimitHeadersOptions,
  type RateLimitHeadersPlugin,
  useRateLimitHeaders,
} from './yoga-plugin.js'

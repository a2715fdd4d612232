/**
 * Operation cost budgets (IBM GraphQL Cost Directives) and `extensions.rateLimit`, as
 * `resolver-rate-limit/graphql` offers them. The per-operation limit state, the cost model's
 * resolution and the cached analyzer are internal.
 */
export { type ActualCostOptions, actualCost } from './actual-cost.js'
export type { AnalysisCacheStats } from './analysis-cache.js'
export { type AnalyzeCostOptions, analyzeCost, type CostAnalysis } from './analyze.js'
export type { CostBudgetOptions } from './budget-options.js'
export { type CostBudgetPlugin, useCostBudget } from './budget-plugin.js'
export {
  CostAnalysisError,
  CostBudgetExceededError,
  type CostErrorCode,
  QueryTooExpensiveError,
} from './cost-errors.js'
export type { CostModelOptions } from './cost-model.js'
export { type CostSchema, compileCostSchema } from './cost-schema.js'
export { costTypeDefs } from './directives.js'
export { type RateLimitExtensionsPlugin, useRateLimitExtensions } from './extensions-plugin.js'
export type { CostReport, RateLimitExtension, RateLimitPolicyState } from './limit-state.js'

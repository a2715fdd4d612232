/** Operation cost budgets (IBM GraphQL Cost Directives) and `extensions.rateLimit`. */
export { type ActualCostOptions, actualCost } from './actual-cost.js'
export {
  type AnalyzeCostOptions,
  analyzeCost,
  type CostAnalysis,
  type CostAnalyzer,
  createCostAnalyzer,
} from './analyze.js'
export type { CostBudgetOptions } from './budget-options.js'
export { type CostBudgetPlugin, useCostBudget } from './budget-plugin.js'
export {
  CostAnalysisError,
  CostBudgetExceededError,
  type CostErrorCode,
  QueryTooExpensiveError,
} from './cost-errors.js'
export { type CostModelOptions, DEFAULT_COST_MODEL, resolveCostModel } from './cost-model.js'
export { type CostSchema, compileCostSchema } from './cost-schema.js'
export { costTypeDefs } from './directives.js'
export {
  type RateLimitExtensionsPlugin,
  useRateLimitExtensions,
  withRateLimitExtension,
} from './extensions-plugin.js'
export {
  type CostReport,
  LIMIT_STATE,
  type LimitState,
  limitStateOf,
  type RateLimitExtension,
  type RateLimitPolicyState,
} from './limit-state.js'

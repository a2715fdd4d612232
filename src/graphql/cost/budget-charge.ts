import type { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql'
import { planRulesForCaller, resolveCaller } from '../../identity/caller.js'
import { IdentityError } from '../../identity/identity-error.js'
import type { RateLimitRule } from '../../types.js'
import { identityGraphQLError } from '../errors.js'
import { sinkOf } from '../sink.js'
import type { CostAnalysis, CostAnalyzer } from './analyze.js'
import type { ResolvedBudgetOptions } from './budget-options.js'
import { CostAnalysisError, CostBudgetExceededError, QueryTooExpensiveError } from './cost-errors.js'
import { limitStateOf } from './limit-state.js'

/** The execution arguments the budget reads. */
export interface OperationArgs {
  readonly schema: GraphQLSchema
  readonly document: DocumentNode
  readonly variableValues?: Readonly<Record<string, unknown>> | null
  readonly operationName?: string | null
  readonly contextValue?: unknown
}

/** What was charged, for the refund after execution. */
export interface Charge {
  readonly identity: string
  readonly rules: readonly RateLimitRule[]
  readonly analysis: CostAnalysis
  /**
   * True when the store recorded the cost as configured (a normal admission). A shadow
   * admission over budget recorded nothing under the budget, and a failure policy answered
   * without the store: refunding those would give back units other operations used.
   */
  readonly recorded: boolean
}

/** Either the error that refuses the operation, or what was charged (nothing for free callers). */
export type ChargeOutcome = { readonly error: GraphQLError } | { readonly charge?: Charge }

function analyzeOrRefuse(
  analyze: CostAnalyzer,
  args: OperationArgs,
): CostAnalysis | GraphQLError | undefined {
  try {
    return analyze(args.schema, args.document, args.variableValues, args.operationName)
  } catch (error) {
    if (error instanceof CostAnalysisError) return error
    throw error
  }
}

/**
 * Prices the operation and consumes its cost from the caller's budget, before any resolver runs.
 * Over `maxCost` or over the whole budget → `QUERY_TOO_EXPENSIVE`, nothing consumed; budget
 * spent → `RATE_LIMITED`. In shadow mode nothing is refused, only measured.
 */
export async function chargeOperation(
  o: ResolvedBudgetOptions,
  analyze: CostAnalyzer,
  args: OperationArgs,
): Promise<ChargeOutcome> {
  const analysis = analyzeOrRefuse(analyze, args)
  if (!analysis) return {}
  if (!('cost' in analysis)) return { error: analysis }
  const { cost } = analysis
  const state = limitStateOf(args.contextValue)
  if (state) state.cost = o.maxCost === undefined ? { cost } : { cost, maxCost: o.maxCost }
  if (o.maxCost !== undefined && cost > o.maxCost && !o.shadow)
    return { error: new QueryTooExpensiveError(cost, o.maxCost) }
  let identity: string
  let rules: readonly RateLimitRule[] | null
  try {
    const caller = await resolveCaller(o.identify, args.contextValue)
    identity = caller.id
    // The budget's own rules: plan quotas count operations, through the directive (see the README).
    rules = planRulesForCaller(o.rules, caller)
  } catch (error) {
    if (error instanceof IdentityError) return { error: identityGraphQLError(error) }
    throw error
  }
  // An unlimited plan, or an operation that costs nothing (minimumCost: 0), uses no budget.
  if (rules === null || cost === 0) return {}
  const limit = rules[0]!.limit
  // Never admissible, whatever the wait: refuse as too expensive without asking the store.
  if (cost > limit) return o.shadow ? {} : { error: new QueryTooExpensiveError(cost, limit) }
  const decision = await o.limiter.consume(identity, rules, { cost })
  sinkOf(args.contextValue)?.add(decision)
  if (decision.allowed || o.shadow) {
    const recorded = decision.allowed && decision.reason === undefined
    return { charge: { identity, rules, analysis, recorded } }
  }
  if (decision.reason === 'cost-exceeds-limit')
    return { error: new QueryTooExpensiveError(cost, decision.limit) }
  return { error: new CostBudgetExceededError(decision, cost) }
}

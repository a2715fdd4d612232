import type { DocumentNode, GraphQLSchema, OperationTypeNode } from 'graphql'
import { AnalysisCache, type AnalysisCacheOptions, type AnalysisCacheStats } from './analysis-cache.js'
import type { AnalysisContext } from './analysis-context.js'
import { CostAnalysisError, type CostAnalysisErrorCode } from './cost-errors.js'
import { type CostModelOptions, chargedCost, type ResolvedCostModel, resolveCostModel } from './cost-model.js'
import { compileCostSchema } from './cost-schema.js'
import { Estimator } from './estimator.js'
import { coerceVariables } from './operation.js'
import { type OperationEntry, OperationIndex } from './operation-index.js'
import { OperationValues } from './operation-values.js'
import { WorkMeter, withinStack } from './work-meter.js'

/** The cost of one operation, before it runs. */
export interface CostAnalysis {
  /**
   * Whole budget units charged: the estimate rounded up, at least `minimumCost`; 2^53 − 1 when
   * the estimate is not finite (always too expensive).
   */
  readonly cost: number
  /** The estimate as the cost model computes it (may be fractional with fractional weights, or `Infinity`). */
  readonly estimate: number
  readonly operationType: OperationTypeNode
  readonly operationName: string | undefined
}

/**
 * Computes an operation's cost from the request's variables, coerced as graphql-js executes them.
 * `undefined` when the document has no such operation or the variables do not coerce (execution
 * reports either error itself, and runs nothing). Expects a document that passed validation.
 * @throws CostAnalysisError: `INVALID_SLICING_ARGUMENTS` (a `@listSize` requirement is not met, or
 *   a slicing value is negative), `QUERY_TOO_COMPLEX` (past `maxAnalysisNodes`, or a document or
 *   variable nested too deeply to read).
 */
export interface CostAnalyzer {
  (
    schema: GraphQLSchema,
    document: DocumentNode,
    variables?: Readonly<Record<string, unknown>> | null,
    operationName?: string | null,
  ): CostAnalysis | undefined
  /** What the analysis cache retains now, by its own accounting, and its bounds. */
  cacheStats(): AnalysisCacheStats
}

/** Options of {@link createCostAnalyzer}: the cost model and the bounds of its cache. */
export interface CostAnalyzerOptions extends CostModelOptions, AnalysisCacheOptions {}

/** Options of {@link analyzeCost}. */
export interface AnalyzeCostOptions extends CostModelOptions {
  variables?: Readonly<Record<string, unknown>> | null
  operationName?: string | null
}

/** A cached refusal: thrown again, as a new error, for the same operation and values. */
interface Refusal {
  readonly message: string
  readonly code: CostAnalysisErrorCode
}

function estimate(
  schema: GraphQLSchema,
  model: ResolvedCostModel,
  entry: OperationEntry,
  variables: Readonly<Record<string, unknown>>,
): { result: CostAnalysis | Refusal; used: Set<string> } {
  const meter = new WorkMeter(model.maxAnalysisNodes)
  const values = new OperationValues(variables, meter)
  const { operation, fragments } = entry.prepared
  const ctx: AnalysisContext = { costs: compileCostSchema(schema), model, fragments, values, meter }
  try {
    const value = withinStack(() => new Estimator(ctx).operation(operation))
    const analysis: CostAnalysis = Object.freeze({
      cost: chargedCost(value, model),
      estimate: value,
      operationType: operation.operation,
      operationName: entry.operationName,
    })
    return { result: analysis, used: values.used }
  } catch (error) {
    if (!(error instanceof CostAnalysisError)) throw error
    return { result: { message: error.message, code: error.code }, used: values.used }
  }
}

function settled(result: CostAnalysis | Refusal): CostAnalysis {
  if ('cost' in result) return result
  throw new CostAnalysisError(result.message, result.code)
}

/**
 * Creates a cost analyzer with one cost model. Results — refusals included — are cached per
 * schema, document (graphql-yoga reuses parsed documents), operation and the coerced values of
 * only those variables the estimate read (digested when long), in a cache bounded by entries and
 * bytes; a repeated operation costs a coercion and a map lookup.
 *
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming a bad option.
 * @example
 * const analyze = createCostAnalyzer({ defaultListSize: 20 })
 * const { cost } = analyze(schema, parse('{ users(first: 5) { name } }'))!
 */
export function createCostAnalyzer(options: CostAnalyzerOptions = {}): CostAnalyzer {
  const { analysisCacheEntries, analysisCacheBytes, ...modelOptions } = options
  const model = resolveCostModel(modelOptions)
  const cache = new AnalysisCache<CostAnalysis | Refusal>({ analysisCacheEntries, analysisCacheBytes })
  const index = new OperationIndex()
  const analyze = (
    schema: GraphQLSchema,
    document: DocumentNode,
    variables?: Readonly<Record<string, unknown>> | null,
    operationName?: string | null,
  ): CostAnalysis | undefined => {
    const entry = index.find(schema, document, operationName)
    if (!entry) return undefined
    const coerced = coerceVariables(schema, entry.prepared.operation, variables)
    if (!coerced) return undefined
    // The key walks the values the estimate reads: as deep as the variables are.
    const key = () => withinStack(() => entry.key(coerced))
    const hit = cache.get(key())
    if (hit) return settled(hit)
    const { result, used } = estimate(schema, model, entry, coerced)
    entry.learn(used)
    const extra = 'cost' in result ? (result.operationName?.length ?? 0) : result.message.length
    cache.set(key(), result, extra)
    return settled(result)
  }
  return Object.assign(analyze, { cacheStats: () => cache.stats() })
}

/**
 * The cost of one operation of a validated document.
 *
 * @example
 * const { cost } = analyzeCost(schema, parse(query), { variables: { first: 10 } })!
 */
export function analyzeCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  options: AnalyzeCostOptions = {},
): CostAnalysis | undefined {
  const { variables, operationName, ...model } = options
  return createCostAnalyzer(model)(schema, document, variables, operationName)
}

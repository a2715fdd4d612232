import type { DocumentNode, GraphQLSchema, OperationTypeNode } from 'graphql'
import { type CostModelOptions, chargedCost, type ResolvedCostModel, resolveCostModel } from './cost-model.js'
import { compileCostSchema } from './cost-schema.js'
import { Estimator } from './estimator.js'
import { type PreparedOperation, prepareOperation } from './operation.js'
import { VariableReader } from './variables.js'

/** The cost of one operation, before it runs. */
export interface CostAnalysis {
  /** Whole budget units charged: the estimate rounded up, at least `minimumCost`. */
  readonly cost: number
  /** The estimate as the cost model computes it (may be fractional with fractional weights). */
  readonly estimate: number
  readonly operationType: OperationTypeNode
  readonly operationName: string | undefined
}

/**
 * Computes an operation's cost; `undefined` when the document has no such operation (execution
 * reports that itself). Expects a document that passed validation.
 * @throws CostAnalysisError (`INVALID_SLICING_ARGUMENTS`) when `@listSize` requires one slicing argument.
 */
export type CostAnalyzer = (
  schema: GraphQLSchema,
  document: DocumentNode,
  variables?: Readonly<Record<string, unknown>> | null,
  operationName?: string | null,
) => CostAnalysis | undefined

/** Options of {@link analyzeCost}. */
export interface AnalyzeCostOptions extends CostModelOptions {
  variables?: Readonly<Record<string, unknown>> | null
  operationName?: string | null
}

interface CacheEntry {
  readonly prepared: PreparedOperation
  /** Variables the estimate read, in first-read order; results are keyed by their values. */
  used: readonly string[]
  readonly results: Map<string, CostAnalysis>
}

/** Distinct variable values remembered per operation before the oldest are forgotten. */
const RESULTS_PER_OPERATION = 64
const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({})

function keyOf(used: readonly string[], variables: Readonly<Record<string, unknown>>): string {
  // A given value is wrapped in an array, an absent one is 0: `null` and "not given" (default) differ.
  return used.length === 0
    ? ''
    : JSON.stringify(used.map((name) => (Object.hasOwn(variables, name) ? [variables[name]] : 0)))
}

function estimate(
  schema: GraphQLSchema,
  model: ResolvedCostModel,
  entry: CacheEntry,
  variables: Readonly<Record<string, unknown>>,
) {
  const { operation, fragments, defaults } = entry.prepared
  const estimator = new Estimator(
    compileCostSchema(schema),
    model,
    fragments,
    new VariableReader(variables, defaults),
  )
  const value = estimator.operation(operation)
  const analysis: CostAnalysis = {
    cost: chargedCost(value, model),
    estimate: value,
    operationType: operation.operation,
    operationName: operation.name?.value,
  }
  return { analysis, used: [...estimator.values.used] }
}

/**
 * Creates a cost analyzer with one cost model. Results are cached per schema, document (graphql-yoga
 * reuses parsed documents) and the values of only those variables the estimate read, so a repeated
 * operation costs a map lookup.
 *
 * @example
 * const analyze = createCostAnalyzer({ defaultListSize: 20 })
 * const { cost } = analyze(schema, parse('{ users(first: 5) { name } }'))!
 */
export function createCostAnalyzer(options?: CostModelOptions): CostAnalyzer {
  const model = resolveCostModel(options)
  const cache = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, CacheEntry | null>>>()
  return (schema, document, variables, operationName) => {
    const vars = variables ?? EMPTY
    let bySchema = cache.get(schema)
    if (!bySchema) {
      bySchema = new WeakMap()
      cache.set(schema, bySchema)
    }
    let byName = bySchema.get(document)
    if (!byName) {
      byName = new Map()
      bySchema.set(document, byName)
    }
    const name = operationName ?? ''
    let entry = byName.get(name)
    if (entry === undefined) {
      const prepared = prepareOperation(document, operationName)
      entry = prepared ? { prepared, used: [], results: new Map() } : null
      byName.set(name, entry)
    }
    if (!entry) return undefined
    const key = keyOf(entry.used, vars)
    const hit = entry.results.get(key)
    if (hit) return hit
    const { analysis, used } = estimate(schema, model, entry, vars)
    if (used.some((v) => !entry.used.includes(v))) {
      entry.used = [...new Set([...entry.used, ...used])]
      entry.results.clear()
    }
    if (entry.results.size >= RESULTS_PER_OPERATION) entry.results.clear()
    entry.results.set(keyOf(entry.used, vars), analysis)
    return analysis
  }
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

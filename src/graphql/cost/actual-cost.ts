import {
  type DocumentNode,
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  Kind,
  type SelectionSetNode,
} from 'graphql'
import {
  type AnalysisContext,
  argumentsCost,
  fragmentSelections,
  insideFragment,
} from './analysis-context.js'
import { type CostModelOptions, chargedCost, type ResolvedCostModel, resolveCostModel } from './cost-model.js'
import { compileCostSchema, type Returned } from './cost-schema.js'
import { Estimator } from './estimator.js'
import { IntrospectionPricer } from './introspection-cost.js'
import { coerceVariables, type PreparedOperation, prepareOperation } from './operation.js'
import { OperationValues } from './operation-values.js'
import { WorkMeter, withinStack } from './work-meter.js'

type Data = Readonly<Record<string, unknown>>

/**
 * The same cost model applied to the response instead of the request: list fields count the items
 * actually returned (not their slicing argument or assumed size) and absent fields count nothing.
 *
 * An interface or union item counts as the types execution could have resolved it to, told by
 * the response itself: the keys of the item are exactly the response keys graphql-js collects for
 * its runtime type, and a key collected as `__typename` holds that type's name. Every type that
 * fits is a candidate and the most expensive one counts, so the true type always counts or is
 * outweighed; no alias a client chooses can make an item cheaper than what ran.
 */
class ActualCounter {
  readonly #memo = new Map<SelectionSetNode, Map<GraphQLObjectType, WeakMap<object, number>>>()
  readonly #collected = new Map<SelectionSetNode, Map<GraphQLObjectType, Map<string, FieldNode>>>()
  readonly #active = new Set<SelectionSetNode>()
  readonly #introspection: IntrospectionPricer

  constructor(readonly ctx: AnalysisContext) {
    this.#introspection = new IntrospectionPricer(ctx)
  }

  object(set: SelectionSetNode, type: GraphQLObjectType, value: Data): number {
    let byType = this.#memo.get(set)
    if (!byType) {
      byType = new Map()
      this.#memo.set(set, byType)
    }
    let byValue = byType.get(type)
    if (!byValue) {
      byValue = new WeakMap()
      byType.set(type, byValue)
    }
    const cached = byValue.get(value)
    if (cached !== undefined) return cached
    const { meter, values } = this.ctx
    let total = 0
    for (const selection of set.selections) {
      meter.spend()
      if (!values.included(selection)) continue
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value
        if (Object.hasOwn(value, key)) total += this.#field(selection, type, value[key])
      } else {
        const inner = fragmentSelections(this.ctx, selection, type)
        if (inner) total += insideFragment(this.#active, inner, () => this.object(inner, type, value))
      }
    }
    byValue.set(value, total)
    return total
  }

  #field(node: FieldNode, parent: GraphQLObjectType, value: unknown): number {
    const { costs, model } = this.ctx
    const name = node.name.value
    if (name === '__typename') return 0
    if (name === '__schema' || name === '__type') {
      return value === null || value === undefined
        ? 0
        : model.introspectionCost + this.#introspection.root(node)
    }
    const definition = parent.getFields()[name]
    if (!definition) return 0
    const facts = costs.field(definition)
    const each = (item: unknown) => this.#instance(node.selectionSet, facts.returned, facts.weight, item)
    const items = facts.listDepth === 0 ? each(value) : this.#items(value, facts.listDepth, each)
    return items + argumentsCost(this.ctx, node, definition, facts)
  }

  /** Sum over the items of a (nested) list; a `null` list or sub-list has none. */
  #items(value: unknown, depth: number, each: (item: unknown) => number): number {
    if (!Array.isArray(value)) return 0
    let total = 0
    for (const item of value) {
      this.ctx.meter.spend()
      total += depth > 1 ? this.#items(item, depth - 1, each) : each(item)
    }
    return total
  }

  #instance(
    set: SelectionSetNode | undefined,
    returned: Returned,
    weight: number | undefined,
    value: unknown,
  ) {
    const { costs } = this.ctx
    const object =
      set !== undefined && value !== null && typeof value === 'object' ? (value as Data) : undefined
    if (returned.kind === 'leaf') return weight ?? costs.typeWeight(returned.type)
    if (returned.kind === 'object') {
      const own = weight ?? costs.typeWeight(returned.type)
      return object ? own + this.object(set!, returned.type, object) : own
    }
    const fitting = object ? returned.possible.filter((t) => this.#couldBe(set!, t, object)) : []
    let most = 0
    for (const candidate of fitting.length > 0 ? fitting : returned.possible) {
      const cost =
        (weight ?? costs.typeWeight(candidate)) + (object ? this.object(set!, candidate, object) : 0)
      if (cost > most) most = cost
    }
    return most
  }

  /** Whether execution could have produced `value` for an object of `type`. */
  #couldBe(set: SelectionSetNode, type: GraphQLObjectType, value: Data): boolean {
    const collected = this.#collect(set, type)
    for (const key of Object.keys(value)) {
      this.ctx.meter.spend()
      const node = collected.get(key)
      if (!node) return false
      if (node.name.value === '__typename' && value[key] !== type.name) return false
    }
    return true
  }

  /**
   * The response keys graphql-js collects for an object of `type`, each with the first field
   * collected under it (the one execution runs): `collectFields`, fragments visited once.
   */
  #collect(set: SelectionSetNode, type: GraphQLObjectType): Map<string, FieldNode> {
    let byType = this.#collected.get(set)
    if (!byType) {
      byType = new Map()
      this.#collected.set(set, byType)
    }
    const cached = byType.get(type)
    if (cached) return cached
    const fields = new Map<string, FieldNode>()
    const visited = new Set<string>()
    const walk = (current: SelectionSetNode): void => {
      for (const selection of current.selections) {
        this.ctx.meter.spend()
        if (!this.ctx.values.included(selection)) continue
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value
          if (!fields.has(key)) fields.set(key, selection)
          continue
        }
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          if (visited.has(selection.name.value)) continue
          visited.add(selection.name.value)
        }
        const inner = fragmentSelections(this.ctx, selection, type)
        if (inner) walk(inner)
      }
    }
    walk(set)
    byType.set(type, fields)
    return fields
  }
}

/** Options of {@link actualCost}. */
export interface ActualCostOptions extends CostModelOptions {
  variables?: Readonly<Record<string, unknown>> | null
  operationName?: string | null
}

/**
 * The cost of an operation as executed, from its response `data` (whole units, like the estimate).
 * `undefined` when the document has no such operation, its variables do not coerce, or there is
 * no data.
 *
 * @throws CostAnalysisError (`QUERY_TOO_COMPLEX`) past `maxAnalysisNodes`.
 * @example
 * const actual = actualCost(schema, document, result.data, { variables })
 */
export function actualCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  data: Readonly<Data> | null | undefined,
  options: ActualCostOptions = {},
): number | undefined {
  const { variables, operationName, ...modelOptions } = options
  const prepared = prepareOperation(document, operationName)
  const coerced = prepared && coerceVariables(schema, prepared.operation, variables)
  return coerced && measureActualCost(schema, prepared, data, coerced, resolveCostModel(modelOptions))
}

/** {@link actualCost} for an operation already found, with coerced variables and a resolved cost model. */
export function measureActualCost(
  schema: GraphQLSchema,
  prepared: PreparedOperation,
  data: Readonly<Data> | null | undefined,
  variables: Readonly<Record<string, unknown>>,
  model: ResolvedCostModel,
): number | undefined {
  const root = schema.getRootType(prepared.operation.operation)
  if (!root || !data) return undefined
  const meter = new WorkMeter(model.maxAnalysisNodes)
  const ctx: AnalysisContext = {
    costs: compileCostSchema(schema),
    model,
    fragments: prepared.fragments,
    values: new OperationValues(variables, meter),
    meter,
  }
  const { operation } = prepared
  return withinStack(() => {
    const base =
      operation.operation === 'mutation'
        ? model.mutationCost * new Estimator(ctx).rootFields(operation.selectionSet, root)
        : 0
    return chargedCost(base + new ActualCounter(ctx).object(operation.selectionSet, root, data), model)
  })
}

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
import { ErrorNulls, type ResponseError } from './error-nulls.js'
import { Estimator } from './estimator.js'
import { IntrospectionPricer } from './introspection-cost.js'
import { listSizing, type Sized } from './list-size.js'
import { coerceVariables, type PreparedOperation, prepareOperation } from './operation.js'
import { OperationValues } from './operation-values.js'
import { ResponseTypes } from './response-types.js'
import { WorkMeter, withinStack } from './work-meter.js'

type Data = Readonly<Record<string, unknown>>

/**
 * The same cost model applied to the response instead of the request: list fields count the items
 * actually returned (not their slicing argument or assumed size) and absent fields count nothing.
 * A field whose value an error nulled (its own, or an item's anywhere in its list) counts at least
 * its estimate: the resolvers under that `null` may have run, and nothing shows what they returned.
 *
 * An interface or union item counts as the most expensive type that could have produced it
 * ({@link ResponseTypes}).
 */
class ActualCounter {
  readonly #memo = new Map<SelectionSetNode, Map<GraphQLObjectType, WeakMap<object, number>>>()
  readonly #active = new Set<SelectionSetNode>()
  readonly #introspection: IntrospectionPricer
  readonly #estimator: Estimator
  readonly #types: ResponseTypes

  constructor(
    readonly ctx: AnalysisContext,
    /** Where the response's errors nulled its data. */
    readonly nulls: ErrorNulls,
  ) {
    this.#introspection = new IntrospectionPricer(ctx)
    this.#estimator = new Estimator(ctx)
    this.#types = new ResponseTypes(ctx)
  }

  /** One response object of `type` for the selection set, `sized` by its field's `@listSize`. */
  object(set: SelectionSetNode, type: GraphQLObjectType, value: Data, sized: Sized | undefined): number {
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
        if (!Object.hasOwn(value, key)) continue
        const measured = this.#field(selection, type, value[key])
        // Under an error's null, anything may have run: the field keeps (at least) its estimate.
        total += this.nulls.has(value, key)
          ? Math.max(measured, this.#estimate(selection, type, sized))
          : measured
      } else {
        const inner = fragmentSelections(this.ctx, selection, type)
        if (inner) total += insideFragment(this.#active, inner, () => this.object(inner, type, value, sized))
      }
    }
    byValue.set(value, total)
    return total
  }

  #field(node: FieldNode, parent: GraphQLObjectType, value: unknown): number {
    const { costs, model, values } = this.ctx
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
    // The items returned are counted; the size `@listSize` gives `sizedFields` prices their nulls.
    const sized = facts.listSize?.sizedFields
      ? listSizing(values, node, parent, definition, facts).sized
      : undefined
    const each = (item: unknown) =>
      this.#instance(node.selectionSet, facts.returned, facts.weight, item, sized)
    const items = facts.listDepth === 0 ? each(value) : this.#items(value, facts.listDepth, each)
    return items + argumentsCost(this.ctx, node, definition, facts)
  }

  #estimate(node: FieldNode, parent: GraphQLObjectType, sized: Sized | undefined): number {
    return this.#estimator.field(node, parent, sized?.fields.has(node.name.value) ? sized.size : undefined)
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
    sized: Sized | undefined,
  ) {
    const { costs } = this.ctx
    const object =
      set !== undefined && value !== null && typeof value === 'object' ? (value as Data) : undefined
    if (returned.kind === 'leaf') return weight ?? costs.typeWeight(returned.type)
    if (returned.kind === 'object') {
      const own = weight ?? costs.typeWeight(returned.type)
      return object ? own + this.object(set!, returned.type, object, sized) : own
    }
    const fitting = object ? this.#types.fitting(set!, returned.possible, object) : []
    let most = 0
    for (const candidate of fitting.length > 0 ? fitting : returned.possible) {
      const cost =
        (weight ?? costs.typeWeight(candidate)) + (object ? this.object(set!, candidate, object, sized) : 0)
      if (cost > most) most = cost
    }
    return most
  }
}

/** Options of {@link actualCost}. */
export interface ActualCostOptions extends CostModelOptions {
  variables?: Readonly<Record<string, unknown>> | null
  operationName?: string | null
  /**
   * The response's `errors`. A field whose value an error nulled counts at least its estimate
   * (what ran under the `null` does not show in `data`); an error without a path that leads to a
   * `null` makes the cost unknown (`undefined`). Pass them whenever the response has any.
   */
  errors?: readonly ResponseError[] | null
}

/**
 * The cost of an operation as executed, from its response `data` and `errors` (whole units, like
 * the estimate). `undefined` when the document has no such operation, its variables do not
 * coerce, there is no data, or an error cannot be placed in the data.
 *
 * @throws CostAnalysisError (`QUERY_TOO_COMPLEX`) past `maxAnalysisNodes`.
 * @example
 * const actual = actualCost(schema, document, result.data, { variables, errors: result.errors })
 */
export function actualCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  data: Readonly<Data> | null | undefined,
  options: ActualCostOptions = {},
): number | undefined {
  const { variables, operationName, errors, ...modelOptions } = options
  const prepared = prepareOperation(document, operationName)
  const coerced = prepared && coerceVariables(schema, prepared.operation, variables)
  const model = resolveCostModel(modelOptions)
  return coerced && measureActualCost(schema, prepared, { data, errors }, coerced, model)
}

/** What execution returned: the response's `data` and `errors`. */
export interface ExecutedResult {
  readonly data?: Readonly<Data> | null | undefined
  readonly errors?: readonly ResponseError[] | null | undefined
}

/** {@link actualCost} for an operation already found, with coerced variables and a resolved cost model. */
export function measureActualCost(
  schema: GraphQLSchema,
  prepared: PreparedOperation,
  result: ExecutedResult,
  variables: Readonly<Record<string, unknown>>,
  model: ResolvedCostModel,
): number | undefined {
  const root = schema.getRootType(prepared.operation.operation)
  const { data } = result
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
    const nulls = ErrorNulls.locate(data, result.errors, meter)
    if (!nulls) return undefined
    const base =
      operation.operation === 'mutation'
        ? model.mutationCost * new Estimator(ctx).rootFields(operation.selectionSet, root)
        : 0
    const selections = new ActualCounter(ctx, nulls).object(operation.selectionSet, root, data, undefined)
    return chargedCost(base + selections, model)
  })
}

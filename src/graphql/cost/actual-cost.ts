import {
  type DocumentNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql'
import { type CostModelOptions, chargedCost, type ResolvedCostModel, resolveCostModel } from './cost-model.js'
import { compileCostSchema } from './cost-schema.js'
import { Estimator } from './estimator.js'
import { type PreparedOperation, prepareOperation } from './operation.js'
import { VariableReader } from './variables.js'

type Data = Record<string, unknown>

/**
 * The same cost model applied to the response instead of the request: list fields count the items
 * actually returned (not their slicing argument or assumed size), absent fields count nothing, and
 * an interface or union counts the type named by `__typename` (else the most expensive one).
 */
class ActualCounter extends Estimator {
  selections(set: SelectionSetNode, type: GraphQLCompositeType, value: Data): number {
    const concrete = isAbstractType(type) ? this.costs.schema.getType(String(value.__typename)) : type
    if (concrete && isObjectType(concrete)) return this.#object(set, concrete, value)
    let most = 0
    for (const possible of this.costs.schema.getPossibleTypes(type as never)) {
      most = Math.max(most, this.#object(set, possible, value))
    }
    return most
  }

  #object(set: SelectionSetNode, type: GraphQLObjectType, value: Data): number {
    let total = 0
    for (const selection of set.selections) {
      if (!this.values.included(selection.directives)) continue
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value
        if (Object.hasOwn(value, key)) total += this.#field(selection, type, value[key])
      } else {
        const fragment = this.fragmentOf(selection, type)
        if (fragment) total += this.enter(fragment, () => this.#object(fragment.selectionSet, type, value))
      }
    }
    return total
  }

  #field(node: FieldNode, parent: GraphQLObjectType, value: unknown): number {
    const name = node.name.value
    if (name === '__typename') return 0
    if (name === '__schema' || name === '__type') return this.model.introspectionCost
    const definition = parent.getFields()[name]
    if (!definition) return 0
    const { weight, isList } = this.costs.field(definition)
    const type = getNamedType(definition.type) as GraphQLCompositeType
    const items = isList ? (Array.isArray(value) ? value.flat(Number.POSITIVE_INFINITY) : []) : [value]
    let total = this.arguments(node.arguments, definition)
    for (const item of items) {
      total += weight
      if (node.selectionSet && item !== null && typeof item === 'object')
        total += this.selections(node.selectionSet, type, item as Data)
    }
    return total
  }
}

/** Options of {@link actualCost}. */
export interface ActualCostOptions extends CostModelOptions {
  variables?: Readonly<Record<string, unknown>> | null
  operationName?: string | null
}

/**
 * The cost of an operation as executed, from its response `data` (whole units, like the estimate).
 * `undefined` when the document has no such operation or there is no data.
 *
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
  return prepared && measureActualCost(schema, prepared, data, variables, resolveCostModel(modelOptions))
}

/** {@link actualCost} for an operation already found, with a resolved cost model. */
export function measureActualCost(
  schema: GraphQLSchema,
  prepared: PreparedOperation,
  data: Readonly<Data> | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  model: ResolvedCostModel,
): number | undefined {
  const root = schema.getRootType(prepared.operation.operation)
  if (!root || !data) return undefined
  const counter = new ActualCounter(
    compileCostSchema(schema),
    model,
    prepared.fragments,
    new VariableReader(variables ?? {}, prepared.defaults),
  )
  const { operation } = prepared
  const base =
    operation.operation === 'mutation'
      ? model.mutationCost * counter.rootFields(operation.selectionSet, root)
      : 0
  return chargedCost(base + counter.selections(operation.selectionSet, root, data as Data), model)
}

/**
 * What every walk of one analysis shares (the estimate, the actual cost, introspection): the
 * schema's cost facts, the cost model, the document's fragments, the request's coerced values and
 * the work meter; and the rules of the document they all apply the same way (which fragment
 * applies to which type, what arguments cost).
 */
import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  Kind,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql'
import type { ResolvedCostModel } from './cost-model.js'
import type { CostSchema, FieldCost } from './cost-schema.js'
import { costOfValue } from './input-cost.js'
import type { OperationValues } from './operation-values.js'
import { tooComplex, type WorkMeter } from './work-meter.js'

/** The state one analysis shares between its walks. */
export interface AnalysisContext {
  readonly costs: CostSchema
  readonly model: ResolvedCostModel
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>
  readonly values: OperationValues
  readonly meter: WorkMeter
}

/** The selection set of an inline fragment or fragment spread, when it applies to objects of `type`. */
export function fragmentSelections(
  ctx: AnalysisContext,
  selection: Exclude<SelectionNode, FieldNode>,
  type: GraphQLObjectType,
): SelectionSetNode | undefined {
  if (selection.kind === Kind.INLINE_FRAGMENT) {
    const condition = selection.typeCondition?.name.value
    return condition === undefined || ctx.costs.applies(condition, type) ? selection.selectionSet : undefined
  }
  const fragment = ctx.fragments.get(selection.name.value)
  return fragment && ctx.costs.applies(fragment.typeCondition.name.value, type)
    ? fragment.selectionSet
    : undefined
}

/**
 * Runs `walk` inside a fragment's selection set, refusing a fragment that spreads itself (only a
 * document that skipped validation can: it would never end).
 */
export function insideFragment<T>(active: Set<SelectionSetNode>, set: SelectionSetNode, walk: () => T): T {
  if (active.has(set)) throw tooComplex('meets a fragment that spreads itself')
  active.add(set)
  try {
    return walk()
  } finally {
    active.delete(set)
  }
}

/** Cost of the arguments written on a field: each costed value, as the resolver receives it. */
export function argumentsCost(
  ctx: AnalysisContext,
  node: FieldNode,
  definition: GraphQLField<unknown, unknown>,
  facts: FieldCost,
): number {
  if (facts.costedArguments.length === 0 || !node.arguments?.length) return 0
  const values = ctx.values.arguments(definition, node, facts.relevantArguments)
  let total = 0
  for (const argument of facts.costedArguments) {
    // Own properties only: graphql-js builds argument values on a plain object, and an argument
    // named `constructor` that a variable left out must not read Object.prototype's.
    if (node.arguments.some((a) => a.name.value === argument.name) && Object.hasOwn(values, argument.name)) {
      total += costOfValue(ctx.costs, values[argument.name], argument, ctx.meter)
    }
  }
  return total
}

import {
  type FieldNode,
  type GraphQLObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql'
import {
  type AnalysisContext,
  argumentsCost,
  fragmentSelections,
  insideFragment,
} from './analysis-context.js'
import type { Returned } from './cost-schema.js'
import { IntrospectionPricer } from './introspection-cost.js'
import { listSizing, type Sized } from './list-size.js'

/**
 * The estimate of an operation before it runs: a field costs `count × (weight + selections) +
 * arguments` (IBM cost spec, as Apollo computes it); a field selected twice counts twice.
 *
 * Every selection set is priced once per (object type, list size set by `sizedFields`) and
 * remembered — as graphql-js collects each fragment once — so a fragment spread 2^24 times through
 * nested fragments costs one walk; the work meter bounds what is left.
 */
export class Estimator {
  /** Per selection set: the cost per object type (unsized) or per type, `@listSize` and size. */
  readonly #memo = new Map<SelectionSetNode, Map<GraphQLObjectType | string, number>>()
  readonly #rootMemo = new Map<SelectionSetNode, number>()
  readonly #active = new Set<SelectionSetNode>()
  readonly #introspection: IntrospectionPricer

  constructor(readonly ctx: AnalysisContext) {
    this.#introspection = new IntrospectionPricer(ctx)
  }

  /**
   * The operation's estimate: the base cost of a mutation's root fields plus every selection.
   * `Infinity` when it overflows, `0 × ∞` included (a subtree too large to count is too expensive).
   */
  operation(op: OperationDefinitionNode): number {
    const root = this.ctx.costs.schema.getRootType(op.operation)
    if (!root) return 0
    const base =
      op.operation === 'mutation' ? this.ctx.model.mutationCost * this.rootFields(op.selectionSet, root) : 0
    const total = base + this.#objectSelections(op.selectionSet, root, undefined)
    return Number.isNaN(total) ? Number.POSITIVE_INFINITY : total
  }

  /**
   * One instance of what a field returns, with its selections. On an interface or union, the most
   * expensive possible type counts, its own weight included.
   */
  #instance(
    set: SelectionSetNode | undefined,
    returned: Returned,
    weight: number | undefined,
    sized: Sized | undefined,
  ): number {
    const { costs, meter } = this.ctx
    if (returned.kind === 'leaf') return weight ?? costs.typeWeight(returned.type)
    if (returned.kind === 'object') {
      const own = weight ?? costs.typeWeight(returned.type)
      return set ? own + this.#objectSelections(set, returned.type, sized) : own
    }
    let most = 0
    for (const possible of returned.possible) {
      meter.spend()
      const cost =
        (weight ?? costs.typeWeight(possible)) + (set ? this.#objectSelections(set, possible, sized) : 0)
      if (Number.isNaN(cost)) return cost // 0 × ∞ below: the overflow must not be forgotten
      if (cost > most) most = cost
    }
    return most
  }

  #objectSelections(set: SelectionSetNode, type: GraphQLObjectType, sized: Sized | undefined): number {
    const key = sized ? `${type.name}\u0000${sized.id}\u0000${sized.size}` : type
    const cached = this.#memo.get(set)?.get(key)
    if (cached !== undefined) return cached
    const { meter, values } = this.ctx
    let total = 0
    for (const selection of set.selections) {
      meter.spend()
      if (!values.included(selection)) continue
      if (selection.kind === Kind.FIELD) {
        total += this.field(selection, type, sized?.fields.has(selection.name.value) ? sized.size : undefined)
      } else {
        const inner = fragmentSelections(this.ctx, selection, type)
        if (inner)
          total += insideFragment(this.#active, inner, () => this.#objectSelections(inner, type, sized))
      }
    }
    let byKey = this.#memo.get(set)
    if (!byKey) {
      byKey = new Map()
      this.#memo.set(set, byKey)
    }
    byKey.set(key, total)
    return total
  }

  /**
   * One field: a list counts `size` instances per dimension (`[[Item]]`: size × size).
   * `sizedByParent`: the size the parent's `@listSize(sizedFields:)` gives this field.
   */
  field(node: FieldNode, parent: GraphQLObjectType, sizedByParent: number | undefined): number {
    const { costs, model, values } = this.ctx
    const name = node.name.value
    if (name === '__typename') return 0
    if (name === '__schema' || name === '__type')
      return model.introspectionCost + this.#introspection.root(node)
    const definition = parent.getFields()[name]
    if (!definition) return 0
    const facts = costs.field(definition)
    const { size, sized } = listSizing(values, node, parent, definition, facts)
    const count =
      facts.listDepth === 0 ? 1 : (sizedByParent ?? size ?? model.defaultListSize) ** facts.listDepth
    const each = this.#instance(node.selectionSet, facts.returned, facts.weight, sized)
    return count * each + argumentsCost(this.ctx, node, definition, facts)
  }

  /** Root fields of a mutation (through fragments, each spread counting), each paying `mutationCost`. */
  rootFields(set: SelectionSetNode, root: GraphQLObjectType): number {
    const cached = this.#rootMemo.get(set)
    if (cached !== undefined) return cached
    let count = 0
    for (const selection of set.selections) {
      this.ctx.meter.spend()
      if (!this.ctx.values.included(selection)) continue
      if (selection.kind === Kind.FIELD) count += selection.name.value === '__typename' ? 0 : 1
      else {
        const inner = fragmentSelections(this.ctx, selection, root)
        if (inner) count += insideFragment(this.#active, inner, () => this.rootFields(inner, root))
      }
    }
    this.#rootMemo.set(set, count)
    return count
  }
}

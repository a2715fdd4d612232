import {
  type ArgumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
  getNamedType,
  isAbstractType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql'
import { CostAnalysisError } from './cost-errors.js'
import type { ResolvedCostModel } from './cost-model.js'
import type { CostSchema, InputCost, ListSize } from './cost-schema.js'
import { costOfJson } from './input-cost.js'
import type { VariableReader } from './variables.js'

/** List size set by a parent's `@listSize(sizedFields:)` for some of its child fields. */
interface Sized {
  readonly size: number
  readonly fields: ReadonlySet<string>
}

/** Cost of one field: `count × (weight + selections) + arguments` (IBM cost spec, as Apollo computes it). */
export class Estimator {
  readonly #memo = new Map<SelectionSetNode, Map<string, number>>()
  readonly #active = new Set<string>()

  constructor(
    readonly costs: CostSchema,
    readonly model: ResolvedCostModel,
    readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    readonly values: VariableReader,
  ) {}

  /** The operation's estimate: the base cost of a mutation's root fields plus every selection. */
  operation(op: OperationDefinitionNode): number {
    const root = this.costs.schema.getRootType(op.operation)
    if (!root) return 0
    const base =
      op.operation === 'mutation' ? this.model.mutationCost * this.rootFields(op.selectionSet, root) : 0
    return base + this.selectionSet(op.selectionSet, root)
  }

  /** On an interface or union, the most expensive possible type counts. */
  selectionSet(set: SelectionSetNode, type: GraphQLCompositeType, sized?: Sized): number {
    if (!isAbstractType(type)) return this.#objectSelections(set, type, sized)
    let most = 0
    for (const possible of this.costs.schema.getPossibleTypes(type)) {
      most = Math.max(most, this.#objectSelections(set, possible, sized))
    }
    return most
  }

  #objectSelections(set: SelectionSetNode, type: GraphQLObjectType, sized: Sized | undefined): number {
    const cached = sized ? undefined : this.#memo.get(set)?.get(type.name)
    if (cached !== undefined) return cached
    let total = 0
    for (const selection of set.selections) {
      if (!this.values.included(selection.directives)) continue
      if (selection.kind === Kind.FIELD) {
        total += this.field(selection, type, sized?.fields.has(selection.name.value) ? sized.size : undefined)
      } else {
        const fragment = this.fragmentOf(selection, type)
        if (fragment)
          total += this.enter(fragment, () => this.#objectSelections(fragment.selectionSet, type, sized))
      }
    }
    if (!sized) {
      const byType = this.#memo.get(set)
      if (byType) byType.set(type.name, total)
      else this.#memo.set(set, new Map([[type.name, total]]))
    }
    return total
  }

  /** One field: a list counts `size` instances of its type's weight plus its selections. */
  field(node: FieldNode, parent: GraphQLObjectType, sizedByParent?: number): number {
    const name = node.name.value
    if (name === '__typename') return 0
    if (name === '__schema' || name === '__type') return this.model.introspectionCost
    const definition = parent.getFields()[name]
    if (!definition) return 0
    const facts = this.costs.field(definition)
    const size = facts.listSize
      ? this.listSize(facts.listSize, node.arguments, `${parent.name}.${name}`)
      : undefined
    const count = facts.isList ? (sizedByParent ?? size ?? this.model.defaultListSize) : 1
    let selections = 0
    if (node.selectionSet) {
      const fields = facts.listSize?.sizedFields
      const sized = fields && size !== undefined ? { size, fields } : undefined
      selections = this.selectionSet(
        node.selectionSet,
        getNamedType(definition.type) as GraphQLCompositeType,
        sized,
      )
    }
    return count * (facts.weight + selections) + this.arguments(node.arguments, definition)
  }

  /** The size a slicing argument (the largest given), its schema default or `assumedSize` sets. */
  listSize(
    listSize: ListSize,
    args: readonly ArgumentNode[] | undefined,
    coordinate: string,
  ): number | undefined {
    const given: number[] = []
    for (const path of listSize.slicingArguments) {
      const value = this.#slicingValue(args, path)
      if (typeof value === 'number') given.push(value)
    }
    const values =
      given.length > 0 ? given : listSize.slicingDefaults.filter((v): v is number => v !== undefined)
    if (
      listSize.requireOneSlicingArgument &&
      listSize.slicingArguments.length > 0 &&
      (given.length > 1 || values.length === 0)
    ) {
      const names = listSize.slicingArguments.map((p) => p.join('.')).join(', ')
      throw new CostAnalysisError(
        `${coordinate} needs exactly one of its slicing arguments (${names}) to know how many items it returns; got ${given.length}.`,
      )
    }
    return values.length > 0 ? Math.max(0, ...values) : listSize.assumedSize
  }

  #slicingValue(args: readonly ArgumentNode[] | undefined, path: readonly string[]): unknown {
    const arg = args?.find((a) => a.name.value === path[0])
    let value = arg ? this.values.value(arg.value) : undefined
    for (let i = 1; i < path.length && value != null; i++)
      value = (value as Record<string, unknown>)[path[i]!]
    return value
  }

  protected arguments(
    args: readonly ArgumentNode[] | undefined,
    definition: GraphQLField<unknown, unknown>,
  ): number {
    if (!args?.length) return 0
    let total = 0
    for (const arg of args) {
      const argument = definition.args.find((a) => a.name === arg.name.value)
      if (argument) total += this.#argument(arg.value, this.costs.input(argument))
    }
    return total
  }

  #argument(node: ValueNode, cost: InputCost): number {
    if (cost.weight === 0 && !cost.inputObject) return 0
    return costOfJson(this.costs, this.values.value(node), cost)
  }

  protected fragmentOf(selection: SelectionSetNode['selections'][number], type: GraphQLObjectType) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const condition = selection.typeCondition?.name.value
      return condition === undefined || this.applies(condition, type)
        ? { name: '', selectionSet: selection.selectionSet }
        : undefined
    }
    if (selection.kind !== Kind.FRAGMENT_SPREAD) return undefined
    const fragment = this.fragments.get(selection.name.value)
    return fragment && this.applies(fragment.typeCondition.name.value, type)
      ? { name: fragment.name.value, selectionSet: fragment.selectionSet }
      : undefined
  }

  protected applies(condition: string, type: GraphQLObjectType): boolean {
    if (condition === type.name) return true
    const conditionType = this.costs.schema.getType(condition)
    return (
      conditionType !== undefined &&
      isAbstractType(conditionType) &&
      this.costs.schema.isSubType(conditionType, type)
    )
  }

  /** Guards against fragment cycles in a document that skipped validation. */
  protected enter(fragment: { name: string }, run: () => number): number {
    if (!fragment.name) return run()
    if (this.#active.has(fragment.name))
      throw new CostAnalysisError(`Fragment "${fragment.name}" spreads itself.`)
    this.#active.add(fragment.name)
    try {
      return run()
    } finally {
      this.#active.delete(fragment.name)
    }
  }

  /** Root fields of a mutation (through fragments), each paying `mutationCost`. */
  rootFields(set: SelectionSetNode, root: GraphQLObjectType): number {
    let count = 0
    for (const selection of set.selections) {
      if (!this.values.included(selection.directives)) continue
      if (selection.kind === Kind.FIELD) count += selection.name.value === '__typename' ? 0 : 1
      else {
        const fragment = this.fragmentOf(selection, root)
        if (fragment) count += this.enter(fragment, () => this.rootFields(fragment.selectionSet, root))
      }
    }
    return count
  }
}

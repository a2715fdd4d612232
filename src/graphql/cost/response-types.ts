/**
 * Which object types could have produced an interface or union item of a response, told by the
 * response itself: the keys of the item are exactly the response keys graphql-js collects for
 * its runtime type, and a key collected as `__typename` holds that type's name. Every type that
 * fits is a candidate and the most expensive one counts, so the true type always counts or is
 * outweighed; no alias a client chooses can make an item cheaper than what ran.
 */
import { type FieldNode, type GraphQLObjectType, Kind, type SelectionSetNode } from 'graphql'
import { type AnalysisContext, fragmentSelections } from './analysis-context.js'

type Data = Readonly<Record<string, unknown>>

/** The candidate types of response items, with what graphql-js collects per selection set and type. */
export class ResponseTypes {
  readonly #collected = new Map<SelectionSetNode, Map<GraphQLObjectType, Map<string, FieldNode>>>()

  constructor(readonly ctx: AnalysisContext) {}

  /** The possible types that could have produced `value` for the selection set. */
  fitting(
    set: SelectionSetNode,
    possible: readonly GraphQLObjectType[],
    value: Data,
  ): readonly GraphQLObjectType[] {
    return possible.filter((type) => this.#couldBe(set, type, value))
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

/**
 * Introspection priced by what it selects: every object of the response (`__Schema`, `__Type`,
 * `__Field`, …) costs 1 like any object, and lists have the sizes the schema actually gives them.
 * The schema is known, so this is exact (deprecated fields and arguments included: an upper
 * bound). Memoised per (selection set, schema element): a selection spread a thousand times
 * through one fragment is walked once, a thousand aliases of their own are walked — and priced —
 * a thousand times.
 */
import {
  type FieldNode,
  type GraphQLArgument,
  type GraphQLDirective,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type GraphQLType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  TypeMetaFieldDef,
} from 'graphql'
import { type AnalysisContext, fragmentSelections, insideFragment } from './analysis-context.js'

type IntrospectionType = '__Schema' | '__Type' | '__Field' | '__InputValue' | '__EnumValue' | '__Directive'

/** The objects a field of an introspection object returns: their type and the schema elements behind them. */
interface Children {
  readonly kind: IntrospectionType
  readonly items: readonly object[]
}

const NAME = new Set(['name'])
const none = (kind: IntrospectionType): Children => ({ kind, items: [] })

function ofSchema(schema: GraphQLSchema, field: string): Children | undefined {
  const root = (type: GraphQLObjectType | null | undefined): Children => ({
    kind: '__Type',
    items: type ? [type] : [],
  })
  switch (field) {
    case 'types':
      return { kind: '__Type', items: Object.values(schema.getTypeMap()) }
    case 'directives':
      return { kind: '__Directive', items: schema.getDirectives() }
    case 'queryType':
      return root(schema.getQueryType())
    case 'mutationType':
      return root(schema.getMutationType())
    case 'subscriptionType':
      return root(schema.getSubscriptionType())
    default:
      return undefined
  }
}

function ofType(schema: GraphQLSchema, type: GraphQLType, field: string): Children | undefined {
  const withFields = isObjectType(type) || isInterfaceType(type)
  switch (field) {
    case 'fields':
      return withFields ? { kind: '__Field', items: Object.values(type.getFields()) } : none('__Field')
    case 'interfaces':
      return withFields ? { kind: '__Type', items: type.getInterfaces() } : none('__Type')
    case 'possibleTypes':
      return isAbstractType(type) ? { kind: '__Type', items: schema.getPossibleTypes(type) } : none('__Type')
    case 'enumValues':
      return isEnumType(type) ? { kind: '__EnumValue', items: type.getValues() } : none('__EnumValue')
    case 'inputFields':
      return isInputObjectType(type)
        ? { kind: '__InputValue', items: Object.values(type.getFields()) }
        : none('__InputValue')
    case 'ofType':
      return isListType(type) || isNonNullType(type)
        ? { kind: '__Type', items: [type.ofType] }
        : none('__Type')
    default:
      return undefined
  }
}

function childrenOf(schema: GraphQLSchema, kind: IntrospectionType, element: object, field: string) {
  switch (kind) {
    case '__Schema':
      return ofSchema(schema, field)
    case '__Type':
      return ofType(schema, element as GraphQLType, field)
    case '__Field':
    case '__Directive':
    case '__InputValue': {
      if (field === 'args' && kind !== '__InputValue') {
        const owner = element as GraphQLField<unknown, unknown> | GraphQLDirective
        return { kind: '__InputValue' as const, items: owner.args }
      }
      if (field === 'type' && kind !== '__Directive') {
        return { kind: '__Type' as const, items: [(element as GraphQLArgument).type] }
      }
      return undefined
    }
    default:
      return undefined
  }
}

/** Prices `__schema` and `__type` selections of one analysis. */
export class IntrospectionPricer {
  readonly #memo = new Map<SelectionSetNode, Map<object, number>>()
  readonly #active = new Set<SelectionSetNode>()

  constructor(readonly ctx: AnalysisContext) {}

  /** A `__schema` or `__type` field: the objects of its response; 0 when `__type` names no type. */
  root(node: FieldNode): number {
    const { schema } = this.ctx.costs
    if (node.name.value === '__schema') return 1 + this.#selections(node.selectionSet, '__Schema', schema)
    const { name } = this.ctx.values.arguments(TypeMetaFieldDef, node, NAME)
    const type = typeof name === 'string' ? schema.getType(name) : undefined
    return type ? 1 + this.#selections(node.selectionSet, '__Type', type) : 0
  }

  #selections(set: SelectionSetNode | undefined, kind: IntrospectionType, element: object): number {
    if (!set) return 0
    const cached = this.#memo.get(set)?.get(element)
    if (cached !== undefined) return cached
    const { ctx } = this
    const { schema } = ctx.costs
    let total = 0
    for (const selection of set.selections) {
      ctx.meter.spend()
      if (!ctx.values.included(selection)) continue
      if (selection.kind === Kind.FIELD) {
        const children = childrenOf(schema, kind, element, selection.name.value)
        for (const item of children?.items ?? []) {
          ctx.meter.spend()
          total += 1 + this.#selections(selection.selectionSet, children!.kind, item)
        }
      } else {
        const inner = fragmentSelections(ctx, selection, schema.getType(kind) as GraphQLObjectType)
        if (inner) total += insideFragment(this.#active, inner, () => this.#selections(inner, kind, element))
      }
    }
    let byElement = this.#memo.get(set)
    if (!byElement) {
      byElement = new Map()
      this.#memo.set(set, byElement)
    }
    byElement.set(element, total)
    return total
  }
}

import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputObjectType,
  type GraphQLInterfaceType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
} from 'graphql'
import { argumentWeight, governingDirective, readListSize, readWeight, weightOf } from './directive-values.js'

/**
 * The schema's `@cost` and `@listSize` directives, read and validated once per schema so that the
 * per-request analysis only looks values up in maps. A field without its own directive takes its
 * interface field's (as `@rateLimit` does): `directive-values.ts`.
 */

/** `@listSize` of one field, validated. */
export interface ListSize {
  /** Unique per schema: tells apart the sizes two connections give their `sizedFields`. */
  readonly id: number
  readonly assumedSize: number | undefined
  /** Each slicing argument as a path: `['first']`, `['input', 'first']`. */
  readonly slicingArguments: readonly (readonly string[])[]
  readonly sizedFields: ReadonlySet<string> | undefined
  readonly requireOneSlicingArgument: boolean
}

/** What an output field returns, by kind, so that walks need no type checks. */
export type Returned =
  | { readonly kind: 'object'; readonly type: GraphQLObjectType }
  | { readonly kind: 'abstract'; readonly possible: readonly GraphQLObjectType[] }
  | { readonly kind: 'leaf'; readonly type: GraphQLNamedType }

/** The cost facts of one output field. */
export interface FieldCost {
  readonly returned: Returned
  /**
   * The field's own `@cost`, when it has one. Otherwise each instance weighs what its type weighs
   * ({@link CostSchema.typeWeight}): for an interface or union, the concrete type's weight.
   */
  readonly weight: number | undefined
  /** How many list wrappers the field's type has: 0 for `Item`, 1 for `[Item!]!`, 2 for `[[Item]]`. */
  readonly listDepth: number
  readonly listSize: ListSize | undefined
  /** Arguments whose values can change the cost: slicing arguments and arguments with a weight. */
  readonly relevantArguments: ReadonlySet<string>
  /** Arguments whose values are priced (a weight, or an input object). */
  readonly costedArguments: readonly GraphQLArgument[]
}

/** The cost facts of one argument or input field. */
export interface InputCost {
  /** Cost of each value given: the definition's `@cost`, else its type's, else 1 (input object) or 0. */
  readonly weight: number
  /** Set when the value is an input object (its fields are scored too). */
  readonly inputObject: GraphQLInputObjectType | undefined
}

/** Cost facts of a whole schema. */
export interface CostSchema {
  readonly schema: GraphQLSchema
  field(field: GraphQLField<unknown, unknown>): FieldCost
  input(definition: GraphQLArgument | GraphQLInputField): InputCost
  /** One instance of a type: its `@cost`, else 1 for objects, interfaces and unions, 0 for leaves. */
  typeWeight(type: GraphQLNamedType): number
  /** Whether a fragment on type `condition` applies to objects of `type` (remembered). */
  applies(condition: string, type: GraphQLObjectType): boolean
}

const compiled = new WeakMap<GraphQLSchema, CostSchema>()

function listDepth(type: GraphQLOutputType): number {
  let depth = 0
  for (let t = getNullableType(type); isListType(t); t = getNullableType(t.ofType)) depth++
  return depth
}

function returnedBy(schema: GraphQLSchema, type: GraphQLOutputType): Returned {
  const named = getNamedType(type)
  if (isObjectType(named)) return { kind: 'object', type: named }
  if (isAbstractType(named)) return { kind: 'abstract', possible: schema.getPossibleTypes(named) }
  return { kind: 'leaf', type: named }
}

/** `applies` of {@link CostSchema}: a condition is the type itself or an abstract type it belongs to. */
function fragmentRule(schema: GraphQLSchema): CostSchema['applies'] {
  const known = new Map<string, Map<GraphQLObjectType, boolean>>()
  return (condition, type) => {
    let byType = known.get(condition)
    if (!byType) {
      byType = new Map()
      known.set(condition, byType)
    }
    let applies = byType.get(type)
    if (applies === undefined) {
      const conditionType = schema.getType(condition)
      applies =
        condition === type.name ||
        (conditionType !== undefined &&
          isAbstractType(conditionType) &&
          schema.isSubType(conditionType, type))
      byType.set(type, applies)
    }
    return applies
  }
}

/** `typeWeight` of {@link CostSchema}: each type's weight read (and validated) once. */
function typeWeigher(schema: GraphQLSchema): CostSchema['typeWeight'] {
  const typeWeights = new Map<GraphQLNamedType, number>()
  return (type) => {
    let weight = typeWeights.get(type)
    if (weight === undefined) {
      weight = weightOf(schema, type, type.name) ?? (isCompositeType(type) ? 1 : 0)
      typeWeights.set(type, weight)
    }
    return weight
  }
}

/** Prices an argument or input field and records it in `inputs`. */
type InputPricer = (definition: GraphQLArgument | GraphQLInputField, own: number | undefined) => InputCost

/** `own`: the definition's `@cost` weight (inherited from an interface field for arguments). */
function inputPricer(
  schema: GraphQLSchema,
  inputs: Map<GraphQLArgument | GraphQLInputField, InputCost>,
): InputPricer {
  return (definition, own) => {
    const type = getNamedType(definition.type)
    const inputObject = isInputObjectType(type) ? type : undefined
    const weight = own ?? weightOf(schema, type, type.name) ?? (inputObject ? 1 : 0)
    const cost = { weight, inputObject }
    inputs.set(definition, cost)
    return cost
  }
}

/** The cost facts of one output field; prices its arguments on the way. `id` numbers its `@listSize`. */
function fieldCost(
  schema: GraphQLSchema,
  type: GraphQLObjectType | GraphQLInterfaceType,
  field: GraphQLField<unknown, unknown>,
  id: number,
  inputCost: InputPricer,
): FieldCost {
  const coordinate = `${type.name}.${field.name}`
  // Directives written on the interface field govern an implementation that has none.
  const governed = (name: 'cost' | 'listSize') => governingDirective(schema, type, field, name, coordinate)
  const listSize = readListSize(field, governed('listSize'), coordinate, id)
  const costed = field.args.filter((arg) => {
    const weight = argumentWeight(schema, type, field, arg, coordinate)
    const cost = inputCost(arg, weight)
    return cost.weight > 0 || cost.inputObject !== undefined
  })
  const relevant = new Set(costed.map((arg) => arg.name))
  for (const path of listSize?.slicingArguments ?? []) relevant.add(path[0]!)
  return {
    returned: returnedBy(schema, field.type),
    weight: readWeight(governed('cost'), coordinate),
    listDepth: listDepth(field.type),
    listSize,
    relevantArguments: relevant,
    costedArguments: costed,
  }
}

/** What a field the schema does not know costs: a leaf, free of arguments. */
function unknownField(schema: GraphQLSchema): FieldCost {
  return {
    returned: { kind: 'leaf', type: schema.getType('String')! },
    weight: undefined,
    listDepth: 0,
    listSize: undefined,
    relevantArguments: new Set(),
    costedArguments: [],
  }
}

function build(schema: GraphQLSchema): CostSchema {
  const fields = new Map<GraphQLField<unknown, unknown>, FieldCost>()
  const inputs = new Map<GraphQLArgument | GraphQLInputField, InputCost>()
  const typeWeight = typeWeigher(schema)
  const inputCost = inputPricer(schema, inputs)
  let ids = 0
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue
    typeWeight(type) // validates every type's @cost at startup, used or not
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields()))
        fields.set(field, fieldCost(schema, type, field, ids++, inputCost))
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()))
        inputCost(field, weightOf(schema, field, `${type.name}.${field.name}`))
    }
  }
  const leaf = unknownField(schema)
  const free: InputCost = { weight: 0, inputObject: undefined }
  return {
    schema,
    field: (field) => fields.get(field) ?? leaf,
    input: (definition) => inputs.get(definition) ?? free,
    typeWeight,
    applies: fragmentRule(schema),
  }
}

/**
 * Reads and validates the `@cost` / `@listSize` directives of a schema (cached per schema).
 *
 * @throws RateLimitConfigError (`INVALID_DIRECTIVE`) naming the coordinate, e.g.
 *   `Query.users: expected @cost(weight:) to be a non-negative number in a string such as "2.5", got "many"`.
 * @example
 * compileCostSchema(schema) // at startup: fails fast on a bad directive
 */
export function compileCostSchema(schema: GraphQLSchema): CostSchema {
  let cost = compiled.get(schema)
  if (!cost) {
    cost = build(schema)
    compiled.set(schema, cost)
  }
  return cost
}

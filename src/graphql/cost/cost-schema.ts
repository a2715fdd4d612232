import { getDirective } from '@graphql-tools/utils'
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputObjectType,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  valueFromASTUntyped,
} from 'graphql'
import { describeValue, RateLimitConfigError } from '../../errors.js'

/**
 * The schema's `@cost` and `@listSize` directives, read and validated once per schema so that the
 * per-request analysis only looks values up in maps.
 */

/** `@listSize` of one field, validated. */
export interface ListSize {
  readonly assumedSize: number | undefined
  /** Each slicing argument as a path: `['first']`, `['input', 'first']`. */
  readonly slicingArguments: readonly (readonly string[])[]
  /** Schema default of each slicing argument (same order), when it has one. */
  readonly slicingDefaults: readonly (number | undefined)[]
  readonly sizedFields: ReadonlySet<string> | undefined
  readonly requireOneSlicingArgument: boolean
}

/** The cost facts of one output field. */
export interface FieldCost {
  /** Cost of one instance: the field's `@cost`, else its type's `@cost`, else 1 (composite) or 0 (leaf). */
  readonly weight: number
  readonly isList: boolean
  readonly listSize: ListSize | undefined
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
}

const compiled = new WeakMap<GraphQLSchema, CostSchema>()

function invalid(coordinate: string, message: string): never {
  throw new RateLimitConfigError('INVALID_DIRECTIVE', `${coordinate}: ${message}`)
}

type Directable = Parameters<typeof getDirective>[1]

/** The `@cost` weight of a schema element, or `undefined` when it has none. */
function weightOf(schema: GraphQLSchema, node: Directable, coordinate: string): number | undefined {
  const found = getDirective(schema, node, 'cost')?.[0]
  if (!found) return undefined
  const raw = found.weight as unknown
  const weight = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN
  if (!Number.isFinite(weight) || weight < 0) {
    invalid(
      coordinate,
      `expected @cost(weight:) to be a non-negative number in a string such as "2.5", got ${describeValue(raw)}`,
    )
  }
  return weight
}

function typeWeight(schema: GraphQLSchema, type: GraphQLNamedType): number | undefined {
  return weightOf(schema, type, type.name)
}

function slicingDefault(
  field: GraphQLField<unknown, unknown>,
  path: readonly string[],
  coordinate: string,
): number | undefined {
  let arg: GraphQLArgument | GraphQLInputField | undefined = field.args.find((a) => a.name === path[0])
  for (let i = 1; arg && i < path.length; i++) {
    const type = getNamedType(arg.type)
    arg = isInputObjectType(type) ? type.getFields()[path[i]!] : undefined
  }
  if (!arg)
    invalid(
      coordinate,
      `@listSize(slicingArguments:) names "${path.join('.')}", which is not an argument of this field`,
    )
  if (getNamedType(arg.type).name !== 'Int' || isListType(getNullableType(arg.type))) {
    invalid(coordinate, `@listSize(slicingArguments:) names "${path.join('.')}", which must be of type Int`)
  }
  const value = arg.astNode?.defaultValue ? valueFromASTUntyped(arg.astNode.defaultValue) : arg.defaultValue
  return typeof value === 'number' ? value : undefined
}

function listSizeOf(
  schema: GraphQLSchema,
  field: GraphQLField<unknown, unknown>,
  coordinate: string,
): ListSize | undefined {
  const found = getDirective(schema, field, 'listSize')?.[0]
  if (!found) return undefined
  const { assumedSize, slicingArguments, sizedFields, requireOneSlicingArgument } = found as {
    assumedSize?: number | null
    slicingArguments?: string[] | null
    sizedFields?: string[] | null
    requireOneSlicingArgument?: boolean | null
  }
  if (assumedSize != null && (!Number.isInteger(assumedSize) || assumedSize < 0)) {
    invalid(
      coordinate,
      `expected @listSize(assumedSize:) to be an integer ≥ 0, got ${describeValue(assumedSize)}`,
    )
  }
  const paths = (slicingArguments ?? []).map((name) => name.split('.'))
  const returned = getNamedType(field.type)
  if (sizedFields?.length) {
    const fields = isObjectType(returned) || isInterfaceType(returned) ? returned.getFields() : {}
    for (const name of sizedFields) {
      if (!fields[name])
        invalid(
          coordinate,
          `@listSize(sizedFields:) names "${name}", which is not a field of ${returned.name}`,
        )
    }
  }
  return {
    assumedSize: assumedSize ?? undefined,
    slicingArguments: paths,
    slicingDefaults: paths.map((path) => slicingDefault(field, path, coordinate)),
    sizedFields: sizedFields?.length ? new Set(sizedFields) : undefined,
    requireOneSlicingArgument: requireOneSlicingArgument !== false,
  }
}

function build(schema: GraphQLSchema): CostSchema {
  const fields = new Map<GraphQLField<unknown, unknown>, FieldCost>()
  const inputs = new Map<GraphQLArgument | GraphQLInputField, InputCost>()
  const inputCost = (definition: GraphQLArgument | GraphQLInputField, coordinate: string): InputCost => {
    const type = getNamedType(definition.type)
    const inputObject = isInputObjectType(type) ? type : undefined
    const weight =
      weightOf(schema, definition, coordinate) ?? typeWeight(schema, type) ?? (inputObject ? 1 : 0)
    const cost = { weight, inputObject }
    inputs.set(definition, cost)
    return cost
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${type.name}.${field.name}`
        const returned = getNamedType(field.type)
        fields.set(field, {
          weight:
            weightOf(schema, field, coordinate) ??
            typeWeight(schema, returned) ??
            (isCompositeType(returned) ? 1 : 0),
          isList: isListType(getNullableType(field.type)),
          listSize: listSizeOf(schema, field, coordinate),
        })
        for (const arg of field.args) inputCost(arg, `${coordinate}(${arg.name}:)`)
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) inputCost(field, `${type.name}.${field.name}`)
    }
  }
  const leaf: FieldCost = { weight: 0, isList: false, listSize: undefined }
  const free: InputCost = { weight: 0, inputObject: undefined }
  return {
    schema,
    field: (field) => fields.get(field) ?? leaf,
    input: (definition) => inputs.get(definition) ?? free,
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

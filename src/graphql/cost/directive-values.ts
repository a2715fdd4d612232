/**
 * Reads and validates the values of `@cost` and `@listSize` on schema elements, and finds which
 * element's directive governs a field: its own, else the one written on the same field of its
 * interfaces (graphql-js does not copy directives to implementations, and a schema author writes
 * `@listSize` once on `interface Node { friends(first: Int!): … }` as they would `@rateLimit`).
 * Interfaces that disagree refuse the schema at startup: which of the two the resolver honours
 * cannot be known, and guessing the cheaper one would under-price it.
 */
import { getDirective } from '@graphql-tools/utils'
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  valueFromASTUntyped,
} from 'graphql'
import { describeValue, invalidConfig } from '../../errors.js'
import type { ListSize } from './cost-schema.js'

type Directable = Parameters<typeof getDirective>[1]
type DirectiveArgs = Readonly<Record<string, unknown>>

/** A directive's arguments and where it was written (for error messages). */
export interface FoundDirective {
  readonly args: DirectiveArgs
  /** `Node.friends` when inherited from `interface Node`; the field's own coordinate otherwise. */
  readonly declaredOn: string
}

function invalid(coordinate: string, message: string): never {
  invalidConfig(`${coordinate}: ${message}`, 'INVALID_DIRECTIVE')
}

/**
 * The `@name` directive that governs an element: its own when it has one, else the one its
 * counterparts on the interfaces carry — written once, or identically on each.
 * @throws RateLimitConfigError (`INVALID_DIRECTIVE`) when two interfaces disagree.
 */
function governing(
  schema: GraphQLSchema,
  own: Directable,
  inherited: ReadonlyArray<{ node: Directable | undefined; declaredOn: string }>,
  name: string,
  coordinate: string,
): FoundDirective | undefined {
  const written = getDirective(schema, own, name)?.[0]
  if (written) return { args: written, declaredOn: coordinate }
  let found: (FoundDirective & { readonly text: string }) | undefined
  for (const { node, declaredOn } of inherited) {
    const args = node && getDirective(schema, node, name)?.[0]
    if (!args) continue
    const text = JSON.stringify(args)
    if (!found) found = { args, declaredOn, text }
    else if (found.text !== text) {
      invalid(
        coordinate,
        `inherits different @${name} directives from ${found.declaredOn} and ${declaredOn}; write the one that fits on ${coordinate} itself`,
      )
    }
  }
  return found && { args: found.args, declaredOn: found.declaredOn }
}

/** The interfaces of an object or interface type, each with its field of this name. */
function counterparts(
  type: GraphQLObjectType | GraphQLInterfaceType,
  fieldName: string,
): Array<{ iface: GraphQLInterfaceType; field: GraphQLField<unknown, unknown> | undefined }> {
  // Own property: a field named `constructor` must not find Object.prototype's (field maps are
  // null-prototype in graphql-js 16, but that is not a contract).
  return type.getInterfaces().map((iface) => {
    const fields = iface.getFields()
    return { iface, field: Object.hasOwn(fields, fieldName) ? fields[fieldName] : undefined }
  })
}

/**
 * The `@cost` or `@listSize` that governs a field: its own, else its interface field's.
 * @throws RateLimitConfigError (`INVALID_DIRECTIVE`) when two interfaces disagree.
 */
export function governingDirective(
  schema: GraphQLSchema,
  type: GraphQLObjectType | GraphQLInterfaceType,
  field: GraphQLField<unknown, unknown>,
  name: 'cost' | 'listSize',
  coordinate: string,
): FoundDirective | undefined {
  const inherited = counterparts(type, field.name).map(({ iface, field: f }) => ({
    node: f,
    declaredOn: `${iface.name}.${field.name}`,
  }))
  return governing(schema, field, inherited, name, coordinate)
}

/**
 * The `@cost` weight of a field's argument: its own, else the same argument's on the interface field.
 * @throws RateLimitConfigError (`INVALID_DIRECTIVE`) on a bad weight, or interfaces that disagree.
 */
export function argumentWeight(
  schema: GraphQLSchema,
  type: GraphQLObjectType | GraphQLInterfaceType,
  field: GraphQLField<unknown, unknown>,
  arg: GraphQLArgument,
  fieldCoordinate: string,
): number | undefined {
  const coordinate = `${fieldCoordinate}(${arg.name}:)`
  const inherited = counterparts(type, field.name).map(({ iface, field: f }) => ({
    node: f?.args.find((a) => a.name === arg.name),
    declaredOn: `${iface.name}.${field.name}(${arg.name}:)`,
  }))
  return readWeight(governing(schema, arg, inherited, 'cost', coordinate), coordinate)
}

/**
 * A `@cost` weight, validated; `undefined` without a directive.
 * @throws RateLimitConfigError (`INVALID_DIRECTIVE`) naming where the directive was written.
 */
export function readWeight(found: FoundDirective | undefined, coordinate: string): number | undefined {
  if (!found) return undefined
  const raw = found.args.weight
  const weight = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN
  if (!Number.isFinite(weight) || weight < 0) {
    invalid(
      found.declaredOn === coordinate ? coordinate : `${coordinate} (from ${found.declaredOn})`,
      `expected @cost(weight:) to be a non-negative number in a string such as "2.5", got ${describeValue(raw)}`,
    )
  }
  return weight
}

/** The `@cost` weight written on a schema element itself, or `undefined` when it has none. */
export function weightOf(schema: GraphQLSchema, node: Directable, coordinate: string): number | undefined {
  const found = getDirective(schema, node, 'cost')?.[0]
  return readWeight(found && { args: found, declaredOn: coordinate }, coordinate)
}

/** Checks that a slicing argument path names an `Int` argument whose default, if any, is not negative. */
function checkSlicingArgument(
  field: GraphQLField<unknown, unknown>,
  path: readonly string[],
  coordinate: string,
): void {
  let arg: GraphQLArgument | GraphQLInputField | undefined = field.args.find((a) => a.name === path[0])
  for (let i = 1; arg && i < path.length; i++) {
    const type = getNamedType(arg.type)
    const fields = isInputObjectType(type) ? type.getFields() : undefined
    arg = fields && Object.hasOwn(fields, path[i]!) ? fields[path[i]!] : undefined
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
  if (typeof value === 'number' && value < 0) {
    invalid(
      coordinate,
      `the default of slicing argument "${path.join('.')}" is ${value}: list sizes cannot be negative`,
    )
  }
}

/**
 * A field's `@listSize`, validated against this field (its arguments, its returned type), wherever
 * it was written; `undefined` without one.
 * @throws RateLimitConfigError (`INVALID_DIRECTIVE`) naming the field (and the interface it came from).
 */
export function readListSize(
  field: GraphQLField<unknown, unknown>,
  found: FoundDirective | undefined,
  fieldCoordinate: string,
  id: number,
): ListSize | undefined {
  if (!found) return undefined
  const coordinate =
    found.declaredOn === fieldCoordinate ? fieldCoordinate : `${fieldCoordinate} (from ${found.declaredOn})`
  const { assumedSize, slicingArguments, sizedFields, requireOneSlicingArgument } = found.args as {
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
      if (!Object.hasOwn(fields, name))
        invalid(
          coordinate,
          `@listSize(sizedFields:) names "${name}", which is not a field of ${returned.name}`,
        )
    }
  }
  for (const path of paths) checkSlicingArgument(field, path, coordinate)
  return {
    id,
    assumedSize: assumedSize ?? undefined,
    slicingArguments: paths,
    sizedFields: sizedFields?.length ? new Set(sizedFields) : undefined,
    requireOneSlicingArgument: requireOneSlicingArgument !== false,
  }
}

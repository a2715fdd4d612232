import type { FieldNode, GraphQLField, GraphQLObjectType } from 'graphql'
import { CostAnalysisError } from './cost-errors.js'
import type { FieldCost, ListSize } from './cost-schema.js'
import type { OperationValues } from './operation-values.js'

/** List size set by a parent's `@listSize(sizedFields:)` for some of its child fields. */
export interface Sized {
  /** The `@listSize` that set it (its id tells apart two connections with the same size). */
  readonly id: number
  readonly size: number
  readonly fields: ReadonlySet<string>
}

/**
 * The value at a slicing path (`['filter', 'first']`) of the arguments, when there is one. Own
 * properties only: coerced values are plain objects, and a name such as `constructor` left out
 * must not find `Object.prototype`'s.
 */
function valueAt(args: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = args
  for (const name of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, name)) return undefined
    value = (value as Record<string, unknown>)[name]
  }
  return value
}

/**
 * How many items a `@listSize` field returns, from the arguments its resolver will receive
 * (coerced, schema defaults filled in): the largest slicing value, else `assumedSize`, else
 * `undefined` (the default list size). An explicit `null` is no size — graphql-js passes `null`,
 * not the default, and a resolver given `null` usually returns everything.
 *
 * `requireOneSlicingArgument` counts the slicing arguments the operation writes (a schema default
 * may stand in when it writes none).
 *
 * @throws CostAnalysisError (`INVALID_SLICING_ARGUMENTS`) when a slicing value is negative
 *   (`slice(0, -1)` returns nearly everything), or when `requireOneSlicingArgument` is not met.
 */
export function listSizeOf(
  listSize: ListSize,
  node: FieldNode,
  definition: GraphQLField<unknown, unknown>,
  facts: FieldCost,
  values: OperationValues,
  coordinate: string,
): number | undefined {
  const { slicingArguments } = listSize
  if (slicingArguments.length === 0) return listSize.assumedSize
  const args = values.arguments(definition, node, facts.relevantArguments)
  let largest: number | undefined
  let given = 0
  for (const path of slicingArguments) {
    const value = valueAt(args, path)
    if (typeof value !== 'number') continue
    if (value < 0) {
      throw new CostAnalysisError(
        `${coordinate}: slicing argument "${path.join('.')}" is ${value}; a list size cannot be negative.`,
      )
    }
    if (values.given(node, path[0]!)) given++
    largest = largest === undefined ? value : Math.max(largest, value)
  }
  if (listSize.requireOneSlicingArgument && (given > 1 || largest === undefined)) {
    const names = slicingArguments.map((p) => p.join('.')).join(', ')
    throw new CostAnalysisError(
      `${coordinate} needs exactly one of its slicing arguments (${names}) to know how many items it returns; got ${given}.`,
    )
  }
  return largest ?? listSize.assumedSize
}

/**
 * What a field's `@listSize` says for this selection: its own size (`undefined`: the default list
 * size applies) and the size it gives the child fields named in `sizedFields`.
 * @throws CostAnalysisError (`INVALID_SLICING_ARGUMENTS`) as {@link listSizeOf}.
 */
export function listSizing(
  values: OperationValues,
  node: FieldNode,
  parent: GraphQLObjectType,
  definition: GraphQLField<unknown, unknown>,
  facts: FieldCost,
): { size?: number | undefined; sized?: Sized | undefined } {
  const { listSize } = facts
  if (!listSize) return {}
  const coordinate = `${parent.name}.${definition.name}`
  const size = listSizeOf(listSize, node, definition, facts, values, coordinate)
  const fields = listSize.sizedFields
  return { size, sized: fields && size !== undefined ? { id: listSize.id, size, fields } : undefined }
}

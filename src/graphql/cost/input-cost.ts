import {
  type GraphQLArgument,
  type GraphQLInputField,
  type GraphQLInputType,
  getNullableType,
  isInputObjectType,
  isListType,
} from 'graphql'
import type { CostSchema } from './cost-schema.js'
import type { WorkMeter } from './work-meter.js'

/**
 * Cost of an argument or input-field value, as coerced by graphql-js (so its shape follows its
 * type): each value given costs the definition's weight; a list costs the sum of its items; an
 * input object costs its weight plus the cost of each of its fields. `null` and absent values cost
 * nothing. One unit of work per value visited.
 *
 * @example
 * costOfValue(costs, { title: 'x', tags: ['a', 'b'] }, createPostInputArgument, meter)
 */
export function costOfValue(
  costs: CostSchema,
  value: unknown,
  definition: GraphQLArgument | GraphQLInputField,
  meter: WorkMeter,
): number {
  const { weight, inputObject } = costs.input(definition)
  if (weight === 0 && !inputObject) return 0
  return costOfTyped(costs, value, definition.type, weight, meter)
}

function costOfTyped(
  costs: CostSchema,
  value: unknown,
  type: GraphQLInputType,
  weight: number,
  meter: WorkMeter,
): number {
  meter.spend()
  if (value === null || value === undefined) return 0
  const nullable = getNullableType(type)
  if (isListType(nullable)) {
    if (!Array.isArray(value)) return costOfTyped(costs, value, nullable.ofType, weight, meter)
    let total = 0
    for (const item of value) total += costOfTyped(costs, item, nullable.ofType, weight, meter)
    return total
  }
  if (!isInputObjectType(nullable) || typeof value !== 'object') return weight
  let total = weight
  const fields = nullable.getFields()
  for (const name of Object.keys(value)) {
    const field = fields[name]
    if (field) total += costOfValue(costs, (value as Record<string, unknown>)[name], field, meter)
  }
  return total
}

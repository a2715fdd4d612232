import type { CostSchema, InputCost } from './cost-schema.js'

/**
 * Cost of an argument value (already turned into plain data, variables substituted): each value
 * given costs its weight; a list costs the sum of its items; an input object costs its weight plus
 * the cost of each of its fields. `null` and absent values cost nothing.
 *
 * @example
 * costOfJson(costs, { title: 'x', tags: ['a', 'b'] }, costs.input(createPostInputArgument))
 */
export function costOfJson(costs: CostSchema, value: unknown, cost: InputCost): number {
  if (value === null || value === undefined) return 0
  if (Array.isArray(value)) {
    let total = 0
    for (const item of value) total += costOfJson(costs, item, cost)
    return total
  }
  const inputObject = cost.inputObject
  if (!inputObject || typeof value !== 'object') return cost.weight
  const fields = inputObject.getFields()
  let total = cost.weight
  for (const [name, fieldValue] of Object.entries(value as Record<string, unknown>)) {
    const field = fields[name]
    if (field) total += costOfJson(costs, fieldValue, costs.input(field))
  }
  return total
}

/**
 * Reads the `@rateLimit` directives of a schema and turns each limited field into a plan: its
 * rules, cost and message, validated once when the schema is transformed.
 */
import { getDirective } from '@graphql-tools/utils'
import { type GraphQLField, type GraphQLObjectType, type GraphQLSchema, isObjectType } from 'graphql'
import { formatDuration, tryParseDuration } from '../duration.js'
import { describeValue, invalidConfig, RateLimitConfigError } from '../errors.js'
import { MAX_LIMIT, resolveRules } from '../rules.js'
import type { Algorithm, RateLimitRule } from '../types.js'

const PERIODS: readonly unknown[] = ['day', 'week', 'month']
const ALGORITHMS: readonly unknown[] = ['sliding-log', 'sliding-window', 'token-bucket']

/** Everything the resolver wrapper needs for one field. */
export interface FieldPlan {
  /** `Type.field`. */
  readonly coordinate: string
  /** One rule per directive, checked atomically. Frozen: plans cache adjusted rules by identity. */
  readonly rules: readonly RateLimitRule[]
  /** Units one resolution uses. */
  readonly cost: number
  /** The directive's `message`, if any. */
  readonly message: string | undefined
  /** Where the directives were declared. */
  readonly from: 'field' | 'interface' | 'type'
}

/** The directives that govern one object field: its own, else its interface field's, else its type's. */
export interface GoverningDirectives {
  // biome-ignore lint/suspicious/noExplicitAny: directive arguments as graphql-tools returns them.
  readonly args: ReadonlyArray<Record<string, any>>
  readonly from: FieldPlan['from']
  /** Where they were written, for error messages: `type Query`, `interface Node`. */
  readonly declaredOn: string | undefined
}

/** Finds the directives that apply to `type.field` (a field's own win; they are never combined). */
export function governingDirectives(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  // biome-ignore lint/suspicious/noExplicitAny: any field of any object type.
  field: GraphQLField<any, any>,
  name: string,
): GoverningDirectives | undefined {
  const own = getDirective(schema, field, name)
  if (own?.length) return { args: own, from: 'field', declaredOn: undefined }
  for (const iface of type.getInterfaces()) {
    const inherited = iface.getFields()[field.name]
    const args = inherited && getDirective(schema, inherited, name)
    if (args?.length) return { args, from: 'interface', declaredOn: `interface ${iface.name}` }
  }
  const onType = getDirective(schema, type, name)
  if (onType?.length) return { args: onType, from: 'type', declaredOn: `type ${type.name}` }
  return undefined
}

interface Checked {
  readonly rule: RateLimitRule
  readonly cost: number
  readonly message: string | undefined
}

type Expected = (arg: string, allowed: string) => string

/** The directive's window or calendar period, and its algorithm: the part of the rule that says how to count. */
function checkShape(args: Record<string, unknown>, expected: Expected): Partial<RateLimitRule> {
  const { window, period, timeZone, algorithm, burst } = args
  const shape: Partial<RateLimitRule> = {}
  if (period != null || timeZone != null) {
    if (period == null || !PERIODS.includes(period as string))
      invalidConfig(expected('period', "'day', 'week' or 'month'"), 'INVALID_DIRECTIVE')
    if (window != null)
      invalidConfig(expected('window', 'left out when `period` is given'), 'INVALID_DIRECTIVE')
    if (algorithm != null || burst != null)
      invalidConfig(
        expected(algorithm != null ? 'algorithm' : 'burst', 'left out when `period` is given'),
        'INVALID_DIRECTIVE',
      )
    shape.period = period as RateLimitRule['period']
    if (timeZone != null) shape.timeZone = timeZone as string
    return shape
  }
  const windowMs = typeof window === 'string' ? tryParseDuration(window) : undefined
  if (windowMs === undefined)
    invalidConfig(
      expected(
        'window',
        "a duration such as '500ms', '30s', '1m', '1h', '1d' or '1h30m' (whole numbers, at most one year), or `period` instead",
      ),
      'INVALID_DIRECTIVE',
    )
  shape.window = window as string
  if (algorithm != null) {
    if (!ALGORITHMS.includes(algorithm as Algorithm))
      invalidConfig(
        expected('algorithm', "'sliding-log', 'sliding-window' or 'token-bucket'"),
        'INVALID_DIRECTIVE',
      )
    shape.algorithm = algorithm as Algorithm
  }
  if (burst != null) {
    if (algorithm !== 'token-bucket')
      invalidConfig(expected('burst', "left out unless `algorithm` is 'token-bucket'"), 'INVALID_DIRECTIVE')
    if (!Number.isInteger(burst) || (burst as number) < 1 || (burst as number) > MAX_LIMIT)
      invalidConfig(expected('burst', `an integer from 1 to ${MAX_LIMIT}`), 'INVALID_DIRECTIVE')
    shape.burst = burst as number
  }
  return shape
}

function checkArgs(args: Record<string, unknown>, name: string, where: string): Checked {
  const expected: Expected = (arg, allowed) =>
    `Invalid @${name} on ${where}: expected \`${arg}\` to be ${allowed}, got ${describeValue(args[arg])}`
  const { limit, cost = 1, bucket, message, shadow = false } = args
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_LIMIT)
    invalidConfig(expected('limit', `an integer from 1 to ${MAX_LIMIT}`), 'INVALID_DIRECTIVE')
  const shape = checkShape(args, expected)
  const capacity = shape.burst ?? (limit as number)
  if (!Number.isInteger(cost) || (cost as number) < 1)
    invalidConfig(expected('cost', 'an integer from 1'), 'INVALID_DIRECTIVE')
  if ((cost as number) > capacity)
    invalidConfig(
      expected(
        'cost',
        `at most \`${shape.burst === undefined ? 'limit' : 'burst'}\` (${capacity}): a larger cost could never be admitted`,
      ),
      'INVALID_DIRECTIVE',
    )
  if (bucket != null && (typeof bucket !== 'string' || bucket.trim().length === 0 || bucket.length > 200)) {
    invalidConfig(
      expected('bucket', 'a non-empty name of at most 200 characters, or left out'),
      'INVALID_DIRECTIVE',
    )
  }
  if (message != null && (typeof message !== 'string' || message.length === 0))
    invalidConfig(expected('message', 'a non-empty string, or left out'), 'INVALID_DIRECTIVE')
  if (typeof shadow !== 'boolean') invalidConfig(expected('shadow', 'true or false'), 'INVALID_DIRECTIVE')
  const rule: RateLimitRule = { name: (bucket as string | null) ?? '', limit: limit as number, ...shape }
  if (shadow) rule.shadow = true
  return {
    rule,
    cost: cost as number,
    message: (message as string | null) ?? undefined,
  }
}

/** Builds and validates the plan of one field; `undefined` when no directive governs it. */
export function planField(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  // biome-ignore lint/suspicious/noExplicitAny: any field of any object type.
  field: GraphQLField<any, any>,
  name: string,
): FieldPlan | undefined {
  const governing = governingDirectives(schema, type, field, name)
  if (!governing) return undefined
  const coordinate = `${type.name}.${field.name}`
  const where = governing.declaredOn ? `${coordinate} (declared on ${governing.declaredOn})` : coordinate
  const checked = governing.args.map((args) => checkArgs(args, name, where))
  const cost = checked[0]!.cost
  if (checked.some((c) => c.cost !== cost)) {
    throw new RateLimitConfigError(
      'INVALID_DIRECTIVE',
      `Invalid @${name} on ${where}: expected every @${name} of one field to have the same \`cost\` (one atomic check charges one cost), got ${checked.map((c) => c.cost).join(' and ')}`,
    )
  }
  const rules = Object.freeze(
    checked.map((c) => Object.freeze({ ...c.rule, name: c.rule.name || coordinate })),
  )
  try {
    resolveRules(rules)
  } catch (error) {
    throw new RateLimitConfigError(
      'INVALID_DIRECTIVE',
      `Invalid @${name} on ${where}: ${(error as Error).message}`,
    )
  }
  return { coordinate, rules, cost, message: checked.find((c) => c.message)?.message, from: governing.from }
}

/** How a rule counts, for comparing buckets: its window and algorithm, or its period and zone. */
function budgetOf(r: RateLimitRule): string {
  if (r.period !== undefined) return `${r.period} in ${r.timeZone ?? 'UTC'}`
  const window = formatDuration(tryParseDuration(r.window!)!)
  return r.algorithm === 'token-bucket' ? `${window} (token bucket, burst ${r.burst ?? r.limit})` : window
}

/** The budget a bucket stands for on one field: its limits and windows. */
function bucketSignature(plan: FieldPlan, bucket: string): string {
  return plan.rules
    .filter((r) => r.name === bucket)
    .map((r) => `${r.limit} per ${budgetOf(r)}`)
    .sort()
    .join(', ')
}

/**
 * Plans every object field of the schema and checks that fields sharing a bucket declare the same
 * limits and windows (otherwise they would silently count in different budgets).
 */
export function planSchema(schema: GraphQLSchema, name: string): Map<string, FieldPlan> {
  const plans = new Map<string, FieldPlan>()
  const buckets = new Map<string, { signature: string; coordinate: string }>()
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue
    for (const field of Object.values(type.getFields())) {
      const plan = planField(schema, type, field, name)
      if (!plan) continue
      plans.set(plan.coordinate, plan)
      for (const bucket of new Set(plan.rules.map((r) => r.name!).filter((n) => n !== plan.coordinate))) {
        const signature = bucketSignature(plan, bucket)
        const seen = buckets.get(bucket)
        if (!seen) buckets.set(bucket, { signature, coordinate: plan.coordinate })
        else if (seen.signature !== signature) {
          throw new RateLimitConfigError(
            'INVALID_DIRECTIVE',
            `Invalid @${name} on ${plan.coordinate}: bucket ${JSON.stringify(bucket)} is ${signature} here but ${seen.signature} on ${seen.coordinate}; fields sharing a bucket must declare the same \`limit\` and \`window\``,
          )
        }
      }
    }
  }
  return plans
}

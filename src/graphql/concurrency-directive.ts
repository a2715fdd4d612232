/**
 * The `@concurrencyLimit(max, bucket)` directive: its SDL and the transformer that enforces it.
 * On a field, an interface field or an object type (every field of it), with the precedence of
 * `@rateLimit`: the field's own, else its interface field's, else its type's. Arguments are checked when the schema is transformed (naming `Type.field` and the argument);
 * the limited fields are wrapped (`concurrency-field.ts`) and marked in their `extensions` like
 * `@rateLimit`'s, so `assertRateLimitsApplied(schema, { directive: 'concurrencyLimit' })` and
 * `useRateLimitHeaders({ directive: [...] })` detect a schema that was never transformed.
 */
import { MapperKind, mapSchema } from '@graphql-tools/utils'
import {
  defaultFieldResolver,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  isObjectType,
} from 'graphql'
import { MAX_CONCURRENCY } from '../concurrency-limit.js'
import { describeValue, invalidConfig, RateLimitConfigError } from '../errors.js'
import {
  type ConcurrencyDirectiveOptions,
  type ConcurrencyField,
  ConcurrencyFieldLimiter,
  resolveConcurrencyOptions,
} from './concurrency-field.js'
import { concurrencyLimitTypeDefs } from './concurrency-sdl.js'
import { governingDirectives } from './field-plan.js'
import { insideRate, markWrapper } from './rate-refund.js'
import { isWrappedFor, RATE_LIMIT_EXTENSION } from './transformer.js'

// biome-ignore lint/suspicious/noExplicitAny: resolvers of any source, context and arguments.
type Resolver = GraphQLFieldResolver<any, any, any, unknown>

/** What {@link concurrencyLimitDirective} returns. */
export interface ConcurrencyLimitDirective {
  /** The directive SDL (`schema/concurrency-limit.graphql` under the configured name). */
  readonly typeDefs: string
  /** Checks every `@concurrencyLimit` and wraps those fields. Throws `INVALID_DIRECTIVE` naming `Type.field`. */
  readonly transformer: (schema: GraphQLSchema) => GraphQLSchema
  readonly name: string
}

/** Checks one directive's arguments; `where` names the field (and the type or interface it was declared on). */
function checkArgs(
  args: Record<string, unknown>,
  name: string,
  where: string,
): { max: number; bucket?: string } {
  const { max, bucket } = args
  if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > MAX_CONCURRENCY) {
    invalidConfig(
      `@${name} on ${where}: expected \`max\` to be an integer from 1 to ${MAX_CONCURRENCY}, got ${describeValue(max)}`,
      'INVALID_DIRECTIVE',
    )
  }
  if (bucket == null) return { max: max as number }
  if (typeof bucket !== 'string' || bucket.length === 0 || bucket.length > 1000) {
    invalidConfig(
      `@${name} on ${where}: expected \`bucket\` to be a non-empty string of at most 1000 characters, got ${describeValue(bucket)}`,
      'INVALID_DIRECTIVE',
    )
  }
  return { max: max as number, bucket }
}

/**
 * Every limited field, checked: `Type.field` → its plan. As for `@rateLimit`, a field's own
 * directive wins, then its interface field's, then its type's; each field has its own slots,
 * named by its coordinate, unless the governing directive names a `bucket`.
 */
function planFields(schema: GraphQLSchema, name: string): Map<string, ConcurrencyField> {
  const plans = new Map<string, ConcurrencyField>()
  const buckets = new Map<string, ConcurrencyField>()
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue
    for (const field of Object.values(type.getFields())) {
      const governing = governingDirectives(schema, type, field, name)
      if (!governing) continue
      const coordinate = `${type.name}.${field.name}`
      const where = governing.declaredOn ? `${coordinate} (declared on ${governing.declaredOn})` : coordinate
      const { max, bucket } = checkArgs(governing.args[0]!, name, where)
      const plan = { coordinate, max, name: bucket ?? coordinate }
      if (bucket !== undefined) checkSharedMax(buckets, plan, name)
      plans.set(coordinate, plan)
    }
  }
  return plans
}

/**
 * Fields sharing a bucket share its slots, so they must agree on how many: with two `max` values
 * the number of slots would depend on which field asked first.
 */
function checkSharedMax(buckets: Map<string, ConcurrencyField>, plan: ConcurrencyField, name: string): void {
  const other = buckets.get(plan.name)
  if (other === undefined) buckets.set(plan.name, plan)
  else if (other.max !== plan.max) {
    invalidConfig(
      `Invalid @${name} on ${plan.coordinate}: bucket ${JSON.stringify(plan.name)} has max ${plan.max} here but ${other.max} on ${other.coordinate}; fields sharing a bucket must declare the same \`max\``,
      'INVALID_DIRECTIVE',
    )
  }
}

// biome-ignore lint/suspicious/noExplicitAny: field configs of any object type.
type FieldConfig = GraphQLFieldConfig<any, any>

/** The field's resolver (its `subscribe` on the subscription type) holding a slot, marked in `extensions`. */
function wrapField(
  config: FieldConfig,
  plan: ConcurrencyField,
  limiter: ConcurrencyFieldLimiter,
  name: string,
  subscription: boolean,
): FieldConfig {
  const previous = config.extensions?.[RATE_LIMIT_EXTENSION] as Record<string, unknown> | undefined
  const extensions = { ...config.extensions, [RATE_LIMIT_EXTENSION]: { ...previous, [name]: plan } }
  const around = (inner: Resolver): Resolver =>
    markWrapper(
      'concurrency',
      subscription ? limiter.wrapSubscribe(plan, inner) : limiter.wrapResolve(plan, inner),
      inner,
      around,
    )
  // Inside any `@rateLimit` wrapper already there: the rate check runs first, whichever
  // transformer was applied first (rate-refund.ts).
  if (subscription) {
    return { ...config, subscribe: insideRate(config.subscribe ?? defaultFieldResolver, around), extensions }
  }
  return { ...config, resolve: insideRate(config.resolve ?? defaultFieldResolver, around), extensions }
}

/**
 * The `@concurrencyLimit` schema directive: its SDL and the transformer that enforces it with `limiter`.
 *
 * @example
 * const concurrency = concurrencyLimitDirective({ limiter })
 * const schema = concurrency.transformer(makeExecutableSchema({ typeDefs: [concurrency.typeDefs, typeDefs], resolvers }))
 */
export function concurrencyLimitDirective(options: ConcurrencyDirectiveOptions): ConcurrencyLimitDirective {
  const resolved = resolveConcurrencyOptions(options)
  const { name } = resolved
  const limiter = new ConcurrencyFieldLimiter(resolved)
  const transformer = (schema: GraphQLSchema): GraphQLSchema => {
    if (!schema.getDirective(name)) {
      throw new RateLimitConfigError(
        'INVALID_DIRECTIVE',
        `The schema does not declare the directive @${name}: add the \`typeDefs\` returned by concurrencyLimitDirective() to your type definitions`,
      )
    }
    const plans = planFields(schema, name)
    if (plans.size === 0) return schema
    const subscriptionType = schema.getSubscriptionType()?.name
    return mapSchema(schema, {
      [MapperKind.OBJECT_FIELD]: (config, fieldName, typeName) => {
        const plan = plans.get(`${typeName}.${fieldName}`)
        if (!plan || isWrappedFor(config.extensions, name)) return config
        return wrapField(config, plan, limiter, name, typeName === subscriptionType)
      },
    })
  }
  return { typeDefs: concurrencyLimitTypeDefs(name), transformer, name }
}

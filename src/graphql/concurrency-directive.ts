/**
 * The `@concurrencyLimit(max, bucket)` directive: its SDL and the transformer that enforces it.
 * Arguments are checked when the schema is transformed (naming `Type.field` and the argument);
 * the limited fields are wrapped (`concurrency-field.ts`) and marked in their `extensions` like
 * `@rateLimit`'s, so `assertRateLimitsApplied(schema, { directive: 'concurrencyLimit' })` and
 * `useRateLimitHeaders({ directive: [...] })` detect a schema that was never transformed.
 */
import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils'
import { defaultFieldResolver, type GraphQLSchema, isObjectType } from 'graphql'
import { MAX_CONCURRENCY } from '../concurrency-limit.js'
import { describeValue, invalidConfig, RateLimitConfigError } from '../errors.js'
import {
  type ConcurrencyDirectiveOptions,
  type ConcurrencyField,
  ConcurrencyFieldLimiter,
  resolveConcurrencyOptions,
} from './concurrency-field.js'
import { concurrencyLimitTypeDefs } from './concurrency-sdl.js'
import { isWrappedFor, RATE_LIMIT_EXTENSION } from './transformer.js'

/** What {@link concurrencyLimitDirective} returns. */
export interface ConcurrencyLimitDirective {
  /** The directive SDL (`schema/concurrency-limit.graphql` under the configured name). */
  readonly typeDefs: string
  /** Checks every `@concurrencyLimit` and wraps those fields. Throws `INVALID_DIRECTIVE` naming `Type.field`. */
  readonly transformer: (schema: GraphQLSchema) => GraphQLSchema
  readonly name: string
}

/** Every field carrying the directive, checked: `Type.field` → its plan. */
function planFields(schema: GraphQLSchema, name: string): Map<string, ConcurrencyField> {
  const plans = new Map<string, ConcurrencyField>()
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue
    for (const field of Object.values(type.getFields())) {
      const found = getDirective(schema, field, name)?.[0]
      if (!found) continue
      const coordinate = `${type.name}.${field.name}`
      const { max, bucket } = found as { max: unknown; bucket?: unknown }
      if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > MAX_CONCURRENCY) {
        invalidConfig(
          `@${name} on ${coordinate}: expected \`max\` to be an integer from 1 to ${MAX_CONCURRENCY}, got ${describeValue(max)}`,
          'INVALID_DIRECTIVE',
        )
      }
      if (
        bucket !== undefined &&
        bucket !== null &&
        (typeof bucket !== 'string' || bucket.length === 0 || bucket.length > 1000)
      ) {
        invalidConfig(
          `@${name} on ${coordinate}: expected \`bucket\` to be a non-empty string of at most 1000 characters, got ${describeValue(bucket)}`,
          'INVALID_DIRECTIVE',
        )
      }
      plans.set(coordinate, { coordinate, max: max as number, name: (bucket as string | null) ?? coordinate })
    }
  }
  return plans
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
        const previous = config.extensions?.[RATE_LIMIT_EXTENSION] as Record<string, unknown> | undefined
        const extensions = { ...config.extensions, [RATE_LIMIT_EXTENSION]: { ...previous, [name]: plan } }
        if (typeName === subscriptionType) {
          return {
            ...config,
            subscribe: limiter.wrapSubscribe(plan, config.subscribe ?? defaultFieldResolver),
            extensions,
          }
        }
        return {
          ...config,
          resolve: limiter.wrapResolve(plan, config.resolve ?? defaultFieldResolver),
          extensions,
        }
      },
    })
  }
  return { typeDefs: concurrencyLimitTypeDefs(name), transformer, name }
}

/**
 * The schema transformer: validates every `@rateLimit` once, then wraps exactly the limited fields
 * (other resolvers stay untouched and cost nothing) and marks them in their `extensions`, which
 * is how `assertRateLimitsApplied` and `useRateLimitHeaders()` tell a transformed schema from one
 * whose directives were declared but never enforced.
 */
import { MapperKind, mapSchema } from '@graphql-tools/utils'
import {
  defaultFieldResolver,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql'
import { RateLimitConfigError } from '../errors.js'
import type { FieldLimiter } from './field-limiter.js'
import { type FieldPlan, planSchema } from './field-plan.js'
import { holdsConcurrency, markWrapper } from './rate-refund.js'

/** The key in a field's `extensions` under which the transformer records what it wrapped. */
export const RATE_LIMIT_EXTENSION = 'resolverRateLimit'

/** `field.extensions.resolverRateLimit`: the plan of each directive (by name) that wrapped the field. */
export type RateLimitFieldExtension = Readonly<Record<string, FieldPlan>>

/** True when the field's resolvers were wrapped for the directive `name`. */
export function isWrappedFor(extensions: unknown, name: string): boolean {
  const mark = (extensions as Record<string, unknown> | null | undefined)?.[RATE_LIMIT_EXTENSION]
  return typeof mark === 'object' && mark !== null && name in mark
}

// biome-ignore lint/suspicious/noExplicitAny: field configs of any object type.
type FieldConfig = GraphQLFieldConfig<any, any>
// biome-ignore lint/suspicious/noExplicitAny: resolvers of any source, context and arguments.
type Resolver = GraphQLFieldResolver<any, any, any, unknown>

/**
 * The rate wrapper around `inner`, marked so that `@concurrencyLimit` can be placed inside it
 * whichever transformer runs first (rate-refund.ts).
 */
function rateWrapper(
  limiter: FieldLimiter,
  plan: FieldPlan,
  subscription: boolean,
): (inner: Resolver) => Resolver {
  const wrapOne = (inner: Resolver): Resolver => {
    const refundable = holdsConcurrency(inner)
    const wrapped = subscription
      ? limiter.wrapSubscribe(plan, inner, refundable)
      : limiter.wrapResolve(plan, inner, refundable)
    return markWrapper('rate', wrapped, inner, wrapOne)
  }
  return wrapOne
}

function wrap(
  config: FieldConfig,
  plan: FieldPlan,
  limiter: FieldLimiter,
  name: string,
  subscription: boolean,
): FieldConfig {
  const previous = config.extensions?.[RATE_LIMIT_EXTENSION] as RateLimitFieldExtension | undefined
  const extensions = { ...config.extensions, [RATE_LIMIT_EXTENSION]: { ...previous, [name]: plan } }
  const around = rateWrapper(limiter, plan, subscription)
  // graphql-js calls `subscribe` once when the subscription starts and `resolve` per event.
  if (subscription)
    return { ...config, subscribe: around(config.subscribe ?? defaultFieldResolver), extensions }
  return { ...config, resolve: around(config.resolve ?? defaultFieldResolver), extensions }
}

/**
 * Builds the transformer of one directive.
 * @throws RateLimitConfigError `INVALID_DIRECTIVE` naming `Type.field` and the argument.
 */
export function createTransformer(
  name: string,
  limiter: FieldLimiter,
): (schema: GraphQLSchema) => GraphQLSchema {
  return (schema) => {
    if (!schema.getDirective(name)) {
      throw new RateLimitConfigError(
        'INVALID_DIRECTIVE',
        `The schema does not declare the directive @${name}: add the \`typeDefs\` returned by rateLimitDirective() to your type definitions`,
      )
    }
    const plans = planSchema(schema, name)
    if (plans.size === 0) return schema
    const subscriptionType = schema.getSubscriptionType()?.name
    return mapSchema(schema, {
      [MapperKind.OBJECT_FIELD]: (config, fieldName, typeName) => {
        const plan = plans.get(`${typeName}.${fieldName}`)
        if (!plan || isWrappedFor(config.extensions, name)) return config
        return wrap(config, plan, limiter, name, typeName === subscriptionType)
      },
    })
  }
}

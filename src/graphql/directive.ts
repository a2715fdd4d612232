import type { GraphQLSchema } from 'graphql'
import { FieldLimiter } from './field-limiter.js'
import { type RateLimitDirectiveOptions, resolveDirectiveOptions } from './options.js'
import { rateLimitTypeDefs } from './sdl.js'
import { createTransformer } from './transformer.js'

/** What {@link rateLimitDirective} returns. */
export interface RateLimitDirective {
  /** The directive SDL (`schema/rate-limit.graphql` under the configured name): add it to your type definitions. */
  readonly typeDefs: string
  /**
   * Validates every `@rateLimit` of the schema and returns a schema whose limited fields check
   * their limits before resolving. Throws `INVALID_DIRECTIVE` naming `Type.field` and the argument.
   */
  readonly transformer: (schema: GraphQLSchema) => GraphQLSchema
  /** The directive name. */
  readonly name: string
}

/**
 * The `@rateLimit` schema directive: its SDL and the transformer that enforces it with `limiter`.
 * Options are validated here, once; the directive arguments when the schema is transformed.
 *
 * @example
 * const { typeDefs: rateLimitTypeDefs, transformer } = rateLimitDirective({ limiter })
 * const schema = transformer(makeExecutableSchema({ typeDefs: [rateLimitTypeDefs, typeDefs], resolvers }))
 * const yoga = createYoga({ schema, plugins: [useRateLimitHeaders()] })
 */
export function rateLimitDirective(options: RateLimitDirectiveOptions): RateLimitDirective {
  const resolved = resolveDirectiveOptions(options)
  return {
    typeDefs: rateLimitTypeDefs(resolved.name),
    transformer: createTransformer(resolved.name, new FieldLimiter(resolved)),
    name: resolved.name,
  }
}

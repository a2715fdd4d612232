import { type GraphQLSchema, isObjectType } from 'graphql'
import { describeValue, RateLimitConfigError } from '../errors.js'
import { governingDirectives } from './field-plan.js'
import { DEFAULT_DIRECTIVE_NAME, isDirectiveName } from './sdl.js'
import { isWrappedFor } from './transformer.js'

/** Directive names to check: one or several. */
export type DirectiveNames = string | readonly string[]

/** Normalises and validates the directive names option. */
export function directiveNames(value: DirectiveNames | undefined, option: string): readonly string[] {
  const names = value === undefined ? [DEFAULT_DIRECTIVE_NAME] : typeof value === 'string' ? [value] : value
  if (!Array.isArray(names) || names.length === 0 || !names.every(isDirectiveName)) {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      `Expected \`${option}\` to be a directive name such as 'rateLimit' or a non-empty list of them, got ${describeValue(value)}`,
    )
  }
  return names
}

/** The fields that declare one of these directives (on the field, its interface or its type) but were not wrapped. */
export function unenforcedFields(schema: GraphQLSchema, names: readonly string[]): string[] {
  const missing: string[] = []
  for (const name of names) {
    if (!schema.getDirective(name)) continue
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue
      for (const field of Object.values(type.getFields())) {
        if (!isWrappedFor(field.extensions, name) && governingDirectives(schema, type, field, name)) {
          missing.push(`@${name} on ${type.name}.${field.name}`)
        }
      }
    }
  }
  return missing
}

/**
 * Throws when the schema declares `@rateLimit` on fields whose resolvers the transformer did not
 * wrap: the directive alone limits nothing, and forgetting `schema = transformer(schema)` must not
 * silently disable every limit. `useRateLimitHeaders()` runs this on every schema it sees.
 *
 * @throws RateLimitConfigError `TRANSFORMER_NOT_APPLIED` listing the fields.
 * @example
 * const schema = transformer(makeExecutableSchema({ typeDefs: [rateLimitTypeDefs, typeDefs], resolvers }))
 * assertRateLimitsApplied(schema) // passes; without transformer(...) it throws
 */
export function assertRateLimitsApplied(
  schema: GraphQLSchema,
  options: { directive?: DirectiveNames } = {},
): void {
  const missing = unenforcedFields(schema, directiveNames(options.directive, 'directive'))
  if (missing.length === 0) return
  const shown =
    missing.length > 5
      ? `${missing.slice(0, 5).join(', ')} and ${missing.length - 5} more`
      : missing.join(', ')
  throw new RateLimitConfigError(
    'TRANSFORMER_NOT_APPLIED',
    `The schema declares ${shown}, but those resolvers are not rate-limited: pass the schema through the \`transformer\` returned by rateLimitDirective({ limiter }) (schema = transformer(schema)) before serving it`,
  )
}

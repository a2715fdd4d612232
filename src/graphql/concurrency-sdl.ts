/**
 * The SDL of the `@concurrencyLimit` directive, kept identical to `schema/concurrency-limit.graphql`
 * (a test compares them) so that loading it needs no file-system access at run time.
 */

/** The directive name used when none is given. */
export const DEFAULT_CONCURRENCY_DIRECTIVE = 'concurrencyLimit'

/** `schema/concurrency-limit.graphql`, verbatim. */
export const CONCURRENCY_LIMIT_SDL: string = `"""
Limits how many resolutions of a field one caller (user, API key or client IP) has in flight at
once, across every server sharing the limiter's store; on a subscription field, how many of its
subscriptions the caller has open at once (a slot is held until the subscription ends). On a type,
every field of the type is limited as if it carried the directive; a field's own directive (or
its interface field's) wins over its type's. A refused field resolves to null with an error whose
extensions.code is CONCURRENCY_LIMITED.
"""
directive @concurrencyLimit(
  "Most resolutions in flight (or subscriptions open) at once per caller: an integer from 1 to 10000."
  max: Int!
  """
  Fields with the same bucket share their slots. Default: each field's own slots, named by its
  coordinate (Query.export), also when the directive is on its type.
  """
  bucket: String
) on FIELD_DEFINITION | OBJECT
`

/** The directive SDL under another name (`@concurrencyLimit` becomes `@<name>`). */
export function concurrencyLimitTypeDefs(name: string = DEFAULT_CONCURRENCY_DIRECTIVE): string {
  return name === DEFAULT_CONCURRENCY_DIRECTIVE
    ? CONCURRENCY_LIMIT_SDL
    : CONCURRENCY_LIMIT_SDL.replaceAll(`@${DEFAULT_CONCURRENCY_DIRECTIVE}`, `@${name}`)
}

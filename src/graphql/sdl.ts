/**
 * The SDL of the `@rateLimit` directive.
 *
 * The text is kept identical to `schema/rate-limit.graphql` (a test compares them), so the file in
 * the package and this export never disagree, and loading it needs no file-system access at run
 * time (bundlers, edge runtimes, `dist/graphql/` vs `src/graphql/` layouts).
 */

/** The directive name used when none is given. */
export const DEFAULT_DIRECTIVE_NAME = 'rateLimit'

/** `schema/rate-limit.graphql`, verbatim. */
export const RATE_LIMIT_SDL: string = `"""
Rate-limits a field, or every field of an object type, per caller (user, API key or client IP).
A field's own @rateLimit replaces the one on its type (they are not combined). Repeat the
directive to combine limits, such as a burst and a sustained limit: all of them are checked in
one atomic step, and a refused request uses none of them.
"""
directive @rateLimit(
  "Units of cost admitted per window (or period) for one caller: an integer from 1."
  limit: Int!
  """
  The window: '500ms', '30s', '1m', '1h', '1d' or a combination such as '1h30m'. Give either
  window or period.
  """
  window: String
  """
  A calendar quota instead of a window: 'day', 'week' (ISO, from Monday) or 'month', reset at the
  period's start in timeZone.
  """
  period: String
  "The IANA time zone of period, such as 'Europe/Berlin'. Default: 'UTC'."
  timeZone: String
  """
  With a window: 'sliding-log' (exact), 'sliding-window' (a counter, O(1) memory) or
  'token-bucket' (limit tokens refilled per window, up to burst). Default: 'sliding-log' up to a
  limit of 1000, else 'sliding-window'.
  """
  algorithm: String
  "With algorithm 'token-bucket': the capacity, the most units a full bucket holds. Default: limit."
  burst: Int
  "Units one resolution uses: an integer from 1 up to limit (burst for a token bucket)."
  cost: Int = 1
  """
  Several fields with the same bucket, limit and window (or period) share one budget. Default: the field's
  own budget, named by its coordinate (Query.search).
  """
  bucket: String
  "The error message sent when this limit refuses. Default: one naming the field and the wait."
  message: String
  "Measure only: decisions, headers and events as usual, but this limit never refuses."
  shadow: Boolean = false
) repeatable on FIELD_DEFINITION | OBJECT
`

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/

/** True when `name` can name a GraphQL directive. */
export function isDirectiveName(name: unknown): name is string {
  return typeof name === 'string' && GRAPHQL_NAME.test(name)
}

/**
 * The directive SDL under another name (every `@rateLimit` in it becomes `@<name>`).
 *
 * @example
 * rateLimitTypeDefs('throttle') // 'directive @throttle(limit: Int!, …) repeatable on FIELD_DEFINITION | OBJECT'
 */
export function rateLimitTypeDefs(name: string = DEFAULT_DIRECTIVE_NAME): string {
  return name === DEFAULT_DIRECTIVE_NAME
    ? RATE_LIMIT_SDL
    : RATE_LIMIT_SDL.replaceAll(`@${DEFAULT_DIRECTIVE_NAME}`, `@${name}`)
}

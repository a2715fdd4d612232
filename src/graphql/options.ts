import type { GraphQLResolveInfo } from 'graphql'
import { describeValue, invalidConfig } from '../errors.js'
import { quotaRefusal } from '../identity/quotas.js'
import type { Identify } from '../identity/types.js'
import type { RateLimiter } from '../limiter.js'
import type { RateLimitDecision } from '../types.js'
import { DEFAULT_DIRECTIVE_NAME, isDirectiveName } from './sdl.js'

/**
 * How a limited field inside a list is counted in one operation.
 * - `'path'`: once per response path without list indices (`posts.author`), so a 100-item list
 *   costs what one item costs; every item shares that one decision.
 * - `'each'`: every resolution counts (a 100-item list costs 100).
 */
export type ListMode = 'path' | 'each'

/** What the error message formatter and `onLimited` receive. */
export interface LimitedEvent {
  /** The refused field, e.g. `Query.search`. */
  readonly coordinate: string
  readonly decision: RateLimitDecision
  // biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
  readonly context: any
  readonly info: GraphQLResolveInfo
}

/** Options of {@link rateLimitDirective}. Validated once, when the directive is built. */
export interface RateLimitDirectiveOptions {
  /** The engine (memory or Redis store); see `createRateLimiter`. Required. */
  limiter: RateLimiter
  /**
   * Turns the GraphQL context into the caller.
   * @default limiter.identify — user id, else a validated API key, else the client IP from `ctx.req`
   */
  identify?: Identify
  /** The directive name in the SDL. @default 'rateLimit' */
  name?: string
  /** How fields under lists are counted; see {@link ListMode}. @default 'path' */
  listMode?: ListMode
  /**
   * The message of a refusal when the directive has no `message` argument.
   * @default defaultErrorMessage — e.g. "Too many requests for Query.search: retry in 42 s."
   */
  errorMessage?: string | ((event: LimitedEvent) => string)
  /** Called once per refusing decision (not per list item), e.g. for logs or metrics. Must not throw. */
  onLimited?: (event: LimitedEvent) => void
  /**
   * Collect the checks that one operation (and concurrent ones) makes in the same tick and hand
   * them to the limiter together (`limiter.consumeMany`; `RedisStore` sends them in script calls
   * of up to 32 checks). `false` calls `limiter.consume` for each check.
   * @default true
   */
  coalesce?: boolean
}

/** Options with every default applied. */
export interface ResolvedDirectiveOptions {
  readonly limiter: RateLimiter
  readonly identify: Identify
  readonly name: string
  readonly listMode: ListMode
  readonly errorMessage: (event: LimitedEvent) => string
  readonly onLimited: ((event: LimitedEvent) => void) | undefined
  readonly coalesce: boolean
}

/**
 * The default refusal message. Exported so a custom `errorMessage` can wrap it.
 *
 * @example
 * rateLimitDirective({ limiter, errorMessage: (e) => `${defaultErrorMessage(e)} See https://example.com/limits` })
 */
export function defaultErrorMessage({
  coordinate,
  decision,
}: Pick<LimitedEvent, 'coordinate' | 'decision'>): string {
  if (decision.reason === 'cost-exceeds-limit') {
    return `${coordinate} costs ${decision.cost}, more than its limit of ${decision.limit} allows: it can never be admitted.`
  }
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000))
  const quota = quotaRefusal(decision)
  if (quota) return `Quota "${quota.name}" exceeded: retry in ${seconds} s.`
  return `Too many requests for ${coordinate}: retry in ${seconds} s.`
}

function optionalFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    invalidConfig(`Expected \`${name}\` to be a function, got ${describeValue(value)}`)
  }
}

function resolveErrorMessage(value: unknown): (event: LimitedEvent) => string {
  if (value === undefined) return defaultErrorMessage
  if (typeof value === 'string' && value.length > 0) return () => value
  if (typeof value === 'function') return value as (event: LimitedEvent) => string
  return invalidConfig(
    `Expected \`errorMessage\` to be a non-empty string or a function (event) => string, got ${describeValue(value)}`,
  )
}

/** Applies every default and validates, once. Errors name the option and what is allowed. */
export function resolveDirectiveOptions(options: RateLimitDirectiveOptions): ResolvedDirectiveOptions {
  if (typeof options !== 'object' || options === null)
    invalidConfig('Expected the options of rateLimitDirective to be an object such as { limiter }')
  const { limiter, name = DEFAULT_DIRECTIVE_NAME, listMode = 'path', coalesce = true } = options
  if (typeof limiter?.consume !== 'function' || typeof limiter.consumeMany !== 'function') {
    invalidConfig('Expected `limiter` to be a rate limiter from createRateLimiter({ store })')
  }
  if (!isDirectiveName(name))
    invalidConfig(`Expected \`name\` to be a GraphQL name such as 'rateLimit', got ${describeValue(name)}`)
  if (listMode !== 'path' && listMode !== 'each')
    invalidConfig(`Expected \`listMode\` to be 'path' or 'each', got ${describeValue(listMode)}`)
  if (typeof coalesce !== 'boolean')
    invalidConfig(`Expected \`coalesce\` to be a boolean, got ${describeValue(coalesce)}`)
  optionalFunction('identify', options.identify)
  optionalFunction('onLimited', options.onLimited)
  return {
    limiter,
    identify: options.identify ?? limiter.identify,
    name,
    listMode,
    errorMessage: resolveErrorMessage(options.errorMessage),
    onLimited: options.onLimited,
    coalesce,
  }
}

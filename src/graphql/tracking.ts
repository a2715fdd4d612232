/**
 * The server-neutral core of the response-side integrations: what one HTTP request learned about
 * its limits (a {@link RateLimitTracker}, put in the GraphQL context), and what that means for the
 * response — `RateLimit` / `RateLimit-Policy` headers, HTTP 429 with `Retry-After` only when every
 * requested root field was refused, and `extensions.rateLimit`. graphql-yoga
 * (`useRateLimitHeaders()`), Apollo Server (`rateLimitApolloPlugin()`) and any other server
 * (`trackRateLimits()` + `rateLimitResponse()`, a few lines in its hooks) all answer from here, so
 * one request gets the same status and headers whichever server runs it.
 */
import { describeValue, invalidConfig } from '../errors.js'
import { HeaderAccumulator, type HeaderPolicies } from '../headers.js'
import type { RateLimitDecision } from '../types.js'
import { type DirectiveNames, directiveNames } from './assert-applied.js'
import { isGraphQLConcurrencyLimitedError } from './concurrency-errors.js'
import {
  LIMIT_STATE,
  type LimitState,
  type RateLimitExtension,
  rateLimitExtension,
  recordDecision,
} from './cost/limit-state.js'
import { isGraphQLRateLimitedError } from './errors.js'
import { isSingleResult, type ResultLike } from './execution-result.js'
import { DECISION_SINK, type DecisionSink } from './sink.js'

function hasConcurrencyRefusal(result: unknown): boolean {
  const errors = (result as ResultLike | null)?.errors
  return Array.isArray(errors) && errors.some(isGraphQLConcurrencyLimitedError)
}

/**
 * True when no data came back because of rate limits: `data` is null (a refused non-null field
 * reached the root), or every root field is null with a `RATE_LIMITED` error under it.
 */
export function everyRootFieldRefused(result: ResultLike): boolean {
  const refusedRoots = new Set<string | number>()
  for (const error of result.errors ?? []) {
    if (isGraphQLRateLimitedError(error) || isGraphQLConcurrencyLimitedError(error))
      refusedRoots.add(error.path?.[0] ?? '')
  }
  if (refusedRoots.size === 0) return false
  const { data } = result
  if (data === null || data === undefined) return true
  const keys = Object.keys(data)
  return keys.length > 0 && keys.every((key) => data[key] === null && refusedRoots.has(key))
}

/**
 * Every decision of one HTTP request (each field, the cost budget, each operation of a batch),
 * merged for the headers and for `extensions.rateLimit`.
 */
export class RateLimitTracker implements DecisionSink {
  readonly #headers: HeaderAccumulator
  /** Read by `extensions.rateLimit` and written by the cost budget (`cost`, `actualCost`). */
  readonly state: LimitState = { policies: new Map() }

  constructor(policies: HeaderPolicies = 'binding') {
    this.#headers = new HeaderAccumulator({ policies })
  }

  add(decision: RateLimitDecision): void {
    this.#headers.add(decision)
    recordDecision(this.state, decision)
  }

  /** True once any decision was added. */
  get touched(): boolean {
    return this.#headers.touched
  }

  /** True when the result is refused as a whole: some decision refused, and every root field with it. */
  refusesAll(result: unknown): boolean {
    // A concurrency refusal has no rate decision in the sink: it is found in the errors.
    const refused = this.#headers.refused || hasConcurrencyRefusal(result)
    return refused && isSingleResult(result) && everyRootFieldRefused(result)
  }

  /** The headers of the response; `Retry-After` only when the whole result was refused. */
  headers(refusedAll: boolean): Record<string, string> {
    const headers = this.#headers.headers()
    if (!refusedAll) delete headers['Retry-After']
    return headers
  }
}

/** What {@link trackRateLimits} returns: spread it into the GraphQL context. */
export interface RateLimitTracking {
  readonly [DECISION_SINK]: RateLimitTracker
  readonly [LIMIT_STATE]: LimitState
}

/** Options of {@link trackRateLimits}. */
export interface TrackRateLimitsOptions {
  /** `'binding'`: only the most restrictive policy in the headers; `'all'`: one list item per policy touched. @default 'binding' */
  policies?: HeaderPolicies
}

/** The tracker of one request: `sink` where the directive and the cost budget report, `state` for the extension. */
export function tracking(tracker: RateLimitTracker): RateLimitTracking {
  return { [DECISION_SINK]: tracker, [LIMIT_STATE]: tracker.state }
}

/** The tracker in this context, when {@link trackRateLimits} (or a plugin) put one there. */
export function trackerOf(context: unknown): RateLimitTracker | undefined {
  if (context === null || typeof context !== 'object') return undefined
  const sink = (context as { [DECISION_SINK]?: Partial<RateLimitTracker> })[DECISION_SINK]
  // By shape, not class: a tracker from another copy of this package still answers.
  return typeof sink?.refusesAll === 'function' && typeof sink.headers === 'function' && sink.state
    ? (sink as RateLimitTracker)
    : undefined
}

/**
 * What to put in the GraphQL context of one request so that {@link rateLimitResponse} can answer
 * for it: the `@rateLimit` fields and the cost budget report their decisions there. One per HTTP
 * request (a batch shares it), never shared between requests.
 *
 * @example
 * // Mercurius: context: (request, reply) => ({ req: request.raw, reply, ...trackRateLimits() })
 */
export function trackRateLimits(options: TrackRateLimitsOptions = {}): RateLimitTracking {
  const { policies = 'binding' } = options ?? {}
  if (policies !== 'binding' && policies !== 'all') {
    invalidConfig(`Expected \`policies\` to be 'binding' or 'all', got ${describeValue(policies)}`)
  }
  return tracking(new RateLimitTracker(policies))
}

/** What {@link rateLimitResponse} says the response should carry. */
export interface RateLimitResponse {
  /** 429 when every requested root field was refused by a rate limit; otherwise absent (keep the server's status). */
  readonly status?: 429
  /** `RateLimit`, `RateLimit-Policy`, and `Retry-After` with a 429; empty when no limit was touched. */
  readonly headers: Readonly<Record<string, string>>
  /** The value for `extensions.rateLimit`; absent when no limit and no budget was touched. */
  readonly extension?: RateLimitExtension
}

/** Options of {@link rateLimitResponse}. */
export interface RateLimitResponseOptions {
  /** Answer 429 with `Retry-After` when every requested root field was refused. @default true */
  status429?: boolean
}

/**
 * The status, headers and `extensions.rateLimit` for a response, from the execution `result` and
 * the `context` that {@link trackRateLimits} went into. Server-neutral: copy them onto the reply
 * in your server's last hook before sending. A context without tracking gives `{ headers: {} }`.
 *
 * @example
 * const { status, headers, extension } = rateLimitResponse(result, context)
 * if (status) reply.code(status)
 * reply.headers(headers)
 */
export function rateLimitResponse(
  result: unknown,
  context: unknown,
  options: RateLimitResponseOptions = {},
): RateLimitResponse {
  const tracker = trackerOf(context)
  const extension = tracker && rateLimitExtension(tracker.state)
  if (!tracker) return { headers: {} }
  // A concurrency refusal alone leaves the tracker untouched, yet can refuse the whole result.
  const refusedAll = options.status429 !== false && tracker.refusesAll(result)
  return {
    ...(refusedAll ? { status: 429 as const } : {}),
    headers: tracker.touched ? tracker.headers(refusedAll) : {},
    ...(extension ? { extension } : {}),
  }
}

/** Options shared by the server plugins: the headers plugin for yoga and the Apollo plugin. */
export interface ResponseOptions {
  policies?: HeaderPolicies
  status429?: boolean
  directive?: DirectiveNames
}

/** Applies the defaults and validates, once, when a plugin is built. */
export function resolveResponseOptions(options: ResponseOptions, plugin: string) {
  if (typeof options !== 'object' || options === null) {
    invalidConfig(`Expected the options of ${plugin} to be an object, got ${describeValue(options)}`)
  }
  const { policies = 'binding', status429 = true } = options
  if (policies !== 'binding' && policies !== 'all') {
    invalidConfig(`Expected \`policies\` to be 'binding' or 'all', got ${describeValue(policies)}`)
  }
  if (typeof status429 !== 'boolean')
    invalidConfig(`Expected \`status429\` to be a boolean, got ${describeValue(status429)}`)
  const names =
    Array.isArray(options.directive) && options.directive.length === 0
      ? []
      : directiveNames(options.directive, 'directive')
  return { policies, status429, names }
}

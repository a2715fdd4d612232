/**
 * `useRateLimitHeaders()`: the graphql-yoga plugin that turns an operation's decisions into the
 * response's headers and status.
 */
import type { GraphQLSchema } from 'graphql'
import { describeValue, invalidConfig } from '../errors.js'
import { HeaderAccumulator, type HeaderPolicies } from '../headers.js'
import { peerOf } from '../identity/peer.js'
import { requestOf } from '../identity/request.js'
import { assertRateLimitsApplied, type DirectiveNames, directiveNames } from './assert-applied.js'
import { isGraphQLConcurrencyLimitedError } from './concurrency-errors.js'
import { isGraphQLRateLimitedError } from './errors.js'
import { isSingleResult, type ResultLike } from './execution-result.js'
import { DECISION_SINK } from './sink.js'

/** Options of {@link useRateLimitHeaders}. */
export interface RateLimitHeadersOptions {
  /** `'binding'`: only the most restrictive policy; `'all'`: one list item per policy touched. @default 'binding' */
  policies?: HeaderPolicies
  /** Answer HTTP 429 with `Retry-After` when every requested root field was refused. @default true */
  status429?: boolean
  /**
   * The directive names whose fields must have been wrapped by the transformer; a schema that
   * declares them on unwrapped fields is refused (`TRANSFORMER_NOT_APPLIED`). `[]` skips the check.
   * @default 'rateLimit'
   */
  directive?: DirectiveNames
}

/** The hooks the plugin uses, typed structurally so that this package does not need graphql-yoga's types. */
export interface RateLimitHeadersPlugin {
  onRequest(payload: { serverContext?: unknown }): void
  onSchemaChange(payload: { schema: GraphQLSchema }): void
  // biome-ignore lint/suspicious/noExplicitAny: the yoga context is the user's own type.
  onContextBuilding(payload: { context: any; extendContext(extension: object): void }): void
  onResultProcess(payload: { request: Request; result: unknown; setResult(result: never): void }): void
  onResponse(payload: { request: Request; response: Response; setResponse(response: Response): void }): void
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

function hasConcurrencyRefusal(result: unknown): boolean {
  const errors = (result as ResultLike | null)?.errors
  return Array.isArray(errors) && errors.some(isGraphQLConcurrencyLimitedError)
}

function setHeaders(
  response: Response,
  headers: Record<string, string>,
  replace: (r: Response) => void,
): void {
  try {
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value)
  } catch {
    // Immutable headers: rebuild the response around the same body.
    const copy = new Headers(response.headers)
    for (const [name, value] of Object.entries(headers)) copy.set(name, value)
    replace(
      new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers: copy,
      }),
    )
  }
}

/**
 * graphql-yoga plugin: `RateLimit` / `RateLimit-Policy` headers (IETF draft) on every response
 * that touched a limit, HTTP 429 with `Retry-After` when every requested root field was refused,
 * HTTP 200 with partial data otherwise. It also refuses a schema that declares `@rateLimit` on
 * fields the transformer did not wrap. Batched requests get merged headers and keep status 200.
 *
 * @example
 * const yoga = createYoga({ schema, plugins: [useRateLimitHeaders()] })
 */
export function useRateLimitHeaders(options: RateLimitHeadersOptions = {}): RateLimitHeadersPlugin {
  const { policies, status429, names } = resolveOptions(options)
  const checked = new WeakSet<GraphQLSchema>()
  const sinks = new WeakMap<Request, HeaderAccumulator>()
  const refusedAll = new WeakSet<Request>()
  return {
    // The peer address, read before the body: a client that resets the connection later takes it along.
    onRequest: ({ serverContext }) => void peerOf(requestOf(serverContext)),
    onSchemaChange({ schema }) {
      if (names.length === 0 || checked.has(schema)) return
      assertRateLimitsApplied(schema, { directive: names })
      checked.add(schema)
    },
    onContextBuilding({ context, extendContext }) {
      const request: Request | undefined = context?.request
      if (!request) return
      let sink = sinks.get(request)
      if (!sink) {
        sink = new HeaderAccumulator({ policies })
        sinks.set(request, sink)
      }
      extendContext({ [DECISION_SINK]: sink })
    },
    onResultProcess({ request, result, setResult }) {
      // A concurrency refusal is not in the sink (it has no rate decision): found in the errors.
      const refused = sinks.get(request)?.refused || hasConcurrencyRefusal(result)
      if (!status429 || !refused || !isSingleResult(result) || !everyRootFieldRefused(result)) return
      refusedAll.add(request)
      const http = result.extensions?.http
      setResult({ ...result, extensions: { ...result.extensions, http: { ...http, status: 429 } } } as never)
    },
    onResponse({ request, response, setResponse }) {
      const sink = sinks.get(request)
      if (!sink?.touched) return
      const headers = sink.headers()
      if (!refusedAll.has(request)) delete headers['Retry-After']
      setHeaders(response, headers, setResponse)
    },
  }
}

/** Applies the defaults and validates, once, when the plugin is built. */
function resolveOptions(options: RateLimitHeadersOptions) {
  if (typeof options !== 'object' || options === null) {
    invalidConfig(
      `Expected the options of useRateLimitHeaders to be an object, got ${describeValue(options)}`,
    )
  }
  const { policies = 'binding', status429 = true } = options
  if (policies !== 'binding' && policies !== 'all') {
    invalidConfig(`Expected \`policies\` to be 'binding' or 'all', got ${describeValue(policies)}`)
  }
  const names =
    Array.isArray(options.directive) && options.directive.length === 0
      ? []
      : directiveNames(options.directive, 'directive')
  return { policies, status429, names }
}

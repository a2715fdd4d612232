/**
 * `useRateLimitHeaders()`: the graphql-yoga plugin that turns an operation's decisions into the
 * response's headers and status.
 */
import type { GraphQLSchema } from 'graphql'
import type { HeaderPolicies } from '../headers.js'
import { peerOf } from '../identity/peer.js'
import { requestOf } from '../identity/request.js'
import { assertRateLimitsApplied, type DirectiveNames } from './assert-applied.js'
import type { ResultLike } from './execution-result.js'
import { DECISION_SINK } from './sink.js'
import { RateLimitTracker, resolveResponseOptions } from './tracking.js'

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
  const { policies, status429, names } = resolveResponseOptions(options, 'useRateLimitHeaders')
  const checked = new WeakSet<GraphQLSchema>()
  const sinks = new WeakMap<Request, RateLimitTracker>()
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
        sink = new RateLimitTracker(policies)
        sinks.set(request, sink)
      }
      extendContext({ [DECISION_SINK]: sink })
    },
    onResultProcess({ request, result, setResult }) {
      if (!status429 || !sinks.get(request)?.refusesAll(result)) return
      refusedAll.add(request)
      const single = result as ResultLike
      const http = single.extensions?.http
      setResult({ ...single, extensions: { ...single.extensions, http: { ...http, status: 429 } } } as never)
    },
    onResponse({ request, response, setResponse }) {
      const sink = sinks.get(request)
      if (!sink?.touched) return
      setHeaders(response, sink.headers(refusedAll.has(request)), setResponse)
    },
  }
}

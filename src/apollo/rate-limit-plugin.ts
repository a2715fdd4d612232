/**
 * `rateLimitApolloPlugin()`: Apollo Server's counterpart of graphql-yoga's `useRateLimitHeaders()`
 * and `useRateLimitExtensions()`. It puts the server-neutral tracker (`graphql/tracking.ts`) in
 * each request's context, where the `@rateLimit` fields and `costBudgetApolloPlugin()` report
 * their decisions, and writes what the tracker says into the response before Apollo sends it.
 */
import { describeValue, invalidConfig } from '../errors.js'
import { assertRateLimitsApplied, type DirectiveNames } from '../graphql/assert-applied.js'
import { RateLimitTracker, rateLimitResponse, resolveResponseOptions, tracking } from '../graphql/tracking.js'
import type { HeaderPolicies } from '../headers.js'
import { peerOf } from '../identity/peer.js'
import { requestOf } from '../identity/request.js'
import type { ApolloRequestContext, ApolloServerContext } from './apollo-types.js'

/** Options of {@link rateLimitApolloPlugin}. */
export interface RateLimitApolloPluginOptions {
  /** `'binding'`: only the most restrictive policy in the headers; `'all'`: one list item per policy touched. @default 'binding' */
  policies?: HeaderPolicies
  /** Answer HTTP 429 with `Retry-After` when every requested root field was refused. @default true */
  status429?: boolean
  /** Add `extensions.rateLimit` (each policy's limit, remaining, reset, window; the operation's cost) to responses that touched a limit. @default true */
  extensions?: boolean
  /**
   * The directive names whose fields must have been wrapped by the transformer; a schema that
   * declares them on unwrapped fields fails `server.start()` (`TRANSFORMER_NOT_APPLIED`). `[]` skips the check.
   * @default 'rateLimit'
   */
  directive?: DirectiveNames
}

/** The request hooks of {@link RateLimitApolloPlugin}. */
export interface RateLimitApolloListener {
  willSendResponse(requestContext: ApolloRequestContext): Promise<void>
}

/** The Apollo Server plugin, typed structurally: Apollo Server 4 and 5 accept it in `plugins`. */
export interface RateLimitApolloPlugin {
  serverWillStart(service: ApolloServerContext): Promise<void>
  requestDidStart(requestContext: ApolloRequestContext): Promise<RateLimitApolloListener>
}

/**
 * The request's tracker, put in the operation's context. Apollo gives each operation of a batch
 * its own copy of the context but one shared HTTP head (`response.http`): the tracker is kept
 * per head, so a batch's operations merge their headers as they share one response.
 */
function attachTracker(
  trackers: WeakMap<object, RateLimitTracker>,
  { contextValue, response }: ApolloRequestContext,
  policies: HeaderPolicies,
): RateLimitTracker | undefined {
  if (contextValue === null || typeof contextValue !== 'object') return undefined
  let tracker = trackers.get(response.http)
  if (!tracker) {
    tracker = new RateLimitTracker(policies)
    trackers.set(response.http, tracker)
  }
  Object.assign(contextValue, tracking(tracker))
  return tracker
}

/**
 * Apollo Server 4 / 5 plugin: `RateLimit` / `RateLimit-Policy` headers (IETF draft) on every
 * response that touched a limit, HTTP 429 with `Retry-After` when every requested root field was
 * refused (by `@rateLimit` or by `costBudgetApolloPlugin()`), HTTP 200 with partial data
 * otherwise, and `extensions.rateLimit` — what `useRateLimitHeaders()` and
 * `useRateLimitExtensions()` give on graphql-yoga. `server.start()` fails when the schema declares
 * `@rateLimit` on fields the transformer did not wrap. The caller's IP needs the Node request in
 * the context: `context: async ({ req }) => ({ req })` (standalone server and `expressMiddleware`).
 * A batch (`allowBatchedHttpRequests`) shares one tracker: headers and `extensions.rateLimit`
 * merged over its operations, status kept at 200.
 *
 * @example
 * const server = new ApolloServer({ schema, plugins: [rateLimitApolloPlugin()] })
 * await startStandaloneServer(server, { context: async ({ req }) => ({ req }) })
 */
export function rateLimitApolloPlugin(options: RateLimitApolloPluginOptions = {}): RateLimitApolloPlugin {
  const { policies, status429, names } = resolveResponseOptions(options, 'rateLimitApolloPlugin')
  const { extensions = true } = options
  if (typeof extensions !== 'boolean')
    invalidConfig(`Expected \`extensions\` to be a boolean, got ${describeValue(extensions)}`)
  const trackers = new WeakMap<object, RateLimitTracker>()
  return {
    async serverWillStart({ schema }) {
      if (schema && names.length > 0) assertRateLimitsApplied(schema, { directive: names })
    },
    async requestDidStart(requestContext) {
      const { contextValue, requestIsBatched } = requestContext
      // The peer address, read as early as Apollo lets a plugin: a client that resets the connection later takes it along.
      peerOf(requestOf(contextValue))
      const tracker = attachTracker(trackers, requestContext, policies)
      return {
        async willSendResponse({ response }) {
          if (!tracker) return
          const single = response.body?.kind === 'single' ? response.body.singleResult : undefined
          const answer = rateLimitResponse(single, contextValue, {
            status429: status429 && requestIsBatched !== true,
          })
          if (answer.status) response.http.status = answer.status
          for (const [name, value] of Object.entries(answer.headers))
            response.http.headers.set(name.toLowerCase(), value)
          if (extensions && single && answer.extension)
            single.extensions = { ...single.extensions, rateLimit: answer.extension }
        },
      }
    },
  }
}

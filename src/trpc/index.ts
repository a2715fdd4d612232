/**
 * `resolver-rate-limit/trpc`: the tRPC v11 middleware. Only this subpath imports `@trpc/server`.
 */
export {
  CHECK_FAILED_RETRY_SECONDS,
  getRateLimitDecision,
  type RateLimitErrorData,
  RateLimitExceededError,
  rateLimitErrorData,
} from './errors.js'
export {
  type AdapterContextOptions,
  type HeadersLike,
  type NodeResponseLike,
  type RateLimitHttpContext,
  RateLimitResponseHeaders,
  rateLimitContext,
} from './headers.js'
export { type RateLimitContext, type RateLimitMiddleware, rateLimit } from './middleware.js'
export type { CallInfo, CheckFailurePolicy, CostFunction, RateLimitOptions } from './options.js'

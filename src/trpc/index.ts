/**
 * `resolver-rate-limit/trpc`: the tRPC v11 middleware. Only this subpath imports `@trpc/server`.
 * Each name is a decision, pinned by `test/exports.test.ts`.
 */
export {
  type ConcurrencyContext,
  type ConcurrencyLimitMiddleware,
  type ConcurrencyLimitOptions,
  concurrencyLimit,
  TRPCConcurrencyLimitedCause,
} from './concurrency.js'
export {
  getRateLimitDecision,
  type RateLimitErrorData,
  rateLimitErrorData,
  TRPCRateLimitedCause,
} from './errors.js'
export {
  type AdapterContextOptions,
  type RateLimitHttpContext,
  type RateLimitResponseHeaders,
  rateLimitContext,
} from './headers.js'
export { type RateLimitContext, type RateLimitMiddleware, rateLimit } from './middleware.js'
export type { CallInfo, CheckFailurePolicy, CostFunction, RateLimitOptions } from './options.js'

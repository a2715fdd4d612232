export { assertRateLimitsApplied, type DirectiveNames } from './assert-applied.js'
export * from './cost/index.js'
export * from './cost/index.js'
export { type RateLimitDirective, rateLimitDirective } from './directive.js'
export {
  isRateLimitedError,
  RateLimitedError,
  type RateLimitedErrorOptions,
  type RateLimitedExtensions,
  rateLimitedExtensions,
} from './errors.js'
export type { FieldPlan } from './field-plan.js'
export {
  defaultErrorMessage,
  type LimitedEvent,
  type ListMode,
  type RateLimitDirectiveOptions,
} from './options.js'
export { DEFAULT_DIRECTIVE_NAME, RATE_LIMIT_SDL, rateLimitTypeDefs } from './sdl.js'
export { RATE_LIMIT_EXTENSION, type RateLimitFieldExtension } from './transformer.js'
export {
  everyRootFieldRefused,
  type RateLimitHeadersOptions,
  type RateLimitHeadersPlugin,
  useRateLimitHeaders,
} from './yoga-plugin.js'

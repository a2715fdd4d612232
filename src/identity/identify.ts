import { monotonicNow } from '../clock.js'
import { describeValue, invalidConfig } from '../errors.js'
import type { Logger } from '../types.js'
import { createApiKeyReader } from './api-key-reader.js'
import { type ApiKeyOptions, createApiKeyResolver } from './api-keys.js'
import { type ClientIpOptions, createClientIp } from './client-ip.js'
import { IdentityError } from './identity-error.js'
import { TtlCache } from './ttl-cache.js'
import type { Caller, Identify } from './types.js'

/** Options of {@link createIdentify}. Every option is validated when `createIdentify` runs. */
// biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
export interface IdentifyOptions<TContext = any> extends ClientIpOptions<TContext> {
  /**
   * The authenticated user's id, or `null`/`undefined` for an anonymous request. Strings,
   * finite numbers and bigints count; anything else reads as anonymous.
   * @default (ctx) => ctx.user?.id ?? ctx.userId
   */
  getUserId?: (ctx: TContext) => unknown
  /** Identify anonymous callers by API key, validated by your lookup. @default undefined (no API keys) */
  apiKeys?: ApiKeyOptions<TContext>
  /**
   * Refuse anonymous requests without a valid key: `identify` throws
   * `IdentityError('API_KEY_REQUIRED')` instead of counting them by IP. Requires `apiKeys`.
   * @default false
   */
  requireApiKey?: boolean
  /**
   * When no user, no key and no client address is known (a Fetch server without `getIp`, a
   * socket already closed): `'refuse'` throws `IdentityError('CLIENT_UNIDENTIFIED')`; `'shared'`
   * counts all such requests under one identity, `ip:unknown`.
   * @default 'refuse'
   */
  onUnknownClient?: 'refuse' | 'shared'
  /**
   * Where failed key lookups (at most once a minute) and unusable key records (once an hour per
   * record problem) are reported. `false` silences it.
   * @default console
   */
  logger?: Logger | false
}

/** How often a failing key lookup is logged. */
const LOG_EVERY_MS = 60_000
/** How often one unusable key record is logged again, and how many distinct ones are remembered. */
const MISCONFIGURED_LOG_EVERY_MS = 3_600_000
const MISCONFIGURED_REMEMBERED = 1000

// biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
function defaultUserId(ctx: any): unknown {
  return ctx?.user?.id ?? ctx?.userId
}

function userCaller(id: unknown): Caller | undefined {
  if (
    typeof id === 'string'
      ? id.length > 0
      : typeof id === 'bigint' || (typeof id === 'number' && Number.isFinite(id))
  ) {
    return { id: `user:${id}`, kind: 'user' }
  }
  return undefined
}

function validate(options: IdentifyOptions): void {
  if (typeof options !== 'object' || options === null) {
    invalidConfig('Expected the createIdentify options to be an object')
  }
  const { getUserId, requireApiKey, onUnknownClient, apiKeys, logger } = options
  if (getUserId !== undefined && typeof getUserId !== 'function')
    invalidConfig('Expected `getUserId` to be a function (ctx) => id')
  if (apiKeys !== undefined && (typeof apiKeys !== 'object' || apiKeys === null)) {
    invalidConfig('Expected `apiKeys` to be an object { lookup, … }')
  }
  if (requireApiKey !== undefined && typeof requireApiKey !== 'boolean')
    invalidConfig('Expected `requireApiKey` to be true or false')
  if (requireApiKey && !apiKeys)
    invalidConfig('Expected `apiKeys` with a `lookup` when `requireApiKey` is true')
  if (onUnknownClient !== undefined && onUnknownClient !== 'refuse' && onUnknownClient !== 'shared') {
    invalidConfig(
      `Expected \`onUnknownClient\` to be 'refuse' or 'shared', got ${describeValue(onUnknownClient)}`,
    )
  }
  if (logger !== undefined && logger !== false && typeof logger?.warn !== 'function') {
    invalidConfig('Expected `logger` to be an object with a warn method (console, a pino logger) or false')
  }
}

/** Step 3: the client IP, or a refusal (`requireApiKey`, or no address with `onUnknownClient: 'refuse'`). */
function addressStep<TContext>(options: IdentifyOptions<TContext>): (ctx: TContext) => Caller {
  const clientIp = createClientIp(options)
  const { requireApiKey = false, onUnknownClient = 'refuse' } = options
  return (ctx) => {
    if (requireApiKey) throw new IdentityError('API_KEY_REQUIRED', 'A valid API key is required')
    const bucket = clientIp(ctx)
    if (bucket !== undefined) return { id: `ip:${bucket}`, kind: 'ip' }
    if (onUnknownClient === 'shared') return { id: 'ip:unknown', kind: 'ip' }
    throw new IdentityError(
      'CLIENT_UNIDENTIFIED',
      'Cannot identify the caller: no user, no API key and no client address. On a Fetch server pass ' +
        "createIdentify({ getIp }), put the Node request in the context as `req`, or set onUnknownClient: 'shared'",
    )
  }
}

/**
 * A key the lookup accepted whose record cannot work: log the problem (once an hour per problem,
 * never the key) and refuse. Counting the caller by IP instead would silently hand a paying
 * customer anonymous limits.
 */
function misconfiguredStep(logger: Logger | false): (error: IdentityError) => never {
  const logged = new TtlCache<true>(MISCONFIGURED_LOG_EVERY_MS, MISCONFIGURED_REMEMBERED)
  return (error) => {
    const problem = error.cause instanceof Error ? error.cause.message : String(error.cause)
    if (logger && logged.get(problem) === undefined) {
      logged.set(problem, true)
      logger.warn(
        `[resolver-rate-limit] ${problem}. Requests with this API key are refused with API_KEY_MISCONFIGURED (HTTP 403) until its record or the plans are fixed`,
      )
    }
    throw error
  }
}

/**
 * A failed lookup: refuse with `requireApiKey`, else log (at most once a minute, the key redacted
 * from the lookup's own message) and count the caller by IP. An unusable record is refused.
 * Other errors are rethrown.
 */
function lookupFailureStep<TContext>(
  options: IdentifyOptions<TContext>,
  byAddress: (ctx: TContext) => Caller,
): (error: unknown, key: string, ctx: TContext) => Caller {
  const logger = options.logger === undefined ? console : options.logger
  const misconfigured = misconfiguredStep(logger)
  let loggedAt = Number.NEGATIVE_INFINITY
  return (error, key, ctx) => {
    if (error instanceof IdentityError && error.code === 'API_KEY_MISCONFIGURED') misconfigured(error)
    if (options.requireApiKey || !(error instanceof IdentityError)) throw error
    const now = monotonicNow() // a wall-clock step back must not silence the log
    if (logger && now - loggedAt >= LOG_EVERY_MS) {
      loggedAt = now
      const cause = error.cause instanceof Error ? error.cause.message : String(error.cause)
      logger.warn(
        `[resolver-rate-limit] ${error.message} (${cause.split(key).join('[key]')}); counting such callers by IP until it recovers`,
      )
    }
    return byAddress(ctx)
  }
}

/**
 * Builds the default identity chain: the authenticated user (`user:<id>`), else an API key the
 * lookup accepts (`key:<digest>` of its owner, or of the key with `budget: 'key'`), else the
 * client IP (`ip:203.0.113.7`, `ip:2001:db8:0:100::/56`). A missing, malformed, unknown or
 * revoked key never earns a bucket of its own: the caller is counted by IP, or refused with
 * `requireApiKey`. API keys never appear in identities, errors or logs (SHA-256 digests only).
 *
 * @example
 * const identify = createIdentify({ trustProxy: 1, apiKeys: { lookup: findKey, plans } })
 * const limiter = createRateLimiter({ store, identify })
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the option that cannot work.
 */
// biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
export function createIdentify<TContext = any>(options: IdentifyOptions<TContext> = {}): Identify<TContext> {
  validate(options)
  const getUserId = options.getUserId ?? defaultUserId
  const readKey = options.apiKeys ? createApiKeyReader(options.apiKeys) : undefined
  const resolveKey = options.apiKeys ? createApiKeyResolver(options.apiKeys) : undefined
  const byAddress = addressStep(options)
  const lookupFailed = lookupFailureStep(options, byAddress)
  return (ctx) => {
    const user = userCaller(getUserId(ctx))
    if (user) return user
    const key = readKey?.(ctx)
    if (key === undefined || !resolveKey) return byAddress(ctx)
    try {
      const found = resolveKey(key)
      if (!(found instanceof Promise)) return found ?? byAddress(ctx)
      return found.then(
        (caller) => caller ?? byAddress(ctx),
        (error: unknown) => lookupFailed(error, key, ctx),
      )
    } catch (error) {
      return lookupFailed(error, key, ctx)
    }
  }
}

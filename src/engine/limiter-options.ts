/**
 * The options of `createRateLimiter`: what each means, its default, and the one function that
 * validates them all when the limiter is built. The defaults that are objects of other layers (a
 * `MemoryStore`, the default `identify`) come from `createRateLimiter` ({@link LimiterDefaults}),
 * so the engine imports neither.
 */
import { describeValue, invalidConfig } from '../errors.js'
import type { Identify } from '../identity/types.js'
import { validatePrefix } from '../keys.js'
import { POLICIES } from '../rules.js'
import type { Logger, RateLimitStore, StoreErrorPolicy } from '../types.js'
import { type BlockCacheOptions, DEFAULT_BLOCK_CLOCK, type ResolvedBlockCacheOptions } from './block-cache.js'
import type { CircuitBreakerOptions } from './circuit-breaker.js'

/** Options of {@link createRateLimiter}. Every option is validated when the limiter is built. */
export interface RateLimiterOptions {
  /** Where usage is kept. @default new MemoryStore() */
  store?: RateLimitStore
  /** Prepended to every store key. @default 'rl:' */
  prefix?: string
  /**
   * Deadline for every store call, in milliseconds. A call that takes longer is answered by the
   * `onStoreError` policy.
   * @default 200
   */
  timeoutMs?: number
  /**
   * What to do when the store fails or times out: `'local'` (an in-process limiter with the same
   * rules), `'open'` (admit) or `'closed'` (refuse). Rules may override it.
   * @default 'local'
   */
  onStoreError?: StoreErrorPolicy
  /** Circuit breaker for store outages; `false` waits out the deadline on every call. */
  circuitBreaker?: CircuitBreakerOptions | false
  /** The in-process store used by the `'local'` policy. @default new MemoryStore() */
  fallbackStore?: RateLimitStore
  /** Compute every decision but never refuse (shadow mode for the whole limiter). @default false */
  shadow?: boolean
  /**
   * Turns a request context into the caller for the adapters (GraphQL directive, tRPC middleware)
   * unless they are given their own.
   * @default createIdentify() — user id, else a validated API key, else the client IP
   */
  identify?: Identify
  /** Receives one line per store state change (down, recovered). `false` silences it. @default console */
  logger?: Logger | false
  /**
   * The blocked-caller cache: a caller the store refused is refused from memory, without a store
   * call, for as long as the store's answer proves it stays refused (see the README, "Blocked-caller
   * cache"). Refusals it answers have `reason: 'cached'`. `true` turns it on with the defaults
   * (`{ maxEntries: 10_000, maxBlockMs: 60_000 }`).
   * @default false
   */
  blockCache?: BlockCacheOptions | boolean
}

/** The defaults that are objects of other layers, handed in by `createRateLimiter`. */
export interface LimiterDefaults {
  /** The store when none is given, and the `'local'` policy's store when no `fallbackStore` is. */
  newStore(): RateLimitStore
  /** The `identify` when none is given. */
  newIdentify(): Identify
}

export interface ResolvedLimiterOptions {
  store: RateLimitStore
  prefix: string
  timeoutMs: number
  onStoreError: StoreErrorPolicy
  circuitBreaker: Required<CircuitBreakerOptions> | false
  fallbackStore: RateLimitStore | undefined
  /** Creates the `'local'` policy's store on first use, when no `fallbackStore` was given. */
  newLocalStore: () => RateLimitStore
  shadow: boolean
  logger: Logger | false
  identify: Identify
  /** Off (`false`) too in shadow mode: nothing is refused there. */
  blockCache: ResolvedBlockCacheOptions | false
}

function positiveInteger(name: string, value: unknown, max = 3_600_000): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    invalidConfig(`Expected \`${name}\` to be an integer from 1 to ${max}, got ${describeValue(value)}`)
  }
  return value as number
}

function isStore(store: unknown): store is RateLimitStore {
  const s = store as RateLimitStore | null | undefined
  return typeof s?.consume === 'function' && typeof s.peek === 'function' && typeof s.reset === 'function'
}

function validateLogger(logger: unknown): Logger | false {
  if (logger === undefined) return console
  if (logger === false) return false
  const l = logger as Logger | null
  if (typeof l?.warn !== 'function' || typeof l.error !== 'function') {
    invalidConfig(
      'Expected `logger` to be an object with warn and error methods (console, a pino logger) or false',
    )
  }
  return l
}

function validateBreaker(breaker: unknown): Required<CircuitBreakerOptions> | false {
  if (breaker === false) return false
  if (breaker === undefined) return { failureThreshold: 3, probeIntervalMs: 250 }
  if (typeof breaker !== 'object' || breaker === null) {
    invalidConfig(
      `Expected \`circuitBreaker\` to be an object { failureThreshold?, probeIntervalMs? } or false, got ${describeValue(breaker)}`,
    )
  }
  const { failureThreshold = 3, probeIntervalMs = 250 } = breaker as CircuitBreakerOptions
  return {
    failureThreshold: positiveInteger('circuitBreaker.failureThreshold', failureThreshold, 1000),
    probeIntervalMs: positiveInteger('circuitBreaker.probeIntervalMs', probeIntervalMs, 60_000),
  }
}

function validateIdentify(identify: unknown): Identify | undefined {
  if (identify !== undefined && typeof identify !== 'function') {
    invalidConfig(
      'Expected `identify` to be a function (ctx) => caller, such as createIdentify({ trustProxy: 1 })',
    )
  }
  return identify as Identify | undefined
}

function validateBlockCache(cache: unknown): ResolvedBlockCacheOptions | false {
  if (cache === false || cache === undefined) return false
  if (cache !== true && (typeof cache !== 'object' || cache === null)) {
    invalidConfig(
      `Expected \`blockCache\` to be true, false or an object { maxEntries?, maxBlockMs?, clock? }, got ${describeValue(cache)}`,
    )
  }
  const options = (cache === true ? {} : cache) as BlockCacheOptions
  const { maxEntries = 10_000, maxBlockMs = 60_000, clock = DEFAULT_BLOCK_CLOCK } = options
  if (typeof clock !== 'function')
    invalidConfig('Expected `blockCache.clock` to be a function returning milliseconds')
  return {
    maxEntries: positiveInteger('blockCache.maxEntries', maxEntries, 10_000_000),
    maxBlockMs: positiveInteger('blockCache.maxBlockMs', maxBlockMs, 86_400_000),
    clock,
  }
}

/** Applies every default and validates, once, when the limiter is built. */
export function resolveLimiterOptions(
  options: RateLimiterOptions = {},
  defaults: LimiterDefaults,
): ResolvedLimiterOptions {
  if (typeof options !== 'object' || options === null)
    invalidConfig('Expected the limiter options to be an object')
  const { prefix = 'rl:', timeoutMs = 200, onStoreError = 'local' } = options
  const store = options.store ?? defaults.newStore()
  if (!isStore(store)) {
    invalidConfig(
      'Expected `store` to implement consume, peek and reset (a MemoryStore, a RedisStore or your own store)',
    )
  }
  if (options.fallbackStore !== undefined && !isStore(options.fallbackStore)) {
    invalidConfig(
      'Expected `fallbackStore` to implement consume, peek and reset, such as new MemoryStore({ maxKeys: 10_000 })',
    )
  }
  if (!POLICIES.includes(onStoreError)) {
    invalidConfig(
      `Expected \`onStoreError\` to be 'local', 'open' or 'closed', got ${describeValue(onStoreError)}`,
    )
  }
  const shadow = options.shadow === true
  const blockCache = validateBlockCache(options.blockCache)
  return {
    store,
    prefix: validatePrefix(prefix),
    timeoutMs: positiveInteger('timeoutMs', timeoutMs, 60_000),
    onStoreError,
    circuitBreaker: validateBreaker(options.circuitBreaker),
    fallbackStore: options.fallbackStore,
    newLocalStore: defaults.newStore,
    shadow,
    logger: validateLogger(options.logger),
    identify: validateIdentify(options.identify) ?? defaults.newIdentify(),
    blockCache: shadow ? false : blockCache,
  }
}

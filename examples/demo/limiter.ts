/**
 * The one limiter the GraphQL schema and the tRPC router share: the in-memory store by default,
 * Redis when `REDIS_URL` is set. Refusals are logged the way an operator wants them under a flood:
 * the first per caller and rule per window, then a summary every 10 s (./refusal-log.ts).
 */
import type { Redis } from 'ioredis'
import {
  createRateLimiter,
  formatDuration,
  MemoryStore,
  type RateLimitDecision,
  type RateLimiter,
  RedisStore,
} from '../../src/index.js'
import { describeIdentity, identify } from './identity.js'
import { createRefusalLog, type RefusalLogOptions } from './refusal-log.js'

/** The limiter and what start-up prints about its store. */
export interface DemoLimiter {
  limiter: RateLimiter
  /** For the operator's console: `memory …` or `Redis at redis://host:port/db`, never credentials. */
  storeLabel: string
  /** For anyone else (the `/` page): `memory` or `Redis`, nothing about where it is. */
  storeKind: 'memory' | 'Redis'
  prefix: string
  /** Closes the limiter, then the Redis connection the demo opened. */
  close(): Promise<void>
}

/** Connects to Redis the way docs/redis.md recommends: no offline queue, so nothing waits for a dead Redis. */
async function connectRedis(url: string): Promise<Redis> {
  const { Redis } = await import('ioredis')
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    lazyConnect: true,
  })
  // The application owns the client, so it listens for its errors (the limiter never does). While
  // Redis is down ioredis retries every few seconds: log each new error once, not every retry.
  let last = ''
  client.on('error', (error: Error) => {
    if (error.message !== last) console.error(`[redis] ${error.message}`)
    last = error.message
  })
  client.on('ready', () => {
    last = ''
  })
  try {
    await client.connect()
  } catch (error) {
    client.disconnect()
    throw new Error(`Cannot reach Redis at ${describeRedis(url)}: ${(error as Error).message}`)
  }
  return client
}

/** `Query.search (5 per 10s)`, the rule a refusal is about. */
function describeRule(decision: RateLimitDecision): string {
  return `${decision.rule.name} (${decision.limit} per ${formatDuration(decision.rule.windowMs)})`
}

/**
 * Logs refusals: `who rule: retry after N s` for the first refusal of each caller and rule per
 * window, a summary of the others every 10 s. Returns the function that stops it.
 */
export function logRefusals(limiter: RateLimiter, options: RefusalLogOptions = {}): () => void {
  const refusals = createRefusalLog({ describeIdentity, ...options })
  const off = limiter.on('decision', ({ decision, operation }) => {
    if (decision.allowed || operation !== 'consume') return
    const { identity, rule } = decision
    refusals.record({ identity, rule: rule.name, windowMs: rule.windowMs }, () => {
      const wait = Number.isFinite(decision.retryAfterMs)
        ? `retry after ${Math.max(1, Math.ceil(decision.retryAfterMs / 1000))} s`
        : `never (cost ${decision.cost} is above the limit)`
      const why =
        decision.reason === 'limited' ? '' : ` [${decision.reason}, policy ${decision.policy ?? '-'}]`
      return `[limited] ${describeIdentity(identity)} ${describeRule(decision)}: ${wait}${why}`
    })
  })
  return () => {
    off()
    refusals.stop()
  }
}

/**
 * Builds the demo's limiter from the environment: `REDIS_URL` (Redis instead of memory) and
 * `RATE_LIMIT_PREFIX` (the key prefix; tests give each run its own).
 */
export async function createDemoLimiter(env: NodeJS.ProcessEnv = process.env): Promise<DemoLimiter> {
  const prefix = env.RATE_LIMIT_PREFIX || 'demo:rl:'
  const redis = env.REDIS_URL ? await connectRedis(env.REDIS_URL) : undefined
  const limiter = createRateLimiter({
    store: redis ? new RedisStore({ client: redis }) : new MemoryStore(),
    prefix,
    identify,
    timeoutMs: 200,
    onStoreError: 'local',
  })
  const stopLogging = logRefusals(limiter)
  return {
    limiter,
    storeLabel: redis
      ? `Redis at ${describeRedis(env.REDIS_URL!)}`
      : 'memory (set REDIS_URL=redis://… to use Redis)',
    storeKind: redis ? 'Redis' : 'memory',
    prefix,
    async close() {
      stopLogging()
      await limiter.close()
      await redis?.quit().catch(() => redis.disconnect())
    },
  }
}

/**
 * Where Redis is, for the start-up line: scheme, host, port and database only. A Redis URL can
 * carry a password in its user info (`redis://user:pass@…`) and in its query (`?password=`), so
 * neither is shown, not even redacted.
 */
function describeRedis(url: string): string {
  try {
    const parsed = new URL(url)
    const hidden =
      parsed.username || parsed.password || parsed.search ? ' (credentials and options not shown)' : ''
    const db = parsed.pathname === '/' ? '' : parsed.pathname
    return `${parsed.protocol}//${parsed.host}${db}${hidden}`
  } catch {
    return 'REDIS_URL (not a URL)'
  }
}

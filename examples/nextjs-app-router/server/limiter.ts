/**
 * The limiter of the Next.js example: one per server process (module scope), on Redis through
 * node-redis when REDIS_URL is set, else in memory. In your app, import from 'resolver-rate-limit'.
 */
import { randomUUID } from 'node:crypto'
import { createClient } from 'redis'
import { createIdentify, createRateLimiter, MemoryStore, RedisStore } from '../../../src/index.js'

const url = process.env.REDIS_URL

/** node-redis, as the README recommends: commands are refused, not queued, while disconnected. */
export const redis = url ? createClient({ url, disableOfflineQueue: true }) : undefined
// The application owns the client, so it listens for its errors (the limiter never does).
redis?.on('error', (error: Error) => console.error(`redis: ${error.message}`))
/** Resolves once Redis is connected. Until then the limiter answers by its policy (in-process). */
export const ready: Promise<unknown> = redis ? redis.connect() : Promise.resolve()

export const limiter = createRateLimiter({
  store: redis ? new RedisStore({ client: redis }) : new MemoryStore(),
  prefix: `example:nextjs:${randomUUID().slice(0, 8)}:`, // a fresh budget per run of this example
  // A route handler sees no socket: the client address comes from X-Forwarded-For, and only the
  // entry your own proxy wrote is believed. One proxy in front (Vercel, a load balancer, nginx
  // with `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`): trustProxy 1. Next.js
  // itself fills X-Forwarded-For from the socket only when the request has none, so never expose
  // `next start` directly while limiting by IP: a client could send its own.
  identify: createIdentify({ trustProxy: 1 }),
})

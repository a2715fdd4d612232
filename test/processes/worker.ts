/**
 * One "app server" for the many-processes test: its own ioredis client and limiter on the shared
 * Redis. Started with `fork(..., { execArgv: ['--import', 'tsx'] })`; talks over the IPC channel:
 * it sends `{ ready }`, waits for `{ go: scenario }`, hammers the hot key and sends `{ result }`.
 */
import { Redis } from 'ioredis'
import { createRateLimiter, RedisStore } from '../../src/index.js'
import type { Algorithm, RateLimitRule } from '../../src/types.js'

export interface Scenario {
  prefix: string
  identity: string
  algorithm: Algorithm
  limit: number
  window: string | number
  requests: number
  concurrency: number
  /** Token bucket: the capacity. */
  burst?: number
  /** A calendar quota instead of `window` and `algorithm`. */
  period?: 'day' | 'week' | 'month'
  /** With `period`: also a per-second burst limit checked in the same call (refusals must not use the quota). */
  perSecond?: number
  /** Cost of each request. @default 1 */
  cost?: number
  /** Start at this wall-clock time (ms since the epoch) rather than at once. */
  startAt?: number
  /** Keep asking until this wall-clock time instead of stopping after `requests`. */
  until?: number
  /** Turn the blocked-caller cache on. */
  blockCache?: boolean
}

export interface WorkerResult {
  admitted: number
  refused: number
  /** Decisions not made by Redis (timeouts, errors): must be 0 for the totals to mean anything. */
  degraded: number
  /** Wall-clock time (ms) each admitted request was answered. */
  admittedAt: number[]
  /** Refusals answered by the blocked-caller cache. */
  cached: number
}

/** Leases: each lane repeatedly acquires a slot of `max`, holds it `holdMs`, releases it. */
export interface LeaseScenario {
  prefix: string
  identity: string
  max: number
  /** Acquire attempts per lane. */
  attempts: number
  concurrency: number
  holdMs: number
  /** A Redis key every holder INCRs after acquiring and DECRs before releasing. */
  counterKey: string
  startAt: number
}

export interface LeaseResult {
  acquired: number
  refused: number
  degraded: number
  /** The highest value of the shared counter this process saw right after its INCR. */
  peak: number
}

export type ParentMessage = { go: Scenario } | { lease: LeaseScenario } | { exit: true }
export type WorkerMessage = { ready: true } | { result: WorkerResult } | { leases: LeaseResult }

const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
client.on('error', () => {})
const store = new RedisStore({ client, logger: false })

function ruleOf(s: Scenario): RateLimitRule | RateLimitRule[] {
  if (s.period === undefined) {
    const burst = s.burst === undefined ? {} : { burst: s.burst }
    return { name: 'hot', limit: s.limit, window: s.window, algorithm: s.algorithm, ...burst }
  }
  const quota = { name: 'hot', limit: s.limit, period: s.period }
  return s.perSecond === undefined ? quota : [{ name: 'burst', limit: s.perSecond, window: '1s' }, quota]
}

async function hammer(s: Scenario): Promise<WorkerResult> {
  // A generous deadline: this test is about counting; a timeout would answer by policy and blur it.
  const limiter = createRateLimiter({
    store,
    prefix: s.prefix,
    timeoutMs: 5_000,
    blockCache: s.blockCache === true,
    logger: false,
  })
  const rule = ruleOf(s)
  const result: WorkerResult = { admitted: 0, refused: 0, degraded: 0, admittedAt: [], cached: 0 }
  let next = 0
  const more = () => (s.until === undefined ? next++ < s.requests : Date.now() < s.until)
  const lane = async () => {
    while (more()) {
      const decision = await limiter.consume(s.identity, rule, { cost: s.cost ?? 1 })
      if (decision.policy !== undefined) result.degraded++
      else if (decision.allowed) {
        result.admitted++
        result.admittedAt.push(Date.now())
      } else {
        result.refused++
        if (decision.reason === 'cached') result.cached++
      }
    }
  }
  if (s.startAt !== undefined) await new Promise((resolve) => setTimeout(resolve, s.startAt! - Date.now()))
  await Promise.all(Array.from({ length: s.concurrency }, lane))
  await limiter.close()
  return result
}

async function holdLeases(s: LeaseScenario): Promise<LeaseResult> {
  const limiter = createRateLimiter({ store, prefix: s.prefix, timeoutMs: 5_000, logger: false })
  const limit = { name: 'Mutation.export', max: s.max, leaseMs: 10_000 }
  const result: LeaseResult = { acquired: 0, refused: 0, degraded: 0, peak: 0 }
  const lane = async () => {
    for (let i = 0; i < s.attempts; i++) {
      const slot = await limiter.acquire(s.identity, limit)
      if (slot.policy !== undefined) result.degraded++
      else if (!slot.allowed) result.refused++
      else {
        result.acquired++
        // Counted only while the lease is surely held: after acquire, before release.
        result.peak = Math.max(result.peak, await client.incr(s.counterKey))
        await new Promise((resolve) => setTimeout(resolve, s.holdMs))
        await client.decr(s.counterKey)
        await slot.release()
      }
    }
  }
  await new Promise((resolve) => setTimeout(resolve, s.startAt - Date.now()))
  await Promise.all(Array.from({ length: s.concurrency }, lane))
  await limiter.close()
  return result
}

function send(message: WorkerMessage): void {
  process.send!(message)
}

process.on('message', (message: ParentMessage) => {
  if ('exit' in message) {
    client.disconnect()
    process.disconnect()
    return
  }
  if ('lease' in message) void holdLeases(message.lease).then((leases) => send({ leases }))
  else void hammer(message.go).then((result) => send({ result }))
})

client.once('ready', () => send({ ready: true }))

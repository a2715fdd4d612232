/**
 * `store_duration_seconds` counts store calls the limiter waits for, not decisions: the checks of
 * one GraphQL operation go to Redis as one `consumeMany` (one script call), and that is one
 * observation, whether it succeeds, fails or times out.
 */

import type { Histogram } from '@opentelemetry/sdk-metrics'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import type { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createRateLimiter, type RateLimiter, RedisStore } from '../../src/index.js'
import { openTelemetryMetrics, prometheusMetrics } from '../../src/metrics/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

async function limiterOnRedis(client?: Redis): Promise<RateLimiter> {
  const redis = client ?? (await ready(redisClient()))
  const limiter = createRateLimiter({
    store: new RedisStore({ client: redis, logger: false }),
    prefix: uniquePrefix('rt'),
    logger: false,
    circuitBreaker: false,
  })
  cleanup.push(
    () => redis.disconnect(),
    () => limiter.close(),
  )
  return limiter
}

/** Counts the Prometheus histogram's observations. */
async function promCount(limiter: RateLimiter): Promise<() => Promise<number>> {
  const registry = new Registry()
  const metrics = prometheusMetrics({ limiter, registry })
  cleanup.push(() => metrics.stop())
  return async () => {
    const text = await registry.metrics()
    const line = text
      .split('\n')
      .find((l) => l.startsWith('resolver_rate_limit_store_duration_seconds_count '))
    return Number(line?.split(' ')[1])
  }
}

/** Counts the OpenTelemetry histogram's observations. */
function otelCount(limiter: RateLimiter): () => Promise<number> {
  const reader = new ManualReader()
  const provider = new MeterProvider({ readers: [reader] })
  const metrics = openTelemetryMetrics({ limiter, meter: provider.getMeter('test') })
  cleanup.push(
    () => provider.shutdown(),
    () => metrics.stop(),
  )
  return async () => {
    const { resourceMetrics } = await reader.collect()
    const metric = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === 'resolver_rate_limit.store.duration')
    return (metric?.dataPoints[0]?.value as Histogram | undefined)?.count ?? 0
  }
}

const fields = ['Query.a', 'Query.b', 'Query.c'].map((name) => ({
  identity: 'user:1',
  rules: { name, limit: 10, window: '1m' },
}))

describe('store_duration_seconds', () => {
  it('observes one consumeMany of three checks (one script call) once, in Prometheus and OpenTelemetry', async () => {
    const limiter = await limiterOnRedis()
    const prom = await promCount(limiter)
    const otel = otelCount(limiter)
    const decisions = await limiter.consumeMany(fields)
    expect(decisions.every((d) => d.allowed && d.reason === undefined)).toBe(true)
    expect(await prom()).toBe(1)
    expect(await otel()).toBe(1)
    await limiter.consume('user:1', fields[0]!.rules)
    expect(await prom()).toBe(2)
    expect(await otel()).toBe(2)
  })

  it('observes a failed consumeMany once as well: failures are round trips too', async () => {
    const redis = await ready(redisClient())
    const limiter = await limiterOnRedis(redis)
    const prom = await promCount(limiter)
    const otel = otelCount(limiter)
    const ended = new Promise((resolve) => redis.once('end', resolve))
    redis.disconnect()
    await ended
    const decisions = await limiter.consumeMany(fields)
    expect(decisions.every((d) => d.reason === 'store-unavailable')).toBe(true)
    expect(await prom()).toBe(1)
    expect(await otel()).toBe(1)
  })

  it('reports the batch’s time with its first decision only, so the events add up to the time waited', async () => {
    const limiter = await limiterOnRedis()
    const storeMs: number[] = []
    limiter.on('decision', (event) => storeMs.push(event.storeMs))
    await limiter.consumeMany(fields)
    expect(storeMs).toHaveLength(3)
    expect(storeMs[0]).toBeGreaterThan(0)
    expect(storeMs.slice(1)).toEqual([0, 0])
  })
})

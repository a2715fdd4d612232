import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  MetricReader,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { afterEach, describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore, RateLimitConfigError, type RateLimiter } from '../../src/index.js'
import { openTelemetryMetrics } from '../../src/metrics/index.js'
import { manualClock } from '../helpers.js'
import { SwitchableStore } from '../resilience/switchable-store.js'

/** A reader the test collects by hand, like an in-memory exporter without the timer. */
class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const cleanup: Array<() => Promise<unknown>> = []

afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()))
})

function setup(limiter: RateLimiter) {
  const reader = new ManualReader()
  const provider = new MeterProvider({ readers: [reader] })
  cleanup.push(
    () => limiter.close(),
    () => provider.shutdown(),
  )
  const metrics = openTelemetryMetrics({ limiter, meter: provider.getMeter('test') })
  const collect = async (): Promise<Map<string, MetricData>> => {
    const { resourceMetrics } = await reader.collect()
    return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]))
  }
  return { metrics, collect }
}

function point(
  metric: MetricData | undefined,
  attributes: Record<string, string> = {},
): DataPoint<unknown> | undefined {
  return (metric?.dataPoints as Array<DataPoint<unknown>> | undefined)?.find(
    (p) => JSON.stringify(p.attributes) === JSON.stringify(attributes),
  )
}

describe('openTelemetryMetrics', () => {
  it('reports the same decisions, latency and gauges as the Prometheus binding after a known sequence of calls', async () => {
    const clock = manualClock()
    const limiter = createRateLimiter({
      store: new MemoryStore({ clock, sweepIntervalMs: 0 }),
      logger: false,
    })
    const { collect } = setup(limiter)
    const search = { name: 'Query.search', limit: 2, window: '1m' }
    for (let i = 0; i < 4; i++) await limiter.consume('user:1', search) // 2 allowed, 2 limited
    await limiter.consume('user:2', search, { cost: 5 }) // limited without asking the store
    await limiter.peek('user:3', search)

    const metrics = await collect()
    const decisions = metrics.get('resolver_rate_limit.decisions')
    expect(point(decisions, { rule: 'Query.search', outcome: 'allowed' })?.value).toBe(2)
    expect(point(decisions, { rule: 'Query.search', outcome: 'limited' })?.value).toBe(3)
    expect(point(decisions, { rule: 'Query.search', outcome: 'degraded' })?.value).toBe(0)
    expect(decisions?.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE)
    // The memory store answers synchronously: no round trip to time.
    expect(point(metrics.get('resolver_rate_limit.store.duration'))).toBeUndefined()
    expect(point(metrics.get('resolver_rate_limit.memory_store.keys'))?.value).toBe(1)
    expect(point(metrics.get('resolver_rate_limit.circuit.open'))?.value).toBe(0)
    expect(point(metrics.get('resolver_rate_limit.store.outages'))?.value).toBe(0)
    const attributes = [...metrics.values()].flatMap((m) =>
      (m.dataPoints as Array<DataPoint<unknown>>).map((p) => p.attributes),
    )
    expect(JSON.stringify(attributes)).not.toMatch(/user:/)
  })

  it('reports degraded decisions, store errors and the open breaker during an outage', async () => {
    const store = new SwitchableStore()
    const limiter = createRateLimiter({
      store,
      logger: false,
      circuitBreaker: { failureThreshold: 2, probeIntervalMs: 60_000 },
    })
    const { collect } = setup(limiter)
    store.health = 'fail'
    for (let i = 0; i < 5; i++)
      await limiter.consume('user:1', { name: 'Query.search', limit: 5, window: '1m' })

    const metrics = await collect()
    expect(
      point(metrics.get('resolver_rate_limit.decisions'), { rule: 'Query.search', outcome: 'degraded' })
        ?.value,
    ).toBe(5)
    expect(point(metrics.get('resolver_rate_limit.store.errors'), { code: 'other' })?.value).toBe(2)
    expect(point(metrics.get('resolver_rate_limit.store.outages'))?.value).toBe(1)
    expect(point(metrics.get('resolver_rate_limit.circuit.open'))?.value).toBe(1)
    expect(metrics.has('resolver_rate_limit.memory_store.keys')).toBe(false)
    // The two failed round trips were timed; the three answered by the open breaker were not.
    const duration = point(metrics.get('resolver_rate_limit.store.duration'))?.value as Histogram | undefined
    expect(duration?.count).toBe(2)
    expect(duration?.buckets.boundaries).toEqual([
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1,
    ])
    expect(metrics.get('resolver_rate_limit.store.duration')?.descriptor.unit).toBe('s')
  })

  it('exports through a periodic reader with an in-memory exporter, and stops on stop()', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore({ sweepIntervalMs: 0 }), logger: false })
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })
    const provider = new MeterProvider({ readers: [reader] })
    cleanup.push(
      () => limiter.close(),
      () => provider.shutdown(),
    )
    const metrics = openTelemetryMetrics({ limiter, meter: provider.getMeter('test'), prefix: 'rl.' })
    await limiter.consume('user:1', { name: 'a', limit: 1, window: '1m' })
    await provider.forceFlush()
    const exported = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
    expect(
      point(
        exported.find((m) => m.descriptor.name === 'rl.decisions'),
        { rule: 'a', outcome: 'allowed' },
      )?.value,
    ).toBe(1)

    metrics.stop()
    await limiter.consume('user:1', { name: 'a', limit: 1, window: '1m' })
    expect(metrics.recorder.decisions.get('a')?.[1]).toBe(0) // the refusal after stop() was not counted
  })

  it('rejects something that is not a Meter, naming the option', () => {
    const limiter = createRateLimiter({ logger: false })
    cleanup.push(() => limiter.close())
    expect(() => openTelemetryMetrics({ limiter, meter: {} as never })).toThrow(RateLimitConfigError)
    expect(() => openTelemetryMetrics({ limiter, meter: {} as never })).toThrow(/`meter`/)
  })
})

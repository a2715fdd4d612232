/**
 * What metrics cost: in-memory `consume` throughput (many calls in flight) with Prometheus or
 * OpenTelemetry metrics enabled, against the same limiter without them. Goal: ≥ 0.95×.
 *
 *   npm run bench -- metrics
 */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { Registry } from 'prom-client'
import { createRateLimiter, MemoryStore, type RateLimiter, type RateLimitRule } from '../src/index.js'
import { openTelemetryMetrics, prometheusMetrics } from '../src/metrics/index.js'
import { type BenchContext, type CompareResult, compare, printComparison } from './harness.js'

/** A reader collected by hand: nothing is exported while the benchmark runs. */
class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const IDENTITIES = Array.from({ length: 1000 }, (_, i) => `user:${i}`)
// 1000 callers share ~hundreds of thousands of calls a second: a mix of admissions and refusals.
const RULE: RateLimitRule = { name: 'Query.search', limit: 100, window: '1s' }

function memoryLimiter(): RateLimiter {
  return createRateLimiter({ store: new MemoryStore({ sweepIntervalMs: 0 }), logger: false })
}

function consumer(limiter: RateLimiter) {
  return (i: number) => limiter.consume(IDENTITIES[i % IDENTITIES.length]!, RULE)
}

export default async function metricsBench(ctx: BenchContext): Promise<void> {
  // Many short alternating rounds: on a shared machine the median of many is steadier than a few long ones.
  const options = {
    quick: ctx.quick,
    inFlight: 128,
    rounds: ctx.quick ? 2 : 15,
    durationMs: ctx.quick ? 300 : 400,
  }
  const results: CompareResult[] = []

  const off = memoryLimiter()
  const prom = memoryLimiter()
  const registry = new Registry()
  prometheusMetrics({ limiter: prom, registry })
  results.push(await compare('Prometheus on / off', { on: consumer(prom), off: consumer(off) }, options))
  const scraped = await registry.metrics()

  const otel = memoryLimiter()
  const reader = new ManualReader()
  const provider = new MeterProvider({ readers: [reader] })
  openTelemetryMetrics({ limiter: otel, meter: provider.getMeter('bench') })
  results.push(await compare('OpenTelemetry on / off', { on: consumer(otel), off: consumer(off) }, options))
  const { resourceMetrics } = await reader.collect()

  printComparison('Metrics overhead — in-memory consume, 128 in flight (goal: ratio ≥ 0.95×)', results)
  const decisions = scraped.match(/^resolver_rate_limit_decisions_total\{.*\} (\d+)$/gm)?.length ?? 0
  const instruments = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).length
  console.log(
    `(sanity: ${decisions} Prometheus decision series scraped, ${instruments} OpenTelemetry instruments collected)`,
  )
  await Promise.all([off.close(), prom.close(), otel.close(), provider.shutdown()])
}

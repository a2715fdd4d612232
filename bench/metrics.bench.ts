/**
 * What metrics cost: in-memory `consume` throughput (many calls in flight) with Prometheus or
 * OpenTelemetry metrics enabled, against the same limiter without them. Goal: ≥ 0.95×.
 *
 *   npm run bench -- metrics
 *
 * One limiter serves both contenders and the metrics binding is attached or detached when the
 * harness switches between them, so both measure the same store state and the same JIT'd code.
 */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { Registry } from 'prom-client'
import { createRateLimiter, MemoryStore, type RateLimiter, type RateLimitRule } from '../src/index.js'
import { type LimiterMetrics, openTelemetryMetrics, prometheusMetrics } from '../src/metrics/index.js'
import {
  type BenchContext,
  type BenchFn,
  type CompareResult,
  compare,
  median,
  printComparison,
  printTable,
} from './harness.js'

/** A reader collected by hand: nothing is exported while the benchmark runs. */
class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const IDENTITIES = Array.from({ length: 1000 }, (_, i) => `user:${i}`)
// 1000 callers share ~a million calls a second: a mix of admissions and refusals.
const RULE: RateLimitRule = { name: 'Query.search', limit: 100, window: '1s' }

/** Two contenders on one limiter: "on" attaches the binding when it starts, "off" detaches it. */
function toggled(
  limiter: RateLimiter,
  attach: () => LimiterMetrics,
): { on: BenchFn; off: BenchFn; last: () => LimiterMetrics | undefined; stop: () => void } {
  let binding: LimiterMetrics | undefined
  let last: LimiterMetrics | undefined
  const consume = (i: number) => limiter.consume(IDENTITIES[i % IDENTITIES.length]!, RULE)
  return {
    on: (i) => {
      if (!binding) binding = last = attach()
      return consume(i)
    },
    off: (i) => {
      if (binding) {
        binding.stop()
        binding = undefined
      }
      return consume(i)
    },
    last: () => last,
    // After the comparison: its last round may have been an "on" one.
    stop: () => {
      binding?.stop()
      binding = undefined
    },
  }
}

/**
 * CPU time per consume with the binding attached and detached, in alternating rounds of `calls`
 * (128 in flight). Other processes on a busy machine disturb CPU time far less than wall time.
 */
async function cpuPerCall(
  limiter: RateLimiter,
  attach: () => LimiterMetrics,
  rounds: number,
  calls: number,
): Promise<{ on: number; off: number }> {
  const round = async (): Promise<number> => {
    const before = process.cpuUsage()
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < calls) await limiter.consume(IDENTITIES[next++ % IDENTITIES.length]!, RULE)
    }
    await Promise.all(Array.from({ length: 128 }, worker))
    const used = process.cpuUsage(before)
    return ((used.user + used.system) * 1000) / calls // nanoseconds per call
  }
  const on: number[] = []
  const off: number[] = []
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? ['on', 'off'] : ['off', 'on']) {
      if (side === 'off') off.push(await round())
      else {
        const binding = attach()
        on.push(await round())
        binding.stop()
      }
    }
  }
  return { on: median(on), off: median(off) }
}

export default async function metricsBench(ctx: BenchContext): Promise<void> {
  // Many short alternating rounds: on a shared machine the median of many is steadier than a few long ones.
  const options = {
    quick: ctx.quick,
    inFlight: 128,
    rounds: ctx.quick ? 2 : 21,
    durationMs: ctx.quick ? 300 : 400,
  }
  const limiter = createRateLimiter({ store: new MemoryStore({ sweepIntervalMs: 0 }), logger: false })
  const results: CompareResult[] = []

  const registry = new Registry()
  const prom = toggled(limiter, () => prometheusMetrics({ limiter, registry }))
  results.push(await compare('Prometheus on / off', { on: prom.on, off: prom.off }, options))
  prom.stop()
  const promDecisions =
    prom
      .last()
      ?.recorder.decisions.get(RULE.name!)
      ?.reduce((a, b) => a + b, 0) ?? 0

  const provider = new MeterProvider({ readers: [new ManualReader()] })
  const meter = provider.getMeter('bench')
  const otel = toggled(limiter, () => openTelemetryMetrics({ limiter, meter }))
  results.push(await compare('OpenTelemetry on / off', { on: otel.on, off: otel.off }, options))
  otel.stop()

  printComparison('Metrics overhead — in-memory consume, 128 in flight (goal: ratio ≥ 0.95×)', results)
  const cpuRounds = ctx.quick ? 4 : 30
  const cpuRows = [
    [
      'Prometheus',
      await cpuPerCall(limiter, () => prometheusMetrics({ limiter, registry }), cpuRounds, 200_000),
    ],
    [
      'OpenTelemetry',
      await cpuPerCall(limiter, () => openTelemetryMetrics({ limiter, meter }), cpuRounds, 200_000),
    ],
  ] as const
  printTable(
    'Metrics overhead in CPU time per consume (steadier than throughput on a busy machine)',
    ['binding', 'off (median)', 'on (median)', 'calls per CPU-second on/off'],
    cpuRows.map(([name, cpu]) => [
      name,
      `${cpu.off.toFixed(0)} ns`,
      `${cpu.on.toFixed(0)} ns`,
      `${(cpu.off / cpu.on).toFixed(2)}×`,
    ]),
  )
  console.log(
    `(sanity: the last Prometheus round counted ${promDecisions.toLocaleString('en-US')} decisions)`,
  )
  await Promise.all([limiter.close(), provider.shutdown()])
}

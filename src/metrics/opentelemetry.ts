import type { BatchObservableCallback, Meter, Observable } from '@opentelemetry/api'
import { describeValue, RateLimitConfigError } from '../errors.js'
import type { RateLimiter } from '../limiter.js'
import type { LimiterMetrics } from './prometheus.js'
import { MetricsRecorder, OUTCOMES, type RecorderOptions } from './recorder.js'

/** Options of {@link openTelemetryMetrics}. */
export interface OpenTelemetryMetricsOptions extends RecorderOptions {
  /** The limiter to observe. */
  limiter: RateLimiter
  /** The meter that creates the instruments, e.g. `metrics.getMeter('resolver-rate-limit')`. */
  meter: Meter
  /** Prepended to every instrument name. @default 'resolver_rate_limit.' */
  prefix?: string
}

const INSTRUMENT_PREFIX = /^[A-Za-z][A-Za-z0-9_.\-/]{0,200}$/

/**
 * Exposes a limiter's metrics through the OpenTelemetry metrics API (`@opentelemetry/api`, an
 * optional peer dependency), with the same instruments as {@link prometheusMetrics}:
 *
 * - `resolver_rate_limit.decisions` (counter; `rule`, `outcome`): `consume` decisions;
 * - `resolver_rate_limit.store.duration` (histogram, seconds): latency of store round trips, one
 *   per store call the limiter waits for (a `consumeMany` batch is one);
 * - `resolver_rate_limit.store.errors` (counter; `code`) and `resolver_rate_limit.store.outages`;
 * - `resolver_rate_limit.circuit.open` (gauge, 1 while the breaker is open);
 * - `resolver_rate_limit.memory_store.keys` (gauge; only for a store with `size`).
 *
 * Counters and gauges are asynchronous instruments read from plain totals at collection time.
 * OpenTelemetry has no asynchronous histogram, so store latency is recorded for every timed round
 * trip — without attributes, which keeps that call cheap in the SDK. A synchronous store (the
 * MemoryStore) is not timed, so its histogram stays empty.
 *
 * @example
 * import { metrics } from '@opentelemetry/api'
 * import { openTelemetryMetrics } from 'resolver-rate-limit/metrics'
 * openTelemetryMetrics({ limiter, meter: metrics.getMeter('resolver-rate-limit') })
 */
export function openTelemetryMetrics(options: OpenTelemetryMetricsOptions): LimiterMetrics {
  const { limiter, meter, prefix = 'resolver_rate_limit.' } = options
  if (!meter || typeof meter.createObservableCounter !== 'function') {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      'Expected `meter` to be an OpenTelemetry Meter, e.g. metrics.getMeter("resolver-rate-limit")',
    )
  }
  if (typeof prefix !== 'string' || (prefix !== '' && !INSTRUMENT_PREFIX.test(prefix))) {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      `Expected \`prefix\` to be an instrument name prefix like "resolver_rate_limit.", got ${describeValue(prefix)}`,
    )
  }
  const recorder = new MetricsRecorder(limiter, options)
  const duration = meter.createHistogram(`${prefix}store.duration`, {
    description:
      "Store round trips the limiter waited for: one per consume, peek or consumeMany batch (a GraphQL operation's checks, one script call), failures and timeouts included; a synchronous store is not timed",
    unit: 's',
    advice: { explicitBucketBoundaries: [...recorder.bucketsSeconds] },
  })
  recorder.onRoundTrip = (seconds) => duration.record(seconds)
  const decisions = meter.createObservableCounter(`${prefix}decisions`, {
    description:
      'Rate-limit decisions (consume) by binding rule and outcome: allowed, limited, degraded (store failure policy), shadow, cached (refused from the blocked-caller cache)',
    unit: '{decision}',
  })
  const errors = meter.createObservableCounter(`${prefix}store.errors`, {
    description: 'Rate-limit store calls that failed or timed out, by code',
    unit: '{error}',
  })
  const outages = meter.createObservableCounter(`${prefix}store.outages`, {
    description: 'Times the circuit breaker opened because the rate-limit store kept failing',
    unit: '{outage}',
  })
  const circuit = meter.createObservableGauge(`${prefix}circuit.open`, {
    description:
      '1 while the circuit breaker is open (the store is considered down and the failure policy answers), else 0',
  })
  const concurrency = meter.createObservableCounter(`${prefix}concurrency.decisions`, {
    description:
      'Concurrency-limit acquisitions by limit name and outcome: allowed, limited, degraded (store failure policy), shadow',
    unit: '{decision}',
  })
  const held = meter.createObservableGauge(`${prefix}concurrency.leases_held`, {
    description: 'Concurrency-limit leases this process holds now (requests and subscriptions in flight)',
    unit: '{lease}',
  })
  const keys =
    recorder.storeSize === undefined
      ? undefined
      : meter.createObservableGauge(`${prefix}memory_store.keys`, {
          description: 'Keys (identity × rule) held by the in-memory store',
          unit: '{key}',
        })
  const observables: Observable[] = [
    decisions,
    errors,
    outages,
    circuit,
    concurrency,
    held,
    ...(keys ? [keys] : []),
  ]
  const observe: BatchObservableCallback = (result) => {
    for (const [rule, counts] of recorder.decisions) {
      OUTCOMES.forEach((outcome, i) => {
        result.observe(decisions, counts[i]!, { rule, outcome })
      })
    }
    for (const [code, count] of recorder.storeErrors) result.observe(errors, count, { code })
    for (const [limit, counts] of recorder.concurrency) {
      OUTCOMES.forEach((outcome, i) => {
        result.observe(concurrency, counts[i]!, { limit, outcome })
      })
    }
    result.observe(held, recorder.leasesHeld)
    result.observe(outages, recorder.outages)
    result.observe(circuit, recorder.circuitOpen)
    if (keys) result.observe(keys, recorder.storeSize ?? 0)
  }
  meter.addBatchObservableCallback(observe, observables)
  return {
    recorder,
    stop() {
      recorder.stop()
      meter.removeBatchObservableCallback(observe, observables)
    },
  }
}

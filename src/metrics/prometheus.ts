import { createRequire } from 'node:module'
import type * as PromClient from 'prom-client'
import { describeValue, RateLimitConfigError } from '../errors.js'
import type { RateLimiter } from '../limiter.js'
import { createPrometheusInstruments, type RegisteredMetric } from './prometheus-instruments.js'
import { MetricsRecorder, type RecorderOptions } from './recorder.js'

/** Options of {@link prometheusMetrics}. */
export interface PrometheusMetricsOptions extends RecorderOptions {
  /** The limiter to observe. */
  limiter: RateLimiter
  /** Where the metrics are registered. @default the prom-client default registry (`client.register`) */
  registry?: PromClient.Registry
  /** Prepended to every metric name. @default 'resolver_rate_limit_' */
  prefix?: string
  /**
   * The prom-client module. By default it is loaded (synchronously, on first call) from your
   * dependencies; pass it when your bundler cannot resolve it or you hold several copies.
   * @default require('prom-client')
   */
  client?: typeof PromClient
}

/** A running metrics binding. */
export interface LimiterMetrics {
  /** The totals the metrics are read from. */
  readonly recorder: MetricsRecorder
  /** Stops listening to the limiter and unregisters the metrics. */
  stop(): void
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/

function loadClient(): typeof PromClient {
  try {
    return createRequire(import.meta.url)('prom-client') as typeof PromClient
  } catch (error) {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      `prometheusMetrics needs prom-client: install it (npm install prom-client) or pass it as \`client\` (${(error as Error).message})`,
    )
  }
}

/**
 * Exposes a limiter's metrics to Prometheus through prom-client (an optional peer dependency):
 *
 * - `resolver_rate_limit_decisions_total{rule, outcome}`: `consume` decisions, labelled with the
 *   binding rule's name and `allowed` / `limited` / `degraded` / `shadow`;
 * - `resolver_rate_limit_store_duration_seconds`: latency of store round trips, one observation
 *   per store call the limiter waits for, a `consumeMany` batch being one (Redis; a synchronous
 *   store such as the MemoryStore is not timed);
 * - `resolver_rate_limit_store_errors_total{code}`: `STORE_TIMEOUT`, `STORE_UNAVAILABLE` or `other`;
 * - `resolver_rate_limit_store_outages_total`: times the circuit breaker opened;
 * - `resolver_rate_limit_circuit_open`: 1 while the breaker is open;
 * - `resolver_rate_limit_memory_store_keys`: keys in a memory store (only for a store with `size`).
 *
 * Identities are never labels. Events are summed in plain numbers and handed to prom-client when
 * the registry is scraped, so enabling metrics barely changes `consume` throughput.
 *
 * @example
 * import { Registry } from 'prom-client'
 * import { prometheusMetrics } from 'resolver-rate-limit/metrics'
 * const registry = new Registry()
 * prometheusMetrics({ limiter, registry })
 * // in your /metrics handler: res.end(await registry.metrics())
 */
export function prometheusMetrics(options: PrometheusMetricsOptions): LimiterMetrics {
  const { limiter, prefix = 'resolver_rate_limit_' } = options
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_NAME.test(prefix))) {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      `Expected \`prefix\` to be a Prometheus metric name prefix like "resolver_rate_limit_", got ${describeValue(prefix)}`,
    )
  }
  const client = options.client ?? loadClient()
  const registry = options.registry ?? client.register
  const recorder = new MetricsRecorder(limiter, options)
  const made: RegisteredMetric[] = []
  const unregister = (): void => {
    for (const { name, metric } of made)
      if (registry.getSingleMetric(name) === metric) registry.removeSingleMetric(name)
  }
  try {
    createPrometheusInstruments(client, recorder, prefix, [registry], made)
  } catch (error) {
    recorder.stop()
    unregister()
    if (error instanceof Error && /already been registered/.test(error.message)) {
      throw new RateLimitConfigError(
        'INVALID_OPTION',
        `${error.message} Instrument a second limiter with another \`prefix\` or \`registry\`, or stop() the earlier binding first`,
      )
    }
    throw error
  }
  return {
    recorder,
    stop() {
      recorder.stop()
      unregister()
    },
  }
}

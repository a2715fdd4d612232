import type * as PromClient from 'prom-client'
import { RateLimitConfigError } from '../errors.js'
import { type LatencyCounts, type MetricsRecorder, OUTCOMES } from './recorder.js'

interface HistogramEntry {
  labels: object
  bucketValues: Record<string, number>
  sum: number
  count: number
}

/**
 * Copies the recorder's latency buckets into a prom-client histogram when it is scraped. prom-client
 * has no public way to add pre-bucketed counts, so this fills the per-label entry that `zero()`
 * creates; {@link createPrometheusInstruments} checks that shape once and fails loudly if it changes.
 */
function fillHistogram(
  histogram: PromClient.Histogram,
  buckets: readonly number[],
  counts: LatencyCounts,
): boolean {
  const labels = {}
  histogram.zero(labels)
  const hashMap = (histogram as unknown as { hashMap?: Record<string, HistogramEntry> }).hashMap ?? {}
  const entry = Object.values(hashMap).find((e) => e.labels === labels)
  if (!entry || typeof entry.bucketValues !== 'object' || typeof entry.sum !== 'number') return false
  buckets.forEach((bound, i) => {
    entry.bucketValues[bound] = counts.buckets[i]!
  })
  entry.sum = counts.sumSeconds
  entry.count = counts.count
  return true
}

/** A metric this package registered, with its name (prom-client's types do not expose it). */
export interface RegisteredMetric {
  readonly name: string
  readonly metric: PromClient.Metric
}

/**
 * Creates the prom-client instruments, each reading the recorder's totals in its `collect()`.
 * Every instrument is pushed to `made` as soon as it is registered, so a caller can undo a
 * partial registration.
 */
export function createPrometheusInstruments(
  client: typeof PromClient,
  recorder: MetricsRecorder,
  prefix: string,
  registers: PromClient.Registry[],
  made: RegisteredMetric[],
): void {
  const add = <M extends PromClient.Metric>(metric: M): M => {
    made.push({ name: (metric as unknown as { name: string }).name, metric })
    return metric
  }
  add(
    new client.Counter({
      name: `${prefix}decisions_total`,
      help: 'Rate-limit decisions (consume) by binding rule and outcome: allowed, limited, degraded (store failure policy), shadow, cached (refused from the blocked-caller cache)',
      labelNames: ['rule', 'outcome'],
      registers,
      collect() {
        this.reset()
        for (const [rule, counts] of recorder.decisions) {
          OUTCOMES.forEach((outcome, i) => {
            this.inc({ rule, outcome }, counts[i]!)
          })
        }
      },
    }),
  )
  const histogram = add(
    new client.Histogram({
      name: `${prefix}store_duration_seconds`,
      help: "Store round trips the limiter waited for, in seconds: one per consume, peek or consumeMany batch (a GraphQL operation's checks, one script call), failures and timeouts included; a synchronous store is not timed",
      buckets: [...recorder.bucketsSeconds],
      registers,
      collect() {
        this.reset()
        fillHistogram(this, recorder.bucketsSeconds, recorder.latency)
      },
    }),
  )
  if (!fillHistogram(histogram, recorder.bucketsSeconds, recorder.latency)) {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      'This prom-client version stores histograms differently; use prom-client 14 or 15',
    )
  }
  histogram.reset()
  add(
    new client.Counter({
      name: `${prefix}store_errors_total`,
      help: 'Rate-limit store calls that failed or timed out, by code',
      labelNames: ['code'],
      registers,
      collect() {
        this.reset()
        for (const [code, count] of recorder.storeErrors) this.inc({ code }, count)
      },
    }),
  )
  add(
    new client.Counter({
      name: `${prefix}store_outages_total`,
      help: 'Times the circuit breaker opened because the rate-limit store kept failing',
      registers,
      collect() {
        this.reset()
        this.inc(recorder.outages)
      },
    }),
  )
  add(
    new client.Gauge({
      name: `${prefix}circuit_open`,
      help: '1 while the circuit breaker is open (the store is considered down and the failure policy answers), else 0',
      registers,
      collect() {
        this.set(recorder.circuitOpen)
      },
    }),
  )
  add(
    new client.Counter({
      name: `${prefix}concurrency_decisions_total`,
      help: 'Concurrency-limit acquisitions by limit name and outcome: allowed, limited, degraded (store failure policy), shadow',
      labelNames: ['limit', 'outcome'],
      registers,
      collect() {
        this.reset()
        for (const [limit, counts] of recorder.concurrency) {
          OUTCOMES.forEach((outcome, i) => {
            this.inc({ limit, outcome }, counts[i]!)
          })
        }
      },
    }),
  )
  add(
    new client.Gauge({
      name: `${prefix}concurrency_leases_held`,
      help: 'Concurrency-limit leases this process holds now (requests and subscriptions in flight)',
      registers,
      collect() {
        this.set(recorder.leasesHeld)
      },
    }),
  )
  if (recorder.storeSize === undefined) return
  add(
    new client.Gauge({
      name: `${prefix}memory_store_keys`,
      help: 'Keys (identity × rule) held by the in-memory store',
      registers,
      collect() {
        this.set(recorder.storeSize ?? 0)
      },
    }),
  )
}

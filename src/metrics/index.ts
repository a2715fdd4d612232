/**
 * `resolver-rate-limit/metrics`: Prometheus (prom-client) and OpenTelemetry bindings of a
 * limiter's events. Each name is a decision, pinned by `test/exports.test.ts`.
 */
export { type OpenTelemetryMetricsOptions, openTelemetryMetrics } from './opentelemetry.js'
export { type LimiterMetrics, type PrometheusMetricsOptions, prometheusMetrics } from './prometheus.js'
export type { DecisionOutcome, MetricsRecorder } from './recorder.js'

export { type OpenTelemetryMetricsOptions, openTelemetryMetrics } from './opentelemetry.js'
export { type LimiterMetrics, type PrometheusMetricsOptions, prometheusMetrics } from './prometheus.js'
export {
  DEFAULT_LATENCY_BUCKETS,
  type DecisionOutcome,
  type LatencyCounts,
  MetricsRecorder,
  OTHER_RULES_LABEL,
  OUTCOMES,
  type RecorderOptions,
  type RuleCounts,
  STORE_ERROR_CODES,
} from './recorder.js'

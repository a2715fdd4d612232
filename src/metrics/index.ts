export { OTHER_RULES_LABEL, type RuleCounts } from './decision-listener.js'
export { type OpenTelemetryMetricsOptions, openTelemetryMetrics } from './opentelemetry.js'
export { type LimiterMetrics, type PrometheusMetricsOptions, prometheusMetrics } from './prometheus.js'
export {
  DEFAULT_LATENCY_BUCKETS,
  type DecisionOutcome,
  type LatencyCounts,
  MetricsRecorder,
  OUTCOMES,
  type RecorderOptions,
  STORE_ERROR_CODES,
} from './recorder.js'

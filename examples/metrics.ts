/**
 * Metrics for a limiter: Prometheus at GET /metrics (prom-client), or OpenTelemetry through the
 * global MeterProvider your telemetry setup registered. Pick one of the two.
 *
 *   npx tsx examples/metrics.ts          then: curl localhost:4000/search; curl localhost:4000/metrics
 *
 * In your app, import from 'resolver-rate-limit' and 'resolver-rate-limit/metrics' instead of '../src/…'.
 */
import { createServer } from 'node:http'
import { metrics } from '@opentelemetry/api'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { createRateLimiter, MemoryStore, type RateLimitRule } from '../src/index.js'
import { openTelemetryMetrics, prometheusMetrics } from '../src/metrics/index.js'

const limiter = createRateLimiter({ store: new MemoryStore() })
const search: RateLimitRule = { name: 'Query.search', limit: 5, window: '10s' }

// Prometheus: the limiter's metrics in your registry, next to your own.
const registry = new Registry()
collectDefaultMetrics({ register: registry })
const prometheus = prometheusMetrics({ limiter, registry })

// OpenTelemetry instead (no-op until an SDK MeterProvider is registered globally):
if (process.env.USE_OTEL === '1') {
  prometheus.stop()
  openTelemetryMetrics({ limiter, meter: metrics.getMeter('resolver-rate-limit') })
}

const server = createServer(async (req, res) => {
  if (req.url === '/metrics') {
    res.setHeader('content-type', registry.contentType)
    res.end(await registry.metrics())
    return
  }
  const decision = await limiter.consume(`ip:${req.socket.remoteAddress}`, search)
  res.statusCode = decision.allowed ? 200 : 429
  res.end(
    decision.allowed
      ? `ok, ${decision.remaining} left\n`
      : `slow down, retry in ${decision.retryAfterMs} ms\n`,
  )
})

server.listen(Number(process.env.PORT ?? 4000), () => {
  console.log(`GET /search is limited to ${search.limit} per ${search.window}; metrics at /metrics`)
})

process.on('SIGINT', () => {
  server.close()
  void limiter.close()
})

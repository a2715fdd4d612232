import { readFileSync } from 'node:fs'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore } from '../../src/index.js'
import { prometheusMetrics } from '../../src/metrics/index.js'

/** Metric names (without _bucket/_sum/_count) a text refers to. */
function referencedMetrics(text: string): string[] {
  const names = text.match(/resolver_rate_limit_[a-z_]+/g) ?? []
  return [...new Set(names.map((name) => name.replace(/_(bucket|sum|count)$/, '')))].sort()
}

describe('the Grafana dashboard and the alert guide', () => {
  it('query only metrics and labels that prometheusMetrics exports', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore({ sweepIntervalMs: 0 }), logger: false })
    const registry = new Registry()
    prometheusMetrics({ limiter, registry })
    const exported = new Set([...(await registry.metrics()).matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]))
    await limiter.close()
    const dashboard = readFileSync(new URL('../../examples/grafana-dashboard.json', import.meta.url), 'utf8')
    const alerts = readFileSync(new URL('../../examples/alerts.md', import.meta.url), 'utf8')
    const used = referencedMetrics(dashboard + alerts)
    expect(used.length).toBeGreaterThanOrEqual(6)
    expect(used.filter((name) => !exported.has(name))).toEqual([])
    const labels = [...(dashboard + alerts).matchAll(/(outcome|code)=\\?"([^"\\]+)\\?"/g)].map(
      (m) => `${m[1]}=${m[2]}`,
    )
    const allowed = [
      'outcome=allowed',
      'outcome=limited',
      'outcome=degraded',
      'outcome=shadow',
      'outcome=cached',
      'code=STORE_TIMEOUT',
      'code=STORE_UNAVAILABLE',
      'code=other',
    ]
    expect(labels.length).toBeGreaterThan(5)
    expect(labels.filter((label) => !allowed.includes(label))).toEqual([])
  })
})

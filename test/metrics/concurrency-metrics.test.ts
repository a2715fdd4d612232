import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore } from '../../src/index.js'
import { prometheusMetrics } from '../../src/metrics/index.js'
import { closeAfterEach } from '../helpers.js'

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

const P = 'resolver_rate_limit_'
const opened = closeAfterEach()

describe('metrics of concurrency limits', () => {
  it('counts acquisitions by limit name and outcome, and the leases held now', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    opened.push(limiter)
    const registry = new Registry()
    const metrics = prometheusMetrics({ limiter, registry })
    const exports = { name: 'Mutation.export', max: 2 }
    const a = await limiter.acquire('user:1', exports)
    const b = await limiter.acquire('user:1', exports)
    await limiter.acquire('user:1', exports) // limited
    await limiter.acquire('user:1', { ...exports, shadow: true }) // shadow: admitted without a lease
    await limiter.acquire('user:2', { ...exports, signal: AbortSignal.abort() }) // taken and released at once
    let text = await registry.metrics()
    expect(sample(text, `${P}concurrency_decisions_total{limit="Mutation.export",outcome="allowed"}`)).toBe(3)
    expect(sample(text, `${P}concurrency_decisions_total{limit="Mutation.export",outcome="limited"}`)).toBe(1)
    expect(sample(text, `${P}concurrency_decisions_total{limit="Mutation.export",outcome="shadow"}`)).toBe(1)
    expect(sample(text, `${P}concurrency_leases_held`)).toBe(2)
    await a.release()
    await b.release()
    await b.release()
    text = await registry.metrics()
    expect(sample(text, `${P}concurrency_leases_held`)).toBe(0)
    expect(text).not.toMatch(/user:[12]/)
    metrics.stop()
  })
})

import { describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore, type RateLimiter } from '../../src/index.js'
import { MetricsRecorder } from '../../src/metrics/recorder.js'
import { closeAfterEach } from '../helpers.js'
import { recordingLogger, SwitchableStore } from '../resilience/switchable-store.js'

const opened = closeAfterEach()

function limiterOn(store: MemoryStore | SwitchableStore): RateLimiter {
  const limiter = createRateLimiter({ store, logger: false })
  opened.push(limiter)
  return limiter
}

/** The public interface only (no positional decision hook), as another implementation would be. */
function publicOnly(limiter: RateLimiter): RateLimiter {
  return {
    consume: (...args) => limiter.consume(...args),
    consumeMany: (requests) => limiter.consumeMany(requests),
    peek: (...args) => limiter.peek(...args),
    usage: (...args) => limiter.usage(...args),
    reset: (...args) => limiter.reset(...args),
    refund: (...args) => limiter.refund(...args),
    acquire: (...args) => limiter.acquire(...args),
    keys: (...args) => limiter.keys(...args),
    on: (event, listener) => limiter.on(event, listener),
    identify: limiter.identify,
    get storeState() {
      return limiter.storeState
    },
    store: limiter.store,
    close: () => limiter.close(),
  }
}

const counts = (recorder: MetricsRecorder, label: string) => [...(recorder.decisions.get(label) ?? [])]

describe('MetricsRecorder', () => {
  it('counts the same decisions and round trips through the engine hook and through on("decision")', async () => {
    const limiter = limiterOn(new SwitchableStore()) // asynchronous: round trips are timed
    const direct = new MetricsRecorder(limiter)
    const viaEvents = new MetricsRecorder(publicOnly(limiter))
    const rule = { name: 'Query.search', limit: 2, window: '1m' }
    for (let i = 0; i < 3; i++) await limiter.consume('user:1', rule) // 2 allowed, 1 limited
    await limiter.peek('user:1', rule) // timed, not counted
    for (const recorder of [direct, viaEvents]) {
      expect(counts(recorder, 'Query.search')).toEqual([2, 1, 0, 0, 0])
      expect(recorder.latency.count).toBe(4)
    }
    viaEvents.stop()
    await limiter.consume('user:1', rule)
    expect(counts(viaEvents, 'Query.search')).toEqual([2, 1, 0, 0, 0])
    expect(counts(direct, 'Query.search')).toEqual([2, 2, 0, 0, 0])
  })

  it('counts refusals answered by the blocked-caller cache as cached, with no round trip', async () => {
    const limiter = createRateLimiter({ store: new SwitchableStore(), blockCache: true, logger: false })
    const recorder = new MetricsRecorder(limiter)
    const rule = { name: 'Query.search', limit: 2, window: '1m' }
    for (let i = 0; i < 5; i++) await limiter.consume('user:1', rule) // 2 allowed, 1 limited, 2 cached
    expect(counts(recorder, 'Query.search')).toEqual([2, 1, 0, 0, 2])
    expect(recorder.latency.count).toBe(3)
    await limiter.close()
  })

  it('counts interleaved rules, and distinct rule objects of one name, under their names', async () => {
    const limiter = limiterOn(new MemoryStore({ sweepIntervalMs: 0 }))
    const recorder = new MetricsRecorder(limiter, { maxRuleLabels: 2 })
    const a = { name: 'a', limit: 1, window: '1m' }
    const sameName = { name: 'a', limit: 5, window: '1m' } // another rule: its own budget, same label
    const b = { name: 'b', limit: 1, window: '1m' }
    const c = { name: 'c', limit: 9, window: '1m' }
    const alsoC = { name: 'c', limit: 9, window: '2m' }
    for (const rule of [a, b, sameName, a, b, c, alsoC, c]) await limiter.consume('user:1', rule)
    expect(counts(recorder, 'a')).toEqual([2, 1, 0, 0, 0])
    expect(counts(recorder, 'b')).toEqual([1, 1, 0, 0, 0])
    expect(counts(recorder, 'other')).toEqual([3, 0, 0, 0, 0]) // past maxRuleLabels: c and alsoC
    expect([...recorder.decisions.keys()]).toEqual(['a', 'b', 'other'])
  })

  it('counts a failure-policy answer as degraded whether it admitted or refused, and a throwing listener does not stop the count', async () => {
    const logger = recordingLogger()
    const store = new SwitchableStore()
    const limiter = createRateLimiter({ store, logger, onStoreError: 'open' })
    opened.push(limiter)
    limiter.on('decision', () => {
      throw new Error('listener bug')
    })
    const recorder = new MetricsRecorder(limiter)
    const closed = { name: 'closed', limit: 5, window: '1m', onStoreError: 'closed' as const }
    store.health = 'fail'
    expect((await limiter.consume('user:1', { name: 'open', limit: 5, window: '1m' })).allowed).toBe(true)
    expect((await limiter.consume('user:1', closed)).allowed).toBe(false)
    expect(counts(recorder, 'open')).toEqual([0, 0, 1, 0, 0])
    expect(counts(recorder, 'closed')).toEqual([0, 0, 1, 0, 0])
    expect(logger.lines.some((line) => /'decision' listener threw/.test(line))).toBe(true)
  })
})

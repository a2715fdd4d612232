import { afterEach, describe, expect, it } from 'vitest'
import { logShadowDecisions } from '../../src/engine/shadow-log.js'
import {
  createRateLimiter,
  MemoryStore,
  type RateLimitDecision,
  type RateLimiter,
  RedisStore,
} from '../../src/index.js'
import { manualClock, ready, redisClient, uniquePrefix } from '../helpers.js'

const limiters: RateLimiter[] = []
const memory = (shadow = false) => {
  const limiter = createRateLimiter({
    store: new MemoryStore({ clock: manualClock() }),
    shadow,
    logger: false,
  })
  limiters.push(limiter)
  return limiter
}
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()))
})

function recordDecisions(limiter: RateLimiter): RateLimitDecision[] {
  const seen: RateLimitDecision[] = []
  limiter.on('decision', ({ decision }) => seen.push(decision))
  return seen
}

describe('shadow mode in the engine', () => {
  it('admits everything a shadow rule would refuse and says so in the decision and the event', async () => {
    const limiter = memory()
    const events = recordDecisions(limiter)
    const rule = { name: 'Query.search', limit: 2, window: '1m', shadow: true }
    const decisions = []
    for (let i = 0; i < 5; i++) decisions.push(await limiter.consume('user:1', rule))
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true])
    expect(decisions.map((d) => d.reason)).toEqual([undefined, undefined, 'shadow', 'shadow', 'shadow'])
    expect(decisions[2]!.rules[0]!).toMatchObject({ allowed: false, remaining: 0 })
    expect(decisions[2]!.rules[0]!.retryAfterMs).toBeGreaterThan(59_000)
    expect(events.map((d) => d.reason)).toEqual(decisions.map((d) => d.reason))
  })

  it('keeps enforcing the other rules of the same check and records the cost under them', async () => {
    const limiter = memory()
    const shadow = { name: 'new-burst', limit: 1, window: '1m', shadow: true }
    const enforced = { name: 'sustained', limit: 3, window: '1h' }
    const rules = [shadow, enforced]
    const decisions = []
    for (let i = 0; i < 4; i++) decisions.push(await limiter.consume('user:1', rules))
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false])
    expect(decisions.map((d) => d.reason)).toEqual([undefined, 'shadow', 'shadow', 'limited'])
    expect((await limiter.peek('user:1', enforced)).remaining).toBe(0)
  })

  it('admits everything when the whole limiter runs in shadow, whatever the rules say', async () => {
    const limiter = memory(true)
    const rule = { name: 'login', limit: 1, window: '1m' }
    const decisions = await Promise.all([1, 2, 3].map(() => limiter.consume('ip:203.0.113.7', rule)))
    expect(decisions.every((d) => d.allowed)).toBe(true)
    expect(decisions.filter((d) => d.reason === 'shadow')).toHaveLength(2)
  })

  it('runs in shadow on Redis too', async () => {
    const client = await ready(redisClient())
    const limiter = createRateLimiter({
      store: new RedisStore({ client, logger: false }),
      prefix: uniquePrefix('shadow'),
    })
    const rule = { name: 'r', limit: 1, window: '1m', shadow: true }
    const decisions = [await limiter.consume('user:1', rule), await limiter.consume('user:1', rule)]
    expect(decisions.map((d) => [d.allowed, d.reason])).toEqual([
      [true, undefined],
      [true, 'shadow'],
    ])
    await limiter.close()
    client.disconnect()
  })

  // Regression: a cost above a shadow rule's limit used to be refused early with 'cost-exceeds-limit'.
  it('admits a cost above a shadow rule’s limit with reason shadow and still charges the enforced rules', async () => {
    const limiter = memory()
    const shadowRule = { name: 'shadow-small', limit: 2, window: '1m', shadow: true }
    const enforced = { name: 'enforced', limit: 5, window: '1m' }
    const first = await limiter.consume('user:1', [shadowRule, enforced], { cost: 3 })
    expect(first.allowed).toBe(true)
    expect(first.reason).toBe('shadow')
    // 5 − 3 recorded − 1 for the peeked request itself
    expect((await limiter.peek('user:1', enforced)).remaining).toBe(1)
    const second = await limiter.consume('user:1', [shadowRule, enforced], { cost: 3 })
    expect(second.allowed).toBe(false)
    expect(second.reason).toBe('limited')
  })

  it('admits a cost above every limit when the whole limiter is in shadow', async () => {
    const limiter = memory(true)
    const decision = await limiter.consume('user:1', { name: 'tiny', limit: 1, window: '1m' }, { cost: 4 })
    expect(decision.allowed).toBe(true)
    expect(decision.reason).toBe('shadow')
  })

  it('still refuses a cost above an enforced rule’s limit', async () => {
    const limiter = memory()
    const decision = await limiter.consume(
      'user:1',
      [
        { name: 'a', limit: 10, window: '1m', shadow: true },
        { name: 'b', limit: 2, window: '1m' },
      ],
      { cost: 3 },
    )
    expect(decision.allowed).toBe(false)
    expect(decision.reason).toBe('cost-exceeds-limit')
  })
})

describe('logShadowDecisions', () => {
  it('logs one "would have refused" line per shadow admission and nothing else', async () => {
    const limiter = memory()
    const lines: string[] = []
    const stop = logShadowDecisions(limiter, { warn: (line: string) => lines.push(line) })
    const rule = { name: 'Query.search', limit: 1, window: '1m', shadow: true }
    await limiter.consume('user:42', rule)
    await limiter.consume('user:42', rule, { cost: 1 })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /shadow: would have refused user:42 on "Query.search" \(1 per 1m\), cost 1, retry in 6[01] s$/,
    )
    stop()
    await limiter.consume('user:42', rule)
    expect(lines).toHaveLength(1)
  })
})

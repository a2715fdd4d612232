/** Store contract cases: several rules in one check, and many checks at once. */
import { expect, it } from 'vitest'
import { type CaseContext, consumeTimes, rule, SHORT } from './contract-kit.js'

/** Several rules are one atomic check: when one refuses, nothing is recorded under any. */
export function atomicRuleCases({ open }: CaseContext): void {
  it('records nothing under any rule when one refuses (burst refuses, sustained keeps its budget)', async () => {
    const { limiter } = await open()
    const burst = rule('api', 2, '1m', 'sliding-log')
    const sustained = rule('api', 5, '1h', 'sliding-window')
    const both = [burst, sustained]
    expect((await consumeTimes(limiter, 'user:1', both, 3)).map((d) => d.allowed)).toEqual([
      true,
      true,
      false,
    ])
    expect(await limiter.peek('user:1', sustained)).toMatchObject({ remaining: 2 })
    const refused = await limiter.consume('user:1', both)
    expect(refused.rule.limit).toBe(2)
    // The admitting rule reports its real usage, not one that counts the refused request.
    expect(refused.rules.map((r) => [r.allowed, r.remaining])).toEqual([
      [false, 0],
      [true, 3],
    ])
  })

  it('records nothing under any rule when one refuses (sustained refuses, burst keeps its budget)', async () => {
    const { limiter } = await open()
    const burst = rule('mixed', 3, '1m', 'sliding-window')
    const sustained = rule('mixed', 4, '1h', 'sliding-log')
    await consumeTimes(limiter, 'user:1', sustained, 3)
    expect(await limiter.consume('user:1', [burst, sustained], { cost: 2 })).toMatchObject({
      allowed: false,
      reason: 'limited',
      limit: 4,
      remaining: 1,
    })
    expect(await limiter.peek('user:1', burst)).toMatchObject({ remaining: 2 })
    expect(await limiter.consume('user:1', [burst, sustained])).toMatchObject({
      allowed: true,
      remaining: 0,
      limit: 4,
    })
    expect(await limiter.peek('user:1', burst)).toMatchObject({ remaining: 1 })
  })
}

/** Which rule binds a decision, and how long a refusal by several rules waits. */
export function bindingRuleCases({ open }: CaseContext): void {
  it('names the rule with the fewest units left as binding on admission, every rule in order', async () => {
    const { limiter } = await open()
    const wide = rule('wide', 10, '1m', 'sliding-log')
    const narrow = rule('narrow', 3, '1m', 'sliding-log')
    const decision = await limiter.consume('user:1', [wide, narrow])
    expect(decision).toMatchObject({ allowed: true, limit: 3, remaining: 2 })
    expect(decision.rule.name).toBe('narrow')
    expect(decision.rules.map((r) => [r.rule.name, r.remaining])).toEqual([
      ['wide', 9],
      ['narrow', 2],
    ])
  })

  it('waits for the slowest refusing rule', async () => {
    const { limiter, advance, exactClock } = await open()
    const fast = rule('fast', 1, SHORT, 'sliding-log')
    const slow = rule('slow', 1, 3 * SHORT, 'sliding-log')
    await limiter.consume('user:1', [fast, slow])
    const refused = await limiter.consume('user:1', [fast, slow])
    expect(refused.rule.name).toBe('slow')
    expect(refused.retryAfterMs).toBeGreaterThan(SHORT)
    await advance(SHORT + (exactClock ? 0 : 2))
    expect((await limiter.peek('user:1', [fast, slow])).allowed).toBe(false)
    await advance(refused.retryAfterMs - SHORT + (exactClock ? 0 : 2))
    expect((await limiter.consume('user:1', [fast, slow])).allowed).toBe(true)
  })

  it("refuses with 'cost-exceeds-limit' when the cost exceeds one rule's limit, recording nothing", async () => {
    const { limiter } = await open()
    const small = rule('small', 2, '1m', 'sliding-log')
    const large = rule('large', 20, '1m', 'sliding-window')
    const decision = await limiter.consume('user:1', [large, small], { cost: 3 })
    expect(decision).toMatchObject({ allowed: false, reason: 'cost-exceeds-limit', limit: 2 })
    expect(await limiter.peek('user:1', large)).toMatchObject({ remaining: 19 })
  })
}

/** Concurrent checks of one key, and `consumeMany`. */
export function concurrencyCases({ open }: CaseContext): void {
  it('admits exactly `limit` of many concurrent requests for one key', async () => {
    const { limiter } = await open()
    const r = rule('concurrent', 25, '1m', 'sliding-log')
    const decisions = await Promise.all(Array.from({ length: 60 }, () => limiter.consume('user:1', r)))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(25)
    expect(new Set(decisions.filter((d) => d.allowed).map((d) => d.remaining)).size).toBe(25)
  })

  it('answers consumeMany in order, each check atomic on its own', async () => {
    const { limiter } = await open()
    const a = rule('many-a', 1, '1m', 'sliding-log')
    const b = rule('many-b', 2, '1m', 'sliding-window')
    const decisions = await limiter.consumeMany([
      { identity: 'user:1', rules: a },
      { identity: 'user:2', rules: [a, b] },
      { identity: 'user:1', rules: [a, b] },
      { identity: 'user:1', rules: b, cost: 3 },
      { identity: 'user:1', rules: b },
    ])
    expect(decisions.map((d) => [d.allowed, d.reason])).toEqual([
      [true, undefined],
      [true, undefined],
      [false, 'limited'],
      [false, 'cost-exceeds-limit'],
      [true, undefined],
    ])
    expect(await limiter.peek('user:1', b)).toMatchObject({ remaining: 0 })
  })
}

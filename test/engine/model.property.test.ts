import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore } from '../../src/index.js'
import type { RateLimitDecision, RateLimitRule } from '../../src/types.js'
import { manualClock } from '../helpers.js'
import { type ModelRule, ReferenceBucket, ReferenceCounter, ReferenceLog } from './reference-model.js'

/** The windows of these rules are numbers of milliseconds, so the models can read them. */
type Rule = RateLimitRule & { name: string; window: number }

const RUNS = 250

interface Step {
  /** Milliseconds to move the clock first; 'retry' waits the last announced retryAfterMs, 'retry-1' 1 ms less. */
  wait: number | 'retry' | 'retry-1'
  set: number
  cost: number
  identity: number
  peek: boolean
}

function steps(sets: number, maxCost: number, maxWait: number) {
  const step = fc.record<Step>({
    // Mostly short waits and exact waits, so windows fill up and entries leave on the exact millisecond.
    wait: fc.oneof(
      { arbitrary: fc.constant(0), weight: 2 },
      { arbitrary: fc.integer({ min: 1, max: 60 }), weight: 4 },
      { arbitrary: fc.integer({ min: 0, max: maxWait }), weight: 1 },
      { arbitrary: fc.constant<'retry'>('retry'), weight: 3 },
      { arbitrary: fc.constant<'retry-1'>('retry-1'), weight: 2 },
    ),
    set: fc.nat(sets - 1),
    cost: fc.oneof(
      { arbitrary: fc.constant(1), weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: maxCost }), weight: 2 },
    ),
    identity: fc.nat(1),
    peek: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  })
  return fc.array(step, { minLength: 1, maxLength: 80 })
}

/** Runs the steps on a memory-store limiter with a manual clock, calling `check` after each. */
async function replay(
  sets: readonly Rule[][],
  run: readonly Step[],
  check: (
    now: number,
    identity: string,
    rules: readonly Rule[],
    step: Step,
    decision: RateLimitDecision,
  ) => void,
): Promise<void> {
  const clock = manualClock(1_700_000_000_000)
  const limiter = createRateLimiter({ store: new MemoryStore({ clock, sweepIntervalMs: 0 }) })
  let lastRetry = 0
  for (const step of run) {
    const retry = Number.isFinite(lastRetry) ? lastRetry : 0
    clock.advance(
      step.wait === 'retry' ? retry : step.wait === 'retry-1' ? Math.max(0, retry - 1) : step.wait,
    )
    const identity = `user:${step.identity}`
    const rules = sets[step.set]!
    const decision = await (step.peek ? limiter.peek : limiter.consume).call(limiter, identity, rules, {
      cost: step.cost,
    })
    check(clock(), identity, rules, step, decision)
    lastRetry = decision.retryAfterMs
  }
  await limiter.close()
}

const modelRules = (identity: string, rules: readonly Rule[]): ModelRule[] =>
  rules.map((r) => ({ key: `${identity}|${r.name}`, limit: r.limit, windowMs: r.window }))

describe('sliding log against the brute-force reference model', () => {
  const log = (name: string, limit: number, window: number): Rule => ({
    name,
    limit,
    window,
    algorithm: 'sliding-log',
  })
  const A = log('A', 3, 1000)
  const B = log('B', 5, 2500)
  const C = log('C', 4, 700)
  const SETS = [[A], [B], [C], [A, B], [B, C], [A, B, C]]

  it('admits, refuses, reports usage and waits exactly as the model over random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(steps(SETS.length, 6, 3000), async (run) => {
        const model = new ReferenceLog()
        await replay(SETS, run, (now, identity, rules, step, decision) => {
          const expected = model.decide(now, modelRules(identity, rules), step.cost, !step.peek)
          expect(decision.allowed).toBe(expected.allowed)
          if (rules.some((r) => step.cost > r.limit)) {
            expect(decision).toMatchObject({
              reason: 'cost-exceeds-limit',
              retryAfterMs: Number.POSITIVE_INFINITY,
            })
            return
          }
          expect(decision.reason).toBe(expected.allowed ? undefined : 'limited')
          expect(decision.retryAfterMs).toBe(
            expected.allowed ? 0 : Math.max(...expected.rules.map((r) => r.retryAfterMs)),
          )
          decision.rules.forEach((actual, i) => {
            const want = expected.rules[i]!
            const rule = rules[i]!
            expect(actual.allowed).toBe(want.allowed)
            expect(actual.retryAfterMs).toBe(want.retryAfterMs)
            expect(actual.remaining).toBe(rule.limit - want.used - (expected.allowed ? step.cost : 0))
            const entries = model.history.get(`${identity}|${rule.name}`) ?? []
            const newest = entries.length > 0 ? entries[entries.length - 1]!.at : Number.NEGATIVE_INFINITY
            const resetMs = expected.allowed ? rule.window : want.used > 0 ? newest + rule.window - now : 0
            expect(actual.resetMs).toBe(resetMs)
          })
        })
      }),
      { numRuns: RUNS },
    )
  })

  it('never admits more than `limit` in any window-long interval', async () => {
    await fc.assert(
      fc.asyncProperty(steps(SETS.length, 3, 1500), async (run) => {
        const admitted = new Map<string, Array<[number, number]>>()
        await replay(SETS, run, (now, identity, rules, step, decision) => {
          if (!decision.allowed || step.peek) return
          for (const rule of rules) {
            const key = `${identity}|${rule.name}`
            const list = admitted.get(key) ?? []
            list.push([now, step.cost])
            admitted.set(key, list)
            const inWindow = list
              .filter(([t]) => t > now - rule.window)
              .reduce((sum, [, cost]) => sum + cost, 0)
            expect(inWindow).toBeLessThanOrEqual(rule.limit)
          }
        })
      }),
      { numRuns: RUNS },
    )
  })
})

describe('sliding-window counter against the weighted-formula model', () => {
  const counter = (name: string, limit: number, window: number): Rule => ({
    name,
    limit,
    window,
    algorithm: 'sliding-window',
  })
  const X = counter('X', 4, 1000)
  const Y = counter('Y', 7, 3000)
  const SETS = [[X], [Y], [X, Y]]

  it('decides as the model, stays within its bounds and never announces a wait that is too short', async () => {
    await fc.assert(
      fc.asyncProperty(steps(SETS.length, 8, 2500), async (run) => {
        const model = new ReferenceCounter()
        await replay(SETS, run, (now, identity, rules, step, decision) => {
          const mrules = modelRules(identity, rules)
          const expected = model.decide(now, mrules, step.cost, !step.peek)
          expect(decision.allowed).toBe(expected.allowed)
          if (rules.some((r) => step.cost > r.limit)) return
          decision.rules.forEach((actual, i) => {
            const rule = rules[i]!
            const used = expected.rules[i]!.used + (expected.allowed ? step.cost : 0)
            expect(actual.allowed).toBe(expected.rules[i]!.allowed)
            expect(actual.remaining).toBe(Math.max(0, Math.floor(rule.limit - used)))
          })
          if (!decision.allowed) {
            // Correct or conservative: ≥ 1 ms, and after it every rule admits the same request.
            expect(decision.retryAfterMs).toBeGreaterThanOrEqual(1)
            for (const rule of mrules) {
              expect(
                model.estimate(rule.key, rule.windowMs, now + decision.retryAfterMs) + step.cost,
              ).toBeLessThanOrEqual(rule.limit)
            }
          } else if (!step.peek) {
            for (const rule of mrules) {
              const index = Math.floor(now / rule.windowMs)
              // Within one fixed window the counter never admits more than the limit …
              expect(model.admittedInWindow(rule.key, index)).toBeLessThanOrEqual(rule.limit)
              // … and in any window-long interval at most 2·limit − 1 (see the README's error bound).
              expect(model.admittedIn(rule.key, rule.windowMs, now)).toBeLessThanOrEqual(2 * rule.limit - 1)
            }
          }
        })
      }),
      { numRuns: RUNS },
    )
  })

  it('reaches its worst case, 2·limit − 1 in one window-long interval, with a burst at the end of a window', async () => {
    const clock = manualClock(1_700_000_000_000) // a multiple of 1000: a window starts here
    const limiter = createRateLimiter({ store: new MemoryStore({ clock }) })
    const rule = { name: 'worst', limit: 10, window: 1000, algorithm: 'sliding-window' as const }
    clock.advance(999)
    expect((await limiter.consume('user:1', rule, { cost: 10 })).allowed).toBe(true)
    clock.advance(999) // 998 ms into the next window: the previous 10 weigh 10 × 0.002 = 0.02
    expect((await limiter.consume('user:1', rule, { cost: 9 })).allowed).toBe(true)
    expect((await limiter.peek('user:1', rule)).allowed).toBe(false)
    // Both bursts lie in (t − 1000, t] for t = the second one: 19 units.
    await limiter.close()
  })

  it('can hold a client that bursts at every window start to half the limit', async () => {
    const clock = manualClock(1_700_000_000_000)
    const limiter = createRateLimiter({ store: new MemoryStore({ clock }) })
    const rule = { name: 'bursty', limit: 10, window: 1000, algorithm: 'sliding-window' as const }
    expect((await limiter.consume('user:1', rule, { cost: 5 })).allowed).toBe(true)
    clock.advance(1000)
    expect((await limiter.consume('user:1', rule, { cost: 6 })).allowed).toBe(false)
    expect((await limiter.consume('user:1', rule, { cost: 5 })).allowed).toBe(true)
    await limiter.close()
  })
})

describe('token bucket (GCRA) against the continuous-bucket reference model', () => {
  const bucket = (name: string, limit: number, window: number, burst: number): Rule & { burst: number } => ({
    name,
    limit,
    window,
    algorithm: 'token-bucket',
    burst,
  })
  // A token every 250 ms up to 4; every 333⅓ ms up to 6 (not a whole number of ms); every 40 ms up to 2.
  const P = bucket('P', 4, 1000, 4)
  const Q = bucket('Q', 3, 1000, 6)
  const R = bucket('R', 5, 200, 2)
  const SETS = [[P], [Q], [R], [P, Q], [Q, R], [P, Q, R]]

  it('admits, refuses, reports tokens left, resets and waits exactly as the model over random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(steps(SETS.length, 7, 3000), async (run) => {
        const model = new ReferenceBucket()
        await replay(SETS, run, (now, identity, rules, step, decision) => {
          const mrules = rules.map((r) => ({
            key: `${identity}|${r.name}`,
            limit: r.limit,
            windowMs: r.window,
            burst: (r as { burst: number }).burst,
          }))
          const expected = model.decide(now, mrules, step.cost, !step.peek)
          expect(decision.allowed).toBe(expected.allowed)
          if (mrules.some((r) => step.cost > r.burst)) {
            expect(decision.reason).toBe('cost-exceeds-limit')
            return
          }
          expect(decision.retryAfterMs).toBe(
            expected.allowed ? 0 : Math.max(...expected.rules.map((r) => r.retryAfterMs)),
          )
          decision.rules.forEach((actual, i) => {
            const want = expected.rules[i]!
            const rule = mrules[i]!
            const used = want.used + (expected.allowed ? step.cost : 0)
            expect(actual.allowed).toBe(want.allowed)
            expect(actual.retryAfterMs).toBe(want.retryAfterMs)
            expect(actual.remaining).toBe(Math.max(0, Math.floor(rule.burst - used + 1e-9)))
            // Reset: the time until the bucket is full again, rounded up to whole ms.
            expect(actual.resetMs).toBe(Math.max(0, Math.ceil((used * rule.windowMs) / rule.limit - 1e-9)))
          })
        })
      }),
      { numRuns: RUNS },
    )
  })

  it('never admits more than burst + limit × t / window in any interval of t ms', async () => {
    await fc.assert(
      fc.asyncProperty(steps(SETS.length, 3, 1500), async (run) => {
        const admitted = new Map<string, Array<[number, number]>>()
        await replay(SETS, run, (now, identity, rules, step, decision) => {
          if (!decision.allowed || step.peek) return
          for (const rule of rules as Array<Rule & { burst: number }>) {
            const key = `${identity}|${rule.name}`
            const list = admitted.get(key) ?? []
            list.push([now, step.cost])
            admitted.set(key, list)
            for (const [from] of list) {
              const inInterval = list.filter(([t]) => t >= from).reduce((sum, [, cost]) => sum + cost, 0)
              expect(inInterval).toBeLessThanOrEqual(
                rule.burst + (rule.limit * (now - from)) / rule.window + 1e-9,
              )
            }
          }
        })
      }),
      { numRuns: RUNS },
    )
  })
})

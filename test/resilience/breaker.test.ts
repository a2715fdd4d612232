import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RateLimiterOptions } from '../../src/index.js'
import { createRateLimiter, MemoryStore, RateLimitConfigError } from '../../src/index.js'
import type { RateLimitStore, StoreStateEvent } from '../../src/types.js'
import {
  recordingLogger,
  SwitchableStore,
  sleep,
  waitUntil,
  watchUnhandledRejections,
} from './switchable-store.js'

const rule = { name: 'Query.search', limit: 3, window: '1m' }
let watcher: ReturnType<typeof watchUnhandledRejections>

beforeEach(() => {
  watcher = watchUnhandledRejections()
})

afterEach(async () => {
  // Hung calls reject after the deadline: give them time, then check nobody left them unhandled.
  await sleep(20)
  watcher.stop()
  expect(watcher.seen).toEqual([])
})

function build(options: RateLimiterOptions = {}) {
  const store = new SwitchableStore()
  const logger = recordingLogger()
  const states: StoreStateEvent[] = []
  const errors: Error[] = []
  const limiter = createRateLimiter({
    store,
    logger,
    timeoutMs: 50,
    circuitBreaker: { failureThreshold: 3, probeIntervalMs: 20 },
    ...options,
  })
  limiter.on('store-state', (event) => states.push(event))
  limiter.on('store-error', (event) => errors.push(event.error))
  return { store, logger, states, errors, limiter }
}

describe('the circuit breaker', () => {
  it('opens after exactly failureThreshold consecutive failures and then stops asking the store', async () => {
    const { store, limiter, states } = build()
    store.health = 'fail'
    const first = await limiter.consume('user:1', rule)
    const second = await limiter.consume('user:1', rule)
    expect([first.reason, second.reason]).toEqual(['store-unavailable', 'store-unavailable'])
    expect(limiter.storeState).toBe('up')
    const third = await limiter.consume('user:1', rule)
    expect(third.reason).toBe('store-unavailable')
    expect(limiter.storeState).toBe('down')
    expect(states.map((s) => s.state)).toEqual(['down'])
    const callsWhenOpened = store.calls
    const fourth = await limiter.consume('user:1', rule)
    expect(fourth.reason).toBe('circuit-open')
    expect(fourth.policy).toBe('local')
    expect(store.calls).toBe(callsWhenOpened)
    await limiter.close()
  })

  it('counts only consecutive failures: a success in between starts the count again', async () => {
    const { store, limiter } = build()
    for (let round = 0; round < 3; round++) {
      store.health = 'fail'
      await limiter.consume('user:1', rule)
      await limiter.consume('user:1', rule)
      store.health = 'up'
      await limiter.reset('user:1', rule)
      expect((await limiter.consume('user:1', rule)).reason).toBeUndefined()
    }
    expect(limiter.storeState).toBe('up')
    await limiter.close()
  })

  it('logs one line when the store goes down and one when it recovers, however many requests arrive', async () => {
    const { store, limiter, logger, states } = build()
    store.health = 'fail'
    await Promise.all(Array.from({ length: 200 }, (_, i) => limiter.consume(`user:${i % 7}`, rule)))
    for (let i = 0; i < 100; i++) await limiter.consume('user:1', rule)
    expect(logger.lines).toHaveLength(1)
    expect(logger.lines[0]).toMatch(/switchable store is down after 3 failed calls .*'local'/)
    store.health = 'up'
    await waitUntil(() => limiter.storeState === 'up')
    for (let i = 0; i < 100; i++) await limiter.consume('user:2', { ...rule, limit: 1000 })
    expect(logger.lines).toHaveLength(2)
    expect(logger.lines[1]).toMatch(/switchable store recovered after \d+ ms/)
    expect(states.map((s) => s.state)).toEqual(['down', 'up'])
    expect(states[1]!.downForMs).toBeGreaterThanOrEqual(0)
    await limiter.close()
  })

  it('probes in the background and returns to the store by itself once the store answers', async () => {
    const { store, limiter } = build()
    store.health = 'fail'
    for (let i = 0; i < 3; i++) await limiter.consume('user:1', rule)
    expect(limiter.storeState).toBe('down')
    const calls = store.calls
    await waitUntil(() => store.calls >= calls + 2) // background probes
    store.health = 'up'
    const recoveredIn = await waitUntil(() => limiter.storeState === 'up')
    expect(recoveredIn).toBeLessThan(200)
    // The probe takes the requests' path (a peek on the limiter's own key), not the store's ping.
    expect(store.pings).toBe(0)
    // Another caller: user:1 spent its budget locally during the outage, which still counts.
    const decision = await limiter.consume('user:2', rule)
    expect(decision.reason).toBeUndefined()
    expect(decision.policy).toBeUndefined()
    await limiter.close()
  })

  it('does not keep the process alive while probing (its timer is unref’d) and stops probing on close', async () => {
    const { store, limiter } = build()
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    store.health = 'fail'
    for (let i = 0; i < 3; i++) await limiter.consume('user:1', rule)
    expect(limiter.storeState).toBe('down')
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(
      timersBefore,
    )
    const calls = store.calls
    await waitUntil(() => store.calls > calls)
    await limiter.close()
    await sleep(30)
    const probes = store.calls
    await sleep(80)
    expect(store.calls).toBe(probes)
  })

  it('does not start probing again when calls in flight fail after the limiter was closed', async () => {
    const { store, limiter, states } = build()
    store.health = 'hang'
    const inFlight = Promise.all([1, 2, 3, 4].map(() => limiter.consume('user:1', rule)))
    await limiter.close()
    await inFlight
    const calls = store.calls
    await sleep(80)
    expect(store.calls).toBe(calls)
    expect(states).toEqual([])
    await sleep(300)
  })

  it('never runs more than one probe at a time when the store hangs', async () => {
    const { store, limiter } = build({ circuitBreaker: { failureThreshold: 1, probeIntervalMs: 5 } })
    store.health = 'hang'
    store.hangMs = 500
    await limiter.consume('user:1', rule)
    expect(limiter.storeState).toBe('down')
    const calls = store.calls
    await sleep(200)
    // Each probe waits out the 50 ms deadline; without the guard 40 would have been sent.
    expect(store.calls - calls).toBeLessThanOrEqual(5)
    expect(store.calls - calls).toBeGreaterThanOrEqual(2)
    await limiter.close()
  })

  it('waits out the deadline on every call when the breaker is disabled, and never emits state changes', async () => {
    const { store, limiter, states } = build({ circuitBreaker: false })
    store.health = 'hang'
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      // One caller each: a caller whose budget the local policy has spent is refused without a wait.
      const decision = await limiter.consume(`user:${i}`, rule)
      expect(decision.reason).toBe('store-unavailable')
      expect(performance.now() - started).toBeGreaterThanOrEqual(45)
    }
    expect(states).toEqual([])
    expect(limiter.storeState).toBe('up')
    await limiter.close()
  })
})

describe('deadlines', () => {
  it('answers by policy at the deadline when the store hangs, and the late rejection is handled', async () => {
    const { store, limiter, errors } = build({ timeoutMs: 40 })
    store.health = 'hang'
    store.hangMs = 100
    const started = performance.now()
    const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.consume('user:1', rule)))
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(38)
    expect(waited).toBeLessThan(40 + 60)
    expect(decisions.every((d) => d.reason === 'store-unavailable' && d.policy === 'local')).toBe(true)
    expect(decisions.filter((d) => d.allowed)).toHaveLength(3)
    expect(errors[0]).toMatchObject({ code: 'STORE_TIMEOUT' })
    expect(errors[0]!.message).toMatch(/did not answer within 40 ms/)
    await sleep(150) // the hung calls reject now; afterEach checks nothing went unhandled
    await limiter.close()
  })

  it('puts a deadline on reset too, and refuses at once while the breaker is open', async () => {
    const { store, limiter } = build()
    store.health = 'hang'
    await expect(limiter.reset('user:1', rule)).rejects.toMatchObject({ code: 'STORE_TIMEOUT' })
    for (let i = 0; i < 3; i++) await limiter.consume('user:1', rule)
    expect(limiter.storeState).toBe('down')
    const started = performance.now()
    await expect(limiter.reset('user:1', rule)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(performance.now() - started).toBeLessThan(25) // well under the 50 ms deadline
    await sleep(300)
    await limiter.close()
  })
})

describe('failure policies on a failing store', () => {
  const login = { name: 'Mutation.login', limit: 5, window: '1m', onStoreError: 'closed' as const }
  const feed = { name: 'Query.feed', limit: 100, window: '1m', onStoreError: 'open' as const }

  it("'local' limits each identity in this process with the same rules", async () => {
    const { store, limiter } = build({ onStoreError: 'local' })
    store.health = 'fail'
    const abuser = []
    for (let i = 0; i < 6; i++) abuser.push(await limiter.consume('ip:203.0.113.9', rule))
    expect(abuser.map((d) => d.allowed)).toEqual([true, true, true, false, false, false])
    expect(abuser.every((d) => d.policy === 'local')).toBe(true)
    expect(abuser[3]!.retryAfterMs).toBeGreaterThan(59_000)
    expect((await limiter.consume('ip:198.51.100.1', rule)).allowed).toBe(true)
    await limiter.close()
  })

  it("'open' admits everything and says so", async () => {
    const { store, limiter } = build({ onStoreError: 'open' })
    store.health = 'fail'
    const decisions = []
    for (let i = 0; i < 10; i++) decisions.push(await limiter.consume('user:1', rule))
    expect(decisions.every((d) => d.allowed && d.policy === 'open')).toBe(true)
    expect(decisions.map((d) => d.reason)).toEqual([
      'store-unavailable',
      'store-unavailable',
      'store-unavailable',
      ...Array(7).fill('circuit-open'),
    ])
    await limiter.close()
  })

  it("'closed' refuses everything with a retry hint", async () => {
    const { store, limiter } = build({ onStoreError: 'closed' })
    store.health = 'fail'
    const decision = await limiter.consume('user:1', rule)
    expect(decision).toMatchObject({
      allowed: false,
      policy: 'closed',
      reason: 'store-unavailable',
      remaining: 0,
    })
    expect(decision.retryAfterMs).toBeGreaterThan(0)
    await limiter.close()
  })

  it('lets a rule override the policy: a closed login rule refuses while the limiter falls back locally', async () => {
    const { store, limiter } = build({ onStoreError: 'local' })
    store.health = 'fail'
    const loginDecision = await limiter.consume('user:1', login)
    expect(loginDecision).toMatchObject({ allowed: false, policy: 'closed' })
    expect(loginDecision.rule.name).toBe('Mutation.login')
    expect((await limiter.consume('user:1', rule)).policy).toBe('local')
    expect(await limiter.consume('user:1', [rule, login])).toMatchObject({ allowed: false, policy: 'closed' })
    const mixed = await limiter.consume('user:1', [rule, feed])
    expect(mixed).toMatchObject({ allowed: true, policy: 'local' })
    expect(mixed.rules[1]).toMatchObject({ allowed: true, remaining: 100 })
    await limiter.close()
  })

  it('applies the policies to every request of consumeMany, and records nothing on peek', async () => {
    const { store, limiter } = build({ onStoreError: 'local' })
    store.health = 'fail'
    const many = await limiter.consumeMany([
      { identity: 'user:1', rules: rule },
      { identity: 'user:1', rules: login },
      { identity: 'user:1', rules: rule, cost: 4 },
    ])
    expect(many.map((d) => [d.allowed, d.policy ?? d.reason])).toEqual([
      [true, 'local'],
      [false, 'closed'],
      [false, 'cost-exceeds-limit'],
    ])
    for (let i = 0; i < 5; i++) expect((await limiter.peek('user:9', rule)).allowed).toBe(true)
    await limiter.close()
  })

  it('admits (policy open) rather than rejecting when a custom local fallback store fails too', async () => {
    const broken: RateLimitStore = {
      kind: 'broken',
      consume: () => Promise.reject(new Error('fallback down')),
      peek: () => Promise.reject(new Error('fallback down')),
      reset: () => undefined,
    }
    const { store, limiter } = build({ fallbackStore: broken })
    store.health = 'fail'
    const decision = await limiter.consume('user:1', rule)
    expect(decision).toMatchObject({ allowed: true, policy: 'open', reason: 'store-unavailable' })
    await limiter.close()
  })

  it('keeps answering when an event listener throws, and logs the listener error', async () => {
    const { store, limiter, logger } = build()
    limiter.on('decision', () => {
      throw new Error('listener bug')
    })
    store.health = 'fail'
    expect((await limiter.consume('user:1', rule)).allowed).toBe(true)
    expect(logger.lines.some((line) => /'decision' listener threw/.test(line))).toBe(true)
    await limiter.close()
  })

  it('lets a listener unsubscribe while the event is being delivered, without skipping the others', async () => {
    const { limiter } = build()
    const seen: string[] = []
    const off = limiter.on('decision', () => {
      seen.push('first')
      off()
    })
    limiter.on('decision', () => seen.push('second'))
    await limiter.consume('user:1', rule)
    await limiter.consume('user:1', rule)
    expect(seen).toEqual(['first', 'second', 'second'])
    expect(() => limiter.on('decisions' as 'decision', () => {})).toThrow(/Unknown event "decisions"/)
    expect(() => limiter.on('toString' as 'decision', () => {})).toThrow(RateLimitConfigError)
    await limiter.close()
  })

  it('reports each failure as a store-error event with the policy, and the error on the decision event', async () => {
    const { store, limiter, errors } = build({ onStoreError: 'open' })
    const seen: Array<{ reason?: string; error?: Error; storeMs: number }> = []
    limiter.on('decision', (event) =>
      seen.push({ reason: event.decision.reason, error: event.error, storeMs: event.storeMs }),
    )
    store.health = 'fail'
    for (let i = 0; i < 4; i++) await limiter.consume('user:1', rule)
    expect(errors).toHaveLength(3)
    expect(seen.map((s) => s.reason)).toEqual([
      'store-unavailable',
      'store-unavailable',
      'store-unavailable',
      'circuit-open',
    ])
    expect(seen[0]!.error?.message).toMatch(/ECONNREFUSED/)
    expect(seen[3]!.error).toBeUndefined()
    expect(seen[3]!.storeMs).toBe(0)
    await limiter.close()
  })
})

describe('failure options are validated when the limiter is built', () => {
  it.each([
    [{ timeoutMs: 0 }, /`timeoutMs` to be an integer from 1 to 60000, got 0/],
    [{ timeoutMs: 1.5 }, /`timeoutMs`/],
    [{ onStoreError: 'fail' }, /`onStoreError` to be 'local', 'open' or 'closed', got "fail"/],
    [{ circuitBreaker: { failureThreshold: 0 } }, /`circuitBreaker.failureThreshold`/],
    [{ circuitBreaker: { probeIntervalMs: -1 } }, /`circuitBreaker.probeIntervalMs`/],
    [{ circuitBreaker: 'yes' }, /`circuitBreaker` to be an object .* or false/],
    [{ fallbackStore: {} }, /`fallbackStore`/],
    [{ logger: { warn: 1 } }, /`logger`/],
  ])('rejects %j with a message naming the option', (options, message) => {
    expect(() => createRateLimiter({ store: new MemoryStore(), ...(options as object) })).toThrow(
      RateLimitConfigError,
    )
    expect(() => createRateLimiter({ store: new MemoryStore(), ...(options as object) })).toThrow(message)
  })

  it("rejects a rule's unknown onStoreError when the rule is first used, naming the rule", async () => {
    const limiter = createRateLimiter({ logger: false })
    await expect(
      limiter.consume('user:1', {
        name: 'Mutation.login',
        limit: 1,
        window: '1m',
        onStoreError: 'deny' as 'closed',
      }),
    ).rejects.toThrow(/`onStoreError` of rule "Mutation.login" to be 'local', 'open' or 'closed', got "deny"/)
    await limiter.close()
  })
})

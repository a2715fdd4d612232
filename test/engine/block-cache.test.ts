import { describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore, type RateLimitDecision } from '../../src/index.js'
import { manualClock } from '../helpers.js'
import { SwitchableStore } from '../resilience/switchable-store.js'
import { AsyncMemoryStore } from './async-store.js'

/** A limiter whose store answers asynchronously (so the cache learns), on one manual clock. */
function setup(options: { maxBlockMs?: number; maxEntries?: number } = {}) {
  const clock = manualClock(1_700_000_000_000)
  const store = new AsyncMemoryStore(clock)
  const limiter = createRateLimiter({ store, blockCache: { clock, ...options }, logger: false })
  return { clock, store, limiter }
}

const search = { name: 'Query.search', limit: 2, window: 1000 }
const daily = { name: 'daily', limit: 100, window: 86_400_000 }

async function fill(limiter: ReturnType<typeof setup>['limiter'], identity = 'user:1', rule = search) {
  for (let i = 0; i < rule.limit; i++) expect((await limiter.consume(identity, rule)).allowed).toBe(true)
}

describe('blocked-caller cache', () => {
  it('answers a refused caller from memory, counting the wait down, until the window frees up', async () => {
    const { clock, store, limiter } = setup()
    await fill(limiter)
    clock.advance(100)
    const refused = await limiter.consume('user:1', search)
    expect(refused).toMatchObject({ allowed: false, reason: 'limited', retryAfterMs: 900 })
    const checks = store.checks
    for (const wait of [300, 500, 98]) {
      clock.advance(wait)
      const cached = await limiter.consume('user:1', search)
      expect(cached).toMatchObject({ allowed: false, reason: 'cached', remaining: 0, limit: 2 })
      // The store's wait, counted down: 900 − 300, − 500, − 98.
      expect(cached.retryAfterMs).toBe(refused.retryAfterMs - (clock() - 1_700_000_000_100))
    }
    expect(store.checks).toBe(checks)
    clock.advance(1) // 1 ms before the store's wait ends: the store is asked again (and refuses)
    expect(await limiter.consume('user:1', search)).toMatchObject({
      allowed: false,
      reason: 'limited',
      retryAfterMs: 1,
    })
    clock.advance(1) // the oldest entry has left the window: admitted at once
    expect(await limiter.consume('user:1', search)).toMatchObject({ allowed: true })
    expect(store.checks).toBe(checks + 2)
  })

  it('learns nothing from a refusal of cost 5: a call of cost 1 may still fit', async () => {
    const { store, limiter } = setup()
    const rule = { name: 'pages', limit: 5, window: 1000 }
    expect((await limiter.consume('user:1', rule, { cost: 3 })).allowed).toBe(true)
    expect(await limiter.consume('user:1', rule, { cost: 5 })).toMatchObject({
      allowed: false,
      reason: 'limited',
    })
    expect(await limiter.consume('user:1', rule)).toMatchObject({ allowed: true, remaining: 1 })
    expect(store.checks).toBe(3)
  })

  it('refuses any rule set holding a blocked rule, peek and consumeMany too, listing only the blocked rule', async () => {
    const { store, limiter } = setup()
    await fill(limiter)
    await limiter.consume('user:1', search) // learned
    const checks = store.checks
    const both = await limiter.consume('user:1', [daily, search], { cost: 2 })
    expect(both).toMatchObject({ allowed: false, reason: 'cached', rule: { name: 'Query.search' } })
    expect(both.rules.map((r) => r.rule.name)).toEqual(['Query.search'])
    expect(await limiter.peek('user:1', search)).toMatchObject({ allowed: false, reason: 'cached' })
    const many = await limiter.consumeMany([
      { identity: 'user:1', rules: search },
      { identity: 'user:2', rules: search },
      { identity: 'user:1', rules: daily },
    ])
    expect(many.map((d) => [d.allowed, d.reason])).toEqual([
      [false, 'cached'],
      [true, undefined],
      [true, undefined],
    ])
    expect(store.checks).toBe(checks + 2) // only user:2 and the daily rule reached the store
  })

  it('learns from refusals inside a consumeMany batch', async () => {
    const { store, limiter } = setup()
    const many = () =>
      limiter.consumeMany([
        { identity: 'user:1', rules: search },
        { identity: 'user:1', rules: daily },
      ])
    await many()
    await many()
    expect((await many())[0]).toMatchObject({ allowed: false, reason: 'limited' })
    const checks = store.checks
    expect((await many()).map((d) => d.reason)).toEqual(['cached', undefined])
    expect(store.checks).toBe(checks + 1)
  })

  it('forgets a block at once on reset or refund in this process', async () => {
    const { clock, limiter } = setup()
    await fill(limiter)
    await limiter.consume('user:1', search)
    await limiter.reset('user:1', search)
    expect((await limiter.consume('user:1', search)).allowed).toBe(true)
    clock.advance(1) // an answer to a call sent in the very millisecond of a reset is not learned
    await limiter.consume('user:1', search)
    expect((await limiter.consume('user:1', search)).reason).toBe('limited')
    expect((await limiter.consume('user:1', search)).reason).toBe('cached')
    await limiter.refund('user:1', search)
    expect((await limiter.consume('user:1', search)).allowed).toBe(true)
  })

  it('does not learn a refusal that was on its way while this process reset the key', async () => {
    const { limiter } = setup()
    await fill(limiter)
    const inFlight = limiter.consume('user:1', search) // sent before the reset: refused
    await limiter.reset('user:1', search)
    expect((await inFlight).reason).toBe('limited')
    expect((await limiter.consume('user:1', search)).allowed).toBe(true)
  })

  it('never blocks on a shadow rule, nor at all in shadow mode', async () => {
    const { limiter } = setup()
    const shadowed = { ...search, shadow: true }
    for (let i = 0; i < 4; i++) expect((await limiter.consume('user:1', shadowed)).allowed).toBe(true)
    expect((await limiter.consume('user:1', shadowed)).reason).toBe('shadow')
    // The same key enforced elsewhere is refused by the store, then from the cache; the shadow
    // rule still is not.
    expect((await limiter.consume('user:1', search)).reason).toBe('limited')
    expect((await limiter.consume('user:1', search)).reason).toBe('cached')
    expect((await limiter.consume('user:1', shadowed)).reason).toBe('shadow')

    const clock = manualClock()
    const store = new AsyncMemoryStore(clock)
    const shadowMode = createRateLimiter({ store, shadow: true, blockCache: { clock }, logger: false })
    for (let i = 0; i < 5; i++) await shadowMode.consume('user:1', search)
    expect(store.checks).toBe(5)
  })

  it('bounds a block by maxBlockMs and memory by maxEntries', async () => {
    const { clock, store, limiter } = setup({ maxBlockMs: 200, maxEntries: 2 })
    await fill(limiter)
    await limiter.consume('user:1', search)
    expect((await limiter.consume('user:1', search)).reason).toBe('cached')
    clock.advance(200)
    expect((await limiter.consume('user:1', search)).reason).toBe('limited') // asked again
    for (const identity of ['user:2', 'user:3', 'user:4']) {
      await fill(limiter, identity)
      await limiter.consume(identity, search)
    }
    const checks = store.checks
    const reasons: Array<RateLimitDecision['reason']> = []
    for (const identity of ['user:4', 'user:3', 'user:2', 'user:1'])
      reasons.push((await limiter.consume(identity, search)).reason)
    expect(reasons).toEqual(['cached', 'cached', 'limited', 'limited']) // the two newest blocks kept
    expect(store.checks).toBe(checks + 2)
  })

  it('holds at most maxEntries blocks however many callers a flood sprays (hostile input)', async () => {
    const { limiter } = setup({ maxEntries: 50 })
    const one = { name: 'one', limit: 1, window: 60_000 }
    const ip = (c: number) => `ip:10.0.${c >> 8}.${c & 255}`
    for (let c = 0; c < 400; c++) {
      await limiter.consume(ip(c), one)
      expect((await limiter.consume(ip(c), one)).reason).toBe('limited') // learned: blocked
    }
    // Exactly the 50 newest blocks are kept: callers 350 … 399 from memory, 349 and older asked again.
    for (const c of [399, 375, 350]) expect((await limiter.consume(ip(c), one)).reason).toBe('cached')
    for (const c of [349, 0]) expect((await limiter.consume(ip(c), one)).reason).toBe('limited')
  })

  it('is off by default and with blockCache: false, and learns nothing from a synchronous store', async () => {
    const clock = manualClock()
    const store = new AsyncMemoryStore(clock)
    const off = createRateLimiter({ store, blockCache: false, logger: false })
    const memory = createRateLimiter({ store: new MemoryStore({ clock }), blockCache: true, logger: false })
    const byDefault = createRateLimiter({ store: new AsyncMemoryStore(clock), logger: false })
    for (const limiter of [off, memory, byDefault]) {
      await fill(limiter)
      const reasons = [await limiter.consume('user:1', search), await limiter.consume('user:1', search)]
      expect(reasons.map((d) => d.reason)).toEqual(['limited', 'limited'])
    }
    // Nor from a synchronous store's consumeMany, even its first answer (before it is known to be one).
    const shared = new MemoryStore({ clock })
    await fill(createRateLimiter({ store: shared, logger: false }))
    const batched = createRateLimiter({ store: shared, blockCache: true, logger: false })
    const many = () =>
      batched.consumeMany([
        { identity: 'user:1', rules: search },
        { identity: 'user:1', rules: daily },
      ])
    const reasons = [(await many())[0]!.reason, (await many())[0]!.reason]
    expect(reasons).toEqual(['limited', 'limited'])
  })

  it('marks its refusals in the decision event, with no store time', async () => {
    const { limiter } = setup()
    const events: Array<[string | undefined, number]> = []
    limiter.on('decision', (e) => events.push([e.decision.reason, e.storeMs]))
    await fill(limiter)
    await limiter.consume('user:1', search)
    await limiter.consume('user:1', search)
    expect(events.at(-1)).toEqual(['cached', 0])
    expect(events.at(-2)![0]).toBe('limited')
  })

  it('leaves the failure policy to answer callers it does not know to be blocked', async () => {
    const store = new SwitchableStore()
    const limiter = createRateLimiter({ store, onStoreError: 'open', blockCache: true, logger: false })
    await fill(limiter)
    await limiter.consume('user:1', search) // learned
    store.health = 'fail'
    expect(await limiter.consume('user:2', search)).toMatchObject({ allowed: true, policy: 'open' })
    // A caller the store refused a moment ago stays refused: the store's own answer says so.
    expect(await limiter.consume('user:1', search)).toMatchObject({ allowed: false, reason: 'cached' })
    await limiter.close()
  })

  it('rejects invalid options, naming them', () => {
    expect(() => createRateLimiter({ blockCache: { maxEntries: 0 } })).toThrow(/blockCache\.maxEntries/)
    expect(() => createRateLimiter({ blockCache: { maxBlockMs: 1.5 } })).toThrow(/blockCache\.maxBlockMs/)
    expect(() => createRateLimiter({ blockCache: 'on' as never })).toThrow(/`blockCache`/)
    expect(() => createRateLimiter({ blockCache: { clock: 5 as never } })).toThrow(/blockCache\.clock/)
  })
})

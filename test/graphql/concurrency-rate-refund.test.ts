/**
 * A field refused by `@concurrencyLimit` gives back its own `@rateLimit` charge — never a charge
 * it shares with other resolutions (a list path's decision, the operation's plan quotas) — and a
 * field refused by `@rateLimit` takes no slot, whichever transformer is applied first. Memory and
 * real Redis.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { type ExecutionResult, type GraphQLSchema, graphql, parse, subscribe } from 'graphql'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { concurrencyLimitDirective, rateLimitDirective } from '../../src/graphql/index.js'
import { planQuotas } from '../../src/identity/quotas.js'
import {
  type Caller,
  createRateLimiter,
  definePlans,
  MemoryStore,
  type RateLimiter,
  type RateLimitRule,
} from '../../src/index.js'
import { limiterOn, ready, redisClient } from '../helpers.js'

const sdl = `type Query {
  report: String @rateLimit(limit: 6, window: "1m", cost: 2) @concurrencyLimit(max: 1)
  items: [Item!]!
}
type Item { id: Int! detail: String @rateLimit(limit: 10, window: "1m") @concurrencyLimit(max: 1) }
type Subscription { feed: Int @rateLimit(limit: 3, window: "1m") @concurrencyLimit(max: 1) }`

const reportRule: RateLimitRule = { name: 'Query.report', limit: 6, window: '1m' }
const detailRule: RateLimitRule = { name: 'Item.detail', limit: 10, window: '1m' }
const feedRule: RateLimitRule = { name: 'Subscription.feed', limit: 3, window: '1m' }
const plans = definePlans({ free: { quotas: [{ limit: 100, window: '1d' }] } })

type Order = 'rate applied last' | 'concurrency applied last'

interface Options {
  order?: Order
  coalesce?: boolean
  listMode?: 'path' | 'each'
  identify?: (ctx: unknown) => Caller | Promise<Caller>
}

/** A gate the resolvers wait on, opened by the test. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

function build(limiter: RateLimiter, wait: () => Promise<void>, options: Options = {}): GraphQLSchema {
  const { order = 'rate applied last', coalesce, listMode, identify } = options
  const rate = rateLimitDirective({ limiter, coalesce, listMode, identify })
  const concurrency = concurrencyLimitDirective({ limiter, identify })
  const resolvers = {
    Query: { report: () => wait().then(() => 'done'), items: () => [{ id: 1 }, { id: 2 }, { id: 3 }] },
    Item: { detail: (item: { id: number }) => wait().then(() => `detail ${item.id}`) },
    Subscription: {
      feed: {
        subscribe: async function* () {
          yield { feed: 1 }
          await wait()
        },
      },
    },
  }
  const schema = makeExecutableSchema({ typeDefs: [rate.typeDefs, concurrency.typeDefs, sdl], resolvers })
  return order === 'rate applied last'
    ? rate.transformer(concurrency.transformer(schema))
    : concurrency.transformer(rate.transformer(schema))
}

const run = (schema: GraphQLSchema, source: string) =>
  graphql({ schema, source, contextValue: { user: { id: 'alice' } } }) as Promise<ExecutionResult>
const tick = () => new Promise((resolve) => setTimeout(resolve, 50))
const codes = (result: ExecutionResult) => (result.errors ?? []).map((e) => e.extensions?.code)

let client: Redis
beforeAll(async () => {
  client = await ready(redisClient())
})
afterAll(() => client.disconnect())

const stores = {
  memory: () => createRateLimiter({ store: new MemoryStore(), logger: false }),
  redis: () => limiterOn(client, 'gql-refund'),
}

async function used(
  limiter: RateLimiter,
  rule: RateLimitRule | readonly RateLimitRule[],
  identity = 'user:alice',
) {
  return (await limiter.usage(identity, rule as RateLimitRule)).used
}

describe.each(Object.entries(stores))('@concurrencyLimit beside @rateLimit (%s)', (_, make) => {
  const cases: Array<[Order, Options]> = [
    ['rate applied last', {}],
    ['concurrency applied last', {}],
    ['rate applied last', { coalesce: false }],
    ['concurrency applied last', { identify: async () => ({ id: 'user:alice', kind: 'user' }) }],
  ]
  it.each(cases)('a refused resolution gives back its rate charge (%s, %o)', async (order, options) => {
    const limiter = make()
    const g = gate()
    const schema = build(limiter, () => g.opened, { ...options, order })
    const first = run(schema, '{ report }')
    await tick()
    expect(await used(limiter, reportRule)).toBe(2)
    const refused = await run(schema, '{ report }')
    expect(refused.data).toEqual({ report: null })
    expect(codes(refused)).toEqual(['CONCURRENCY_LIMITED'])
    expect(await used(limiter, reportRule)).toBe(2) // its 2 units came back
    g.open()
    expect((await first).data).toEqual({ report: 'done' })
    // Exactly the limit: 6 units, 3 calls of cost 2, the refused one not among them.
    expect((await run(schema, '{ report }')).data).toEqual({ report: 'done' })
    expect((await run(schema, '{ report }')).data).toEqual({ report: 'done' })
    expect(codes(await run(schema, '{ report }'))).toEqual(['RATE_LIMITED'])
    await limiter.close()
  })

  it.each(['rate applied last', 'concurrency applied last'] as const)(
    'a resolution its rate rule refuses takes no slot (%s)',
    async (order) => {
      const limiter = make()
      const schema = build(limiter, async () => {}, { order })
      for (let i = 0; i < 3; i++) expect((await run(schema, '{ report }')).data).toEqual({ report: 'done' })
      const slots: string[] = []
      limiter.on('concurrency', (event) => event.operation === 'acquire' && slots.push(event.operation))
      expect(codes(await run(schema, '{ report }'))).toEqual(['RATE_LIMITED'])
      expect(slots).toEqual([])
      await limiter.close()
    },
  )

  it.each(['rate applied last', 'concurrency applied last'] as const)(
    'a refused subscription gives back its rate charge (%s)',
    async (order) => {
      const limiter = make()
      const g = gate()
      const schema = build(limiter, () => g.opened, { order })
      const start = () =>
        subscribe({
          schema,
          document: parse('subscription { feed }'),
          contextValue: { user: { id: 'alice' } },
        })
      const open = (await start()) as AsyncGenerator<ExecutionResult>
      expect((await open.next()).value.data).toEqual({ feed: 1 })
      expect(codes((await start()) as ExecutionResult)).toEqual(['CONCURRENCY_LIMITED'])
      expect(await used(limiter, feedRule)).toBe(1)
      await open.return(undefined)
      g.open()
      await limiter.close()
    },
  )

  it("listMode 'path': the items' one shared decision is not given back by a refused item", async () => {
    const limiter = make()
    const g = gate()
    const schema = build(limiter, () => g.opened, { listMode: 'path' })
    const pending = run(schema, '{ items { detail } }')
    await tick()
    g.open()
    const result = await pending
    // One slot: the first item resolves, the two others are refused by the concurrency limit.
    expect(result.data).toEqual({ items: [{ detail: 'detail 1' }, { detail: null }, { detail: null }] })
    expect(codes(result)).toEqual(['CONCURRENCY_LIMITED', 'CONCURRENCY_LIMITED'])
    expect(await used(limiter, detailRule)).toBe(1) // charged once for the path, and kept
    await limiter.close()
  })

  it("listMode 'each': every refused item gives back its own charge", async () => {
    const limiter = make()
    const g = gate()
    const schema = build(limiter, () => g.opened, { listMode: 'each' })
    const pending = run(schema, '{ items { detail } }')
    await tick()
    g.open()
    // 3 charged, the 2 refused ones given back (before their errors were returned).
    expect(codes(await pending)).toEqual(['CONCURRENCY_LIMITED', 'CONCURRENCY_LIMITED'])
    expect(await used(limiter, detailRule)).toBe(1)
    await limiter.close()
  })

  it.each([true, false])(
    "plan quotas: the field's own rules come back, the operation's quota stays (async identify: %s)",
    async (async) => {
      const limiter = make()
      const g = gate()
      const caller: Caller = { id: 'key:acct', kind: 'api-key', owner: 'acct', plan: plans.free }
      const identify = async ? async () => caller : () => caller
      const schema = build(limiter, () => g.opened, { identify })
      const quotas = planQuotas(plans.free)
      const first = run(schema, '{ report }')
      await tick()
      expect([await used(limiter, reportRule, caller.id), await used(limiter, quotas, caller.id)]).toEqual([
        2,
        2, // the quota is charged the field's cost too
      ])
      const refused = await run(schema, '{ report }') // carries the quota, refused by the slot
      expect(codes(refused)).toEqual(['CONCURRENCY_LIMITED'])
      // The field's 2 units came back; the operation ran (and was counted by its plan quota).
      expect([await used(limiter, reportRule, caller.id), await used(limiter, quotas, caller.id)]).toEqual([
        2, 4,
      ])
      g.open()
      await first
      await limiter.close()
    },
  )

  it('a refund that fails leaves the charge and the refusal standing', async () => {
    const limiter = make()
    const g = gate()
    const schema = build(limiter, () => g.opened)
    const first = run(schema, '{ report }')
    await tick()
    limiter.refund = async () => {
      throw new Error('store down')
    }
    expect(codes(await run(schema, '{ report }'))).toEqual(['CONCURRENCY_LIMITED'])
    expect(await used(limiter, reportRule)).toBe(4)
    g.open()
    await first
    await limiter.close()
  })
})

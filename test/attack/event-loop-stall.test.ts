/**
 * One client's CPU-heavy request stalls the event loop; every store call in flight meanwhile "times
 * out", although Redis answered in a millisecond — its reply sits unread in the socket while the
 * deadline timer, due during the stall, runs first when the loop resumes (timers before I/O).
 * Three such failures in a row open the circuit breaker: then EVERY caller is answered by the
 * failure policy — all refused under `onStoreError: 'closed'`, all admitted under `'open'`, and
 * counted per process under `'local'`. The attacker needs no access to Redis, only a request that
 * costs more CPU than `timeoutMs` (200 ms by default): a GraphQL document whose 3 000 aliases
 * each raise an error takes that long (measured ~0.6–1 s) in graphql-js alone.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { GraphQLError } from 'graphql'
import { createYoga } from 'graphql-yoga'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiter, RedisStore } from '../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

let client: Redis
beforeAll(async () => {
  client = await ready(redisClient())
})
afterAll(() => client.disconnect())

/** An app whose `fail` field throws: any erroring field will do, nothing here is rate-limited. */
function heavyYoga() {
  const schema = makeExecutableSchema({
    typeDefs: 'type Query { fail: Int }',
    resolvers: {
      Query: {
        fail: () => {
          throw new GraphQLError('no', { extensions: { code: 'NO' } })
        },
      },
    },
  })
  const yoga = createYoga({ schema, logging: false })
  const query = `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: fail`).join(' ')} }`
  return () =>
    yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    })
}

describe('a request that stalls the event loop', () => {
  it("does not turn other callers' store answers into store failures, nor open the breaker", async () => {
    const limiter = createRateLimiter({
      store: new RedisStore({ client, logger: false }),
      prefix: uniquePrefix('stall'),
      onStoreError: 'closed',
      logger: false,
    })
    const rule = { name: 'api', limit: 100, window: '1m' }
    const heavy = heavyYoga()
    await heavy() // warm up graphql-js and yoga
    const decisions = []
    for (let round = 0; round < 3; round++) {
      // A victim's check goes to Redis; before its reply is read, the attacker's request runs.
      const victim = limiter.consume(`user:victim-${round}`, rule)
      const attack = heavy()
      decisions.push(await victim)
      await (await attack).text()
    }
    // Redis answered every check: none may be decided by the failure policy.
    expect(decisions.map((d) => d.reason)).toEqual([undefined, undefined, undefined])
    expect(limiter.storeState).toBe('up')
    const after = await limiter.consume('user:bystander', rule)
    expect(after).toMatchObject({ allowed: true })
    await limiter.close()
  })
})

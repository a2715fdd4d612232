import { makeExecutableSchema } from '@graphql-tools/schema'
import { createYoga } from 'graphql-yoga'
import { describe, expect, it } from 'vitest'
import { costTypeDefs, useCostBudget } from '../../../src/graphql/index.js'
import { createRateLimiter, MemoryStore } from '../../../src/index.js'
import { manualClock } from '../../helpers.js'

describe('useCostBudget and subscriptions', () => {
  it('charges a subscription once, when it starts, and refuses to start one the budget cannot pay', async () => {
    const schema = makeExecutableSchema({
      typeDefs: [
        costTypeDefs,
        'type Query { a: Int } type Tick { n: Int } type Subscription { ticks: Tick }',
      ],
      resolvers: {
        Subscription: {
          ticks: {
            subscribe: async function* () {
              for (let n = 0; n < 3; n++) yield { ticks: { n } }
            },
          },
        },
      },
    })
    const limiter = createRateLimiter({ store: new MemoryStore({ clock: manualClock() }), logger: false })
    const yoga = createYoga({
      schema,
      plugins: [useCostBudget({ limiter, limit: 1, window: '1m' })],
      context: () => ({ userId: 's' }),
      logging: false,
    })
    const subscribe = async () => {
      const response = await yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: 'subscription { ticks { n } }' }),
      })
      return response.text()
    }
    // Tick object = 1 point: the whole stream of 3 events is one charge.
    const first = await subscribe()
    expect(first.match(/"n":\d/g)).toEqual(['"n":0', '"n":1', '"n":2'])
    const second = await subscribe()
    expect(second).toContain('"code":"RATE_LIMITED"')
    expect(second).not.toContain('"n":0')
  })
})

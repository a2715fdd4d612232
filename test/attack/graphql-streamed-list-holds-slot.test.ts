/**
 * A list field limited by `@concurrencyLimit` whose resolver returns an async iterable: graphql-
 * yoga's executor reads it item by item, so the field's work runs while it is read. If the slot
 * were given back when the resolver returned the iterable, one caller could read any number of
 * such max-1 lists at once. It is held until the list ends (or its client goes away); and where
 * nothing reads the iterable (graphql-js 16 rejects it as a list), it is not held for ever.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { execute, parse } from 'graphql'
import { createYoga } from 'graphql-yoga'
import { describe, expect, it } from 'vitest'
import { concurrencyLimitDirective } from '../../src/graphql/index.js'
import { createRateLimiter, MemoryStore, type RateLimiter } from '../../src/index.js'
import { closeAfterEach } from '../helpers.js'

const opened = closeAfterEach()

/** A list of three rows, each one waiting for `next()` to be let through; counts lists being read. */
function gatedRows() {
  let reading = 0
  let most = 0
  const gates: Array<() => void> = []
  async function* rows() {
    most = Math.max(most, ++reading)
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve) => gates.push(resolve))
        yield i
      }
    } finally {
      reading--
    }
  }
  const openAll = () => {
    for (const gate of gates.splice(0)) gate()
  }
  return { rows, openAll, most: () => most, waiting: () => gates.length }
}

function schemaWith(limiter: RateLimiter, rows: () => AsyncIterable<number>) {
  const concurrency = concurrencyLimitDirective({ limiter })
  return concurrency.transformer(
    makeExecutableSchema({
      typeDefs: [concurrency.typeDefs, 'type Query { rows: [Int] @concurrencyLimit(max: 1) }'],
      resolvers: { Query: { rows } },
    }),
  )
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

describe('@concurrencyLimit on a list read from an async iterable', () => {
  it('holds the slot until the list ends: a second list is refused while the first is read', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    opened.push(limiter)
    const gated = gatedRows()
    const yoga = createYoga({
      schema: schemaWith(limiter, gated.rows),
      logging: false,
      context: () => ({ user: { id: 'reader' } }),
    })
    const ask = async () => {
      const response = await yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ rows }' }),
      })
      return (await response.json()) as {
        data?: { rows: number[] | null }
        errors?: Array<{ extensions?: { code?: string } }>
      }
    }
    const first = ask()
    for (const since = Date.now(); gated.waiting() === 0 && Date.now() - since < 2_000; ) await tick()
    expect(gated.waiting()).toBe(1) // the first list is being read

    const second = await ask()
    expect(second.errors?.[0]?.extensions?.code).toBe('CONCURRENCY_LIMITED')
    expect(gated.most()).toBe(1)

    // Let the first list run to its end: the slot comes back with it.
    for (let i = 0; i < 3; i++) {
      for (const since = Date.now(); gated.waiting() === 0 && Date.now() - since < 2_000; ) await tick()
      gated.openAll()
    }
    expect((await first).data?.rows).toEqual([0, 1, 2])
    const third = ask()
    for (let i = 0; i < 3; i++) {
      for (const since = Date.now(); gated.waiting() === 0 && Date.now() - since < 2_000; ) await tick()
      gated.openAll()
    }
    expect((await third).data?.rows).toEqual([0, 1, 2])
  })

  it('gives the slot back when graphql-js never reads the iterable (it rejects it as a list)', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    opened.push(limiter)
    const gated = gatedRows()
    const schema = schemaWith(limiter, gated.rows)
    const run = () =>
      Promise.resolve(
        execute({ schema, document: parse('{ rows }'), contextValue: { user: { id: 'reader' } } }),
      )
    const first = await run()
    expect(first.errors?.[0]?.message).toMatch(/Expected Iterable/)
    await new Promise((resolve) => setImmediate(resolve))
    const lease = await limiter.acquire('user:reader', { name: 'Query.rows', max: 1 })
    expect(lease.allowed).toBe(true) // nothing holds the slot
    await lease.release()
  })
})

import { describe, expect, it } from 'vitest'
import { GraphQLRateLimitedError } from '../../src/graphql/index.js'
import { admittedRuns, codes, limitedSchema, memoryLimiter, run } from './fixtures.js'

const hello = { hello: () => 'hi', other: () => 'other', free: () => 'free' }

describe('@rateLimit on fields and types (plain graphql execution)', () => {
  it('limits a field per caller and refuses with null plus a RATE_LIMITED error', async () => {
    const { limiter, clock } = memoryLimiter()
    const schema = limitedSchema(
      limiter,
      'type Query { hello: String @rateLimit(limit: 2, window: "1m") free: String }',
      {
        Query: hello,
      },
    )
    expect(await admittedRuns(schema, '{ hello }', 3)).toEqual([true, true, false])
    clock.advance(10_000)
    const refused = await run(schema, '{ hello free }')
    expect(refused.data).toEqual({ hello: null, free: 'free' })
    const error = refused.errors![0]!
    expect(error.originalError).toBeUndefined()
    expect(error).toBeInstanceOf(GraphQLRateLimitedError)
    expect(error.path).toEqual(['hello'])
    const { retryAfterMs } = (error as GraphQLRateLimitedError).decision
    expect(retryAfterMs).toBeGreaterThanOrEqual(50_000)
    expect(retryAfterMs).toBeLessThanOrEqual(50_001)
    const retryAfter = Math.ceil(retryAfterMs / 1000)
    expect(error.extensions).toEqual({
      code: 'RATE_LIMITED',
      retryAfter,
      limit: 2,
      remaining: 0,
      reset: 50,
      policy: 'Query.hello',
    })
    expect(error.message).toBe(`Too many requests for Query.hello: retry in ${retryAfter} s.`)
    clock.advance(50_000)
    expect((await run(schema, '{ hello }')).data).toEqual({ hello: 'hi' })
  })

  it('rounds retryAfter up to whole seconds', async () => {
    const { limiter, clock } = memoryLimiter()
    const schema = limitedSchema(limiter, 'type Query { hello: String @rateLimit(limit: 1, window: "1s") }', {
      Query: hello,
    })
    await run(schema, '{ hello }')
    clock.advance(999)
    expect((await run(schema, '{ hello }')).errors![0]!.extensions.retryAfter).toBe(1)
  })

  it('gives two users separate budgets', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(limiter, 'type Query { hello: String @rateLimit(limit: 1, window: "1m") }', {
      Query: hello,
    })
    expect(await admittedRuns(schema, '{ hello }', 2, 'alice')).toEqual([true, false])
    expect(await admittedRuns(schema, '{ hello }', 2, 'bob')).toEqual([true, false])
  })

  it('limits every field of a type with one budget per field, and a field directive replaces the type one', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(
      limiter,
      `type Query @rateLimit(limit: 1, window: "1m") {
        hello: String
        other: String
        free: String @rateLimit(limit: 3, window: "1m")
      }`,
      { Query: hello },
    )
    expect(await admittedRuns(schema, '{ hello }', 2)).toEqual([true, false])
    expect(await admittedRuns(schema, '{ other }', 2)).toEqual([true, false])
    // The field's own limit (3) applies instead of the type's (1); they are not combined.
    expect(await admittedRuns(schema, '{ free }', 4)).toEqual([true, true, true, false])
  })

  it('checks repeated directives atomically: a refused burst records nothing under the sustained limit', async () => {
    const { limiter, clock } = memoryLimiter()
    const schema = limitedSchema(
      limiter,
      'type Query { hello: String @rateLimit(limit: 2, window: "1s") @rateLimit(limit: 3, window: "1h") }',
      { Query: hello },
    )
    expect(await admittedRuns(schema, '{ hello }', 4)).toEqual([true, true, false, false])
    clock.advance(1_000)
    // Two refusals recorded nothing: one unit of the hourly budget is left.
    expect(await admittedRuns(schema, '{ hello }', 2)).toEqual([true, false])
    const refused = await run(schema, '{ hello }')
    expect(refused.errors![0]!.extensions).toMatchObject({ limit: 3, policy: 'Query.hello', remaining: 0 })
    expect(refused.errors![0]!.extensions.retryAfter).toBeGreaterThanOrEqual(3599)
  })

  it('makes fields with the same bucket share one budget', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(
      limiter,
      `type Query {
        hello: String @rateLimit(limit: 3, window: "1m", bucket: "reads")
        other: String @rateLimit(limit: 3, window: "60s", bucket: "reads")
        free: String
      }`,
      { Query: hello },
    )
    const result = await run(schema, '{ a: hello b: other c: hello d: other }')
    expect(result.data).toEqual({ a: 'hi', b: 'other', c: 'hi', d: null })
    expect(result.errors![0]!.extensions).toMatchObject({ policy: 'reads', remaining: 0 })
  })

  it('charges the cost of a field per resolution', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(
      limiter,
      'type Query { hello: String @rateLimit(limit: 10, window: "1m", cost: 4) }',
      {
        Query: hello,
      },
    )
    expect(await admittedRuns(schema, '{ hello }', 3)).toEqual([true, true, false])
    expect((await run(schema, '{ hello }')).errors![0]!.extensions).toMatchObject({ remaining: 2, limit: 10 })
  })

  it('counts every alias of a field', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(limiter, 'type Query { hello: String @rateLimit(limit: 2, window: "1m") }', {
      Query: hello,
    })
    const result = await run(schema, '{ a: hello b: hello c: hello }')
    expect(result.data).toEqual({ a: 'hi', b: 'hi', c: null })
    expect(result.errors!.map((e) => e.path)).toEqual([['c']])
  })

  it('counts a field selected through fragments once per response key and skips @skip-ped fields', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(limiter, 'type Query { hello: String @rateLimit(limit: 2, window: "1m") }', {
      Query: hello,
    })
    const merged = await run(schema, '{ ...F hello ... on Query { hello } } fragment F on Query { hello }')
    expect(merged).toEqual({ data: { hello: 'hi' } })
    const skipped = await run(schema, 'query ($no: Boolean!) { hello @skip(if: $no) }', 'alice', {
      no: true,
    } as never)
    expect(skipped).toEqual({ data: {} })
    expect(await admittedRuns(schema, '{ hello }', 2)).toEqual([true, false])
  })

  it('does not wrap or count fields without the directive', async () => {
    const { limiter } = memoryLimiter()
    let decisions = 0
    limiter.on('decision', () => decisions++)
    const schema = limitedSchema(
      limiter,
      'type Query { hello: String @rateLimit(limit: 1, window: "1m") free: String }',
      {
        Query: hello,
      },
    )
    const fields = schema.getQueryType()!.getFields()
    expect(fields.free!.extensions.resolverRateLimit).toBeUndefined()
    expect(Object.keys(fields.hello!.extensions.resolverRateLimit as object)).toEqual(['rateLimit'])
    expect(await admittedRuns(schema, '{ free }', 5)).toEqual([true, true, true, true, true])
    expect(decisions).toBe(0)
  })

  it('limits mutations, which run one root field after another', async () => {
    const { limiter } = memoryLimiter()
    let writes = 0
    const schema = limitedSchema(
      limiter,
      'type Query { ok: Boolean } type Mutation { write: Int @rateLimit(limit: 2, window: "1m") }',
      { Mutation: { write: () => ++writes } },
    )
    const result = await run(schema, 'mutation { a: write b: write c: write }')
    expect(result.data).toEqual({ a: 1, b: 2, c: null })
    expect(codes(result)).toEqual(['RATE_LIMITED'])
    expect(writes).toBe(2)
  })

  it('nulls the parent of a refused non-null field, as GraphQL requires', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(
      limiter,
      `type Query { me: User, required: String! @rateLimit(limit: 1, window: "1m") }
       type User { name: String, secret: String! @rateLimit(limit: 1, window: "1m") }`,
      { Query: { me: () => ({ name: 'Ann' }), required: () => 'x' }, User: { secret: () => 's' } },
    )
    expect((await run(schema, '{ me { name secret } }')).data).toEqual({ me: { name: 'Ann', secret: 's' } })
    const refused = await run(schema, '{ me { name secret } }')
    expect(refused.data).toEqual({ me: null })
    expect(refused.errors!.map((e) => [e.path, e.extensions.code])).toEqual([
      [['me', 'secret'], 'RATE_LIMITED'],
    ])
    await run(schema, '{ required }')
    const root = await run(schema, '{ required }')
    expect(root.data).toBeNull()
    expect(codes(root)).toEqual(['RATE_LIMITED'])
  })

  it('uses the directive message, else the errorMessage option', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(
      limiter,
      'type Query { hello: String @rateLimit(limit: 1, window: "1m", message: "Slow down") other: String @rateLimit(limit: 1, window: "1m") }',
      { Query: hello },
      { errorMessage: ({ coordinate, decision }) => `${coordinate}:${decision.limit}` },
    )
    await run(schema, '{ hello other }')
    expect((await run(schema, '{ hello other }')).errors!.map((e) => e.message)).toEqual([
      'Slow down',
      'Query.other:1',
    ])
  })

  it('never refuses with shadow: true but still reports the decision', async () => {
    const { limiter } = memoryLimiter()
    const seen: boolean[] = []
    limiter.on('decision', ({ decision }) => seen.push(decision.allowed))
    const schema = limitedSchema(
      limiter,
      'type Query { hello: String @rateLimit(limit: 1, window: "1m", shadow: true) }',
      {
        Query: hello,
      },
    )
    expect(await admittedRuns(schema, '{ hello }', 3)).toEqual([true, true, true])
    expect(seen).toEqual([true, true, true])
  })

  it('inherits a directive declared on an interface field unless the object field declares its own', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(
      limiter,
      `interface Node { id: ID! @rateLimit(limit: 1, window: "1m") }
       type Post implements Node { id: ID! }
       type Query { post: Post }`,
      { Query: { post: () => ({ id: '1' }) } },
    )
    expect(await admittedRuns(schema, '{ post { id } }', 2)).toEqual([true, false])
  })

  it('applies API-key plans: an unlimited plan is never checked, a scaled plan gets more', async () => {
    const unlimited = { name: 'internal', unlimited: true }
    const pro = { name: 'pro', scale: 3 }
    const { limiter } = memoryLimiter()
    const plans: Record<string, object> = { a: unlimited, b: pro }
    const schema = limitedSchema(
      limiter,
      'type Query { hello: String @rateLimit(limit: 1, window: "1m") }',
      { Query: hello },
      {
        identify: (ctx: { user: { id: string } }) => ({
          id: `key:${ctx.user.id}`,
          kind: 'api-key',
          plan: plans[ctx.user.id] as never,
        }),
      },
    )
    expect(await admittedRuns(schema, '{ hello }', 5, 'a')).toEqual([true, true, true, true, true])
    expect(await admittedRuns(schema, '{ hello }', 4, 'b')).toEqual([true, true, true, false])
  })

  it('reports each refusing decision once to onLimited', async () => {
    const { limiter } = memoryLimiter()
    const events: string[] = []
    const schema = limitedSchema(
      limiter,
      'type Query { hello: String @rateLimit(limit: 1, window: "1m") }',
      { Query: hello },
      {
        onLimited: (e) => {
          events.push(`${e.coordinate} ${e.decision.identity}`)
          throw new Error('observers must not break refusals')
        },
      },
    )
    await admittedRuns(schema, '{ hello }', 2)
    expect(events).toEqual(['Query.hello user:alice'])
    expect(codes(await run(schema, '{ hello }'))).toEqual(['RATE_LIMITED'])
  })
})

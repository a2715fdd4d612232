/**
 * `@concurrencyLimit` on an object type: every field of the type limited as if it carried the
 * directive, each with its own slots (named by its coordinate) unless a `bucket` is given; a
 * field's own directive, then its interface field's, win over the type's — as for `@rateLimit`.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { type ExecutionResult, type GraphQLSchema, graphql, parse, subscribe } from 'graphql'
import { describe, expect, it } from 'vitest'
import { assertRateLimitsApplied, concurrencyLimitDirective } from '../../src/graphql/index.js'
import { createRateLimiter, MemoryStore, type RateLimiter } from '../../src/index.js'

const sdl = `
interface Node { slow: String @concurrencyLimit(max: 1) }
type Query @concurrencyLimit(max: 1) {
  a: String
  b: String
  wide: String @concurrencyLimit(max: 2)
  doc: Doc @concurrencyLimit(max: 100)
  report: Report @concurrencyLimit(max: 100)
}
type Doc implements Node @concurrencyLimit(max: 5) { slow: String other: String }
type Report @concurrencyLimit(max: 1, bucket: "reports") { x: String y: String }
type Subscription @concurrencyLimit(max: 1) { feed: Int }
`

function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

function build(limiter: RateLimiter, wait: () => Promise<void>): GraphQLSchema {
  const { typeDefs, transformer } = concurrencyLimitDirective({ limiter })
  const slow = (value: string) => () => wait().then(() => value)
  const resolvers = {
    Query: { a: slow('a'), b: slow('b'), wide: slow('wide'), doc: () => ({}), report: () => ({}) },
    Doc: { slow: slow('slow'), other: slow('other') },
    Report: { x: slow('x'), y: slow('y') },
    Subscription: {
      feed: {
        subscribe: async function* () {
          yield { feed: 1 }
          await wait()
        },
      },
    },
  }
  return transformer(makeExecutableSchema({ typeDefs: [typeDefs, sdl], resolvers }))
}

const memory = () => createRateLimiter({ store: new MemoryStore(), logger: false })
const run = (schema: GraphQLSchema, source: string) =>
  graphql({ schema, source, contextValue: { user: { id: 'alice' } } }) as Promise<ExecutionResult>
const tick = () => new Promise((resolve) => setTimeout(resolve, 30))
const refusal = (result: ExecutionResult) => result.errors?.map((e) => e.extensions) ?? []

describe('@concurrencyLimit on a type', () => {
  it('limits every field of the type, each with its own slots named by its coordinate', async () => {
    const limiter = memory()
    const g = gate()
    const schema = build(limiter, () => g.opened)
    const first = run(schema, '{ a }')
    await tick()
    const refused = await run(schema, '{ a }')
    expect(refused.data).toEqual({ a: null })
    expect(refusal(refused)).toEqual([
      { code: 'CONCURRENCY_LIMITED', limit: 1, active: 1, policy: 'Query.a' },
    ])
    const other = run(schema, '{ b }') // Query.b has slots of its own
    g.open()
    expect((await first).data).toEqual({ a: 'a' })
    expect((await other).data).toEqual({ b: 'b' })
    await limiter.close()
  })

  it("a field's own directive wins over its type's", async () => {
    const limiter = memory()
    const g = gate()
    const schema = build(limiter, () => g.opened)
    const held = [run(schema, '{ wide }'), run(schema, '{ wide }')]
    await tick()
    expect(refusal(await run(schema, '{ wide }'))).toEqual([
      { code: 'CONCURRENCY_LIMITED', limit: 2, active: 2, policy: 'Query.wide' },
    ])
    g.open()
    for (const result of await Promise.all(held)) expect(result.data).toEqual({ wide: 'wide' })
    await limiter.close()
  })

  it("an interface field's directive wins over the implementing type's", async () => {
    const limiter = memory()
    const g = gate()
    const schema = build(limiter, () => g.opened)
    const first = run(schema, '{ doc { slow } }')
    await tick()
    expect(refusal(await run(schema, '{ doc { slow } }'))).toEqual([
      { code: 'CONCURRENCY_LIMITED', limit: 1, active: 1, policy: 'Doc.slow' },
    ])
    // Doc.other follows the type: 5 at once.
    const others = Array.from({ length: 5 }, () => run(schema, '{ doc { other } }'))
    await tick()
    expect(refusal(await run(schema, '{ doc { other } }'))).toMatchObject([{ limit: 5, policy: 'Doc.other' }])
    g.open()
    await Promise.all([first, ...others])
    await limiter.close()
  })

  it("a type's bucket is shared by all its fields", async () => {
    const limiter = memory()
    const g = gate()
    const schema = build(limiter, () => g.opened)
    const first = run(schema, '{ report { x } }')
    await tick()
    expect(refusal(await run(schema, '{ report { y } }'))).toEqual([
      { code: 'CONCURRENCY_LIMITED', limit: 1, active: 1, policy: 'reports' },
    ])
    g.open()
    expect((await first).data).toEqual({ report: { x: 'x' } })
    await limiter.close()
  })

  it('on the subscription type, limits open subscriptions of every field', async () => {
    const limiter = memory()
    const g = gate()
    const schema = build(limiter, () => g.opened)
    const open = (await subscribe({
      schema,
      document: parse('subscription { feed }'),
      contextValue: { user: { id: 'alice' } },
    })) as AsyncGenerator<ExecutionResult>
    expect((await open.next()).value.data).toEqual({ feed: 1 })
    const refused = (await subscribe({
      schema,
      document: parse('subscription { feed }'),
      contextValue: { user: { id: 'alice' } },
    })) as ExecutionResult
    expect(refusal(refused)).toMatchObject([{ code: 'CONCURRENCY_LIMITED', policy: 'Subscription.feed' }])
    await open.return(undefined)
    g.open()
    await limiter.close()
  })

  it('fails at schema build naming the field, the type it was declared on and the argument', () => {
    const { typeDefs, transformer } = concurrencyLimitDirective({ limiter: memory() })
    const build = (types: string) => transformer(makeExecutableSchema({ typeDefs: [typeDefs, types] }))
    expect(() => build('type Query @concurrencyLimit(max: 0) { x: Int }')).toThrow(
      /@concurrencyLimit on Query\.x \(declared on type Query\): expected `max` to be an integer from 1 to 10000, got 0/,
    )
    expect(() =>
      build('type Query { t: T } type T @concurrencyLimit(max: 1, bucket: "") { x: Int }'),
    ).toThrow(/@concurrencyLimit on T\.x \(declared on type T\): expected `bucket`/)
    expect(() =>
      build('interface I { x: Int @concurrencyLimit(max: 20000) } type Query implements I { x: Int }'),
    ).toThrow(/@concurrencyLimit on Query\.x \(declared on interface I\): expected `max`/)
    // Fields sharing a bucket share its slots: they must agree on how many.
    expect(() =>
      build(
        'type Query { a: Int @concurrencyLimit(max: 2, bucket: "exports") b: Int @concurrencyLimit(max: 3, bucket: "exports") }',
      ),
    ).toThrow(/on Query\.b: bucket "exports" has max 3 here but 2 on Query\.a/)
    expect(
      build(
        'type Query { a: Int @concurrencyLimit(max: 2, bucket: "exports") b: Int @concurrencyLimit(max: 2, bucket: "exports") }',
      ),
    ).toBeDefined()
    // A field's valid directive does not hide its type's invalid one for the other fields.
    expect(() =>
      build('type Query @concurrencyLimit(max: -1) { x: Int @concurrencyLimit(max: 1) y: Int }'),
    ).toThrow(/Query\.y \(declared on type Query\)/)
  })

  it('is detected on a type when declared but never transformed', () => {
    const { typeDefs, transformer } = concurrencyLimitDirective({ limiter: memory() })
    const raw = makeExecutableSchema({
      typeDefs: [typeDefs, 'type Query @concurrencyLimit(max: 1) { x: Int }'],
    })
    expect(() => assertRateLimitsApplied(raw, { directive: 'concurrencyLimit' })).toThrow(
      /@concurrencyLimit on Query\.x/,
    )
    expect(() => assertRateLimitsApplied(transformer(raw), { directive: 'concurrencyLimit' })).not.toThrow()
  })
})

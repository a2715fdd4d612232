/**
 * `@concurrencyLimit` is declared `on FIELD_DEFINITION`, so a schema author may write it on an
 * interface field. graphql-js does not copy directives to the implementations, so a limit read
 * from object fields only was silently not enforced: every caller could run as many of those
 * resolvers at once as it liked. `@rateLimit` inherits from interface fields, and so must this:
 * the implementation's field is limited as `Type.field` of the object type.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { type ExecutionResult, graphql } from 'graphql'
import { describe, expect, it } from 'vitest'
import { assertRateLimitsApplied, concurrencyLimitDirective } from '../../src/graphql/index.js'
import { createRateLimiter, MemoryStore } from '../../src/index.js'
import { closeAfterEach } from '../helpers.js'

const opened = closeAfterEach()

const sdl = /* GraphQL */ `
  interface Exportable { export: String @concurrencyLimit(max: 1) }
  type Report implements Exportable { export: String }
  type Invoice implements Exportable { export: String @concurrencyLimit(max: 2) }
  type Query { report: Report invoice: Invoice }
`

function setup() {
  const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
  opened.push(limiter)
  let finish!: () => void
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })
  let running = 0
  let most = 0
  const work = async () => {
    most = Math.max(most, ++running)
    await done
    running--
    return 'done'
  }
  const { typeDefs, transformer } = concurrencyLimitDirective({ limiter })
  const schema = transformer(
    makeExecutableSchema({
      typeDefs: [typeDefs, sdl],
      resolvers: {
        Query: { report: () => ({}), invoice: () => ({}) },
        Report: { export: work },
        Invoice: { export: work },
      },
    }),
  )
  const run = (source: string) =>
    graphql({ schema, source, contextValue: { user: { id: 'mallory' } } }) as Promise<ExecutionResult>
  return { schema, run, finish, most: () => most }
}

describe('@concurrencyLimit on an interface field', () => {
  it('limits the implementations that do not repeat it, as Type.field of the object type', async () => {
    const { run, finish, most } = setup()
    const pending = run('{ a: report { export } b: report { export } c: report { export } }')
    await new Promise((resolve) => setTimeout(resolve, 10))
    finish()
    const result = await pending
    expect(most()).toBe(1)
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual([
      'CONCURRENCY_LIMITED',
      'CONCURRENCY_LIMITED',
    ])
    expect(result.errors?.[0]?.extensions?.policy).toBe('Report.export')
  })

  it("lets an implementation's own directive win", async () => {
    const { run, finish, most } = setup()
    const pending = run('{ a: invoice { export } b: invoice { export } c: invoice { export } }')
    await new Promise((resolve) => setTimeout(resolve, 10))
    finish()
    expect((await pending).errors).toHaveLength(1)
    expect(most()).toBe(2)
  })

  it('is seen as applied by assertRateLimitsApplied', () => {
    const { schema } = setup()
    expect(() => assertRateLimitsApplied(schema, { directive: 'concurrencyLimit' })).not.toThrow()
  })
})

describe('an invalid @concurrencyLimit on an interface field', () => {
  it('is refused when the schema is transformed, naming the field and the interface', () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    opened.push(limiter)
    const { typeDefs, transformer } = concurrencyLimitDirective({ limiter })
    const schema = makeExecutableSchema({
      typeDefs: [
        typeDefs,
        'interface Node { heavy: String @concurrencyLimit(max: 0) } type Item implements Node { heavy: String } type Query { item: Item }',
      ],
    })
    expect(() => transformer(schema)).toThrow(
      '@concurrencyLimit on Item.heavy (declared on interface Node): expected `max` to be an integer from 1 to 10000, got 0',
    )
  })
})

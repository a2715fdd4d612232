import { readFileSync } from 'node:fs'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { buildSchema, getDirectiveValues, parse } from 'graphql'
import { createYoga } from 'graphql-yoga'
import { describe, expect, it } from 'vitest'
import {
  assertRateLimitsApplied,
  RATE_LIMIT_SDL,
  rateLimitDirective,
  useRateLimitHeaders,
} from '../../src/graphql/index.js'
import { limitedSchema, memoryLimiter } from './fixtures.js'

const schemaFile = new URL('../../schema/rate-limit.graphql', import.meta.url)

describe('the directive SDL', () => {
  it('is exactly schema/rate-limit.graphql', () => {
    const { limiter } = memoryLimiter()
    expect(rateLimitDirective({ limiter }).typeDefs).toBe(readFileSync(schemaFile, 'utf8'))
    expect(RATE_LIMIT_SDL).toBe(readFileSync(schemaFile, 'utf8'))
  })

  it('declares the contract arguments, repeatable, on fields and objects, with descriptions', () => {
    const directive = buildSchema(`${RATE_LIMIT_SDL}\ntype Query { a: Int }`).getDirective('rateLimit')!
    expect(directive.isRepeatable).toBe(true)
    expect(directive.locations).toEqual(['FIELD_DEFINITION', 'OBJECT'])
    expect(directive.description).toMatch(/per caller/)
    const args = Object.fromEntries(directive.args.map((a) => [a.name, String(a.type)]))
    expect(args).toEqual({
      limit: 'Int!',
      // A window or a calendar period (exactly one, checked when the schema is built).
      window: 'String',
      period: 'String',
      timeZone: 'String',
      algorithm: 'String',
      burst: 'Int',
      cost: 'Int',
      bucket: 'String',
      message: 'String',
      shadow: 'Boolean',
    })
    expect(directive.args.every((a) => a.description)).toBe(true)
    expect(directive.args.find((a) => a.name === 'cost')!.defaultValue).toBe(1)
  })

  it('takes another name when asked', () => {
    const { limiter } = memoryLimiter()
    const { typeDefs, transformer } = rateLimitDirective({ limiter, name: 'throttle' })
    expect(typeDefs).not.toContain('@rateLimit')
    const schema = transformer(
      makeExecutableSchema({
        typeDefs: [typeDefs, 'type Query { a: Int @throttle(limit: 1, window: "1s") }'],
      }),
    )
    const node = parse('type Query { a: Int @throttle(limit: 1, window: "1s") }').definitions[0] as never
    expect(
      getDirectiveValues(schema.getDirective('throttle')!, (node as { fields: [object] }).fields[0] as never),
    ).toEqual({
      limit: 1,
      window: '1s',
      cost: 1,
      shadow: false,
    })
    expect(schema.getQueryType()!.getFields().a!.extensions.resolverRateLimit).toHaveProperty('throttle')
  })
})

describe('options of rateLimitDirective', () => {
  const { limiter } = memoryLimiter()
  it.each([
    [{}, /`limiter`/],
    [{ limiter, name: 'rate-limit' }, /`name`.*GraphQL name/],
    [{ limiter, listMode: 'items' }, /`listMode`.*'path' or 'each'.*"items"/],
    [{ limiter, errorMessage: '' }, /`errorMessage`/],
    [{ limiter, identify: 'user' }, /`identify`/],
    [{ limiter, coalesce: 'yes' }, /`coalesce`/],
  ])('rejects %o when the directive is built', (options, message) => {
    expect(() => rateLimitDirective(options as never)).toThrow(message)
  })
})

describe('directive arguments are validated when the schema is transformed', () => {
  const { limiter } = memoryLimiter()
  const build = (sdl: string) => () => limitedSchema(limiter, sdl)
  it.each([
    ['type Query { search: Int @rateLimit(limit: 0, window: "1m") }', 'Query.search', '`limit`', 'got 0'],
    [
      'type Query { search: Int @rateLimit(limit: 5, window: "soon") }',
      'Query.search',
      '`window`',
      'got "soon"',
    ],
    [
      'type Query { search: Int @rateLimit(limit: 5, window: "1m", cost: 0) }',
      'Query.search',
      '`cost`',
      'got 0',
    ],
    [
      'type Query { search: Int @rateLimit(limit: 5, window: "1m", cost: 6) }',
      'Query.search',
      '`cost`',
      'at most `limit` (5)',
    ],
    [
      'type Query { search: Int @rateLimit(limit: 5, window: "1m", bucket: "") }',
      'Query.search',
      '`bucket`',
      'got ""',
    ],
    [
      'type Query { search: Int @rateLimit(limit: 5, window: "1m", message: "") }',
      'Query.search',
      '`message`',
      'got ""',
    ],
    [
      'type Query @rateLimit(limit: -1, window: "1m") { a: Int }',
      'Query.a (declared on type Query)',
      '`limit`',
      'got -1',
    ],
    [
      'type Query { a: Int @rateLimit(limit: 1, window: "1s") @rateLimit(limit: 5, window: "1m", cost: 2) }',
      'Query.a',
      '`cost`',
      '1 and 2',
    ],
    [
      'type Query { a: Int @rateLimit(limit: 1, window: "1s") @rateLimit(limit: 1, window: "1000ms") }',
      'Query.a',
      'same name, limit, window',
      'rules of one check to differ',
    ],
    [
      'type Query { a: Int @rateLimit(limit: 5, window: "1m", bucket: "b") c: Int @rateLimit(limit: 6, window: "1m", bucket: "b") }',
      'Query.c',
      'bucket "b" is 6 per 1m here but 5 per 1m on Query.a',
      'must declare the same `limit` and `window`',
    ],
  ])('%s fails naming %s and %s', (sdl, coordinate, argument, detail) => {
    const attempt = build(sdl)
    expect(attempt).toThrow(expect.objectContaining({ code: 'INVALID_DIRECTIVE' }))
    expect(attempt).toThrow(`Invalid @rateLimit on ${coordinate}:`)
    expect(attempt).toThrow(argument)
    expect(attempt).toThrow(detail)
  })

  it('fails when the schema does not declare the directive', () => {
    const { transformer } = rateLimitDirective({ limiter })
    expect(() => transformer(buildSchema('type Query { a: Int }'))).toThrow(
      /does not declare the directive @rateLimit/,
    )
  })

  it('leaves a schema without limits as it is, and wraps a transformed schema only once', async () => {
    const { transformer } = rateLimitDirective({ limiter })
    const plain = makeExecutableSchema({ typeDefs: [RATE_LIMIT_SDL, 'type Query { a: Int }'] })
    expect(transformer(plain)).toBe(plain)
    const once = limitedSchema(limiter, 'type Query { a: Int @rateLimit(limit: 1, window: "1m") }')
    const twice = transformer(once)
    expect(twice.getQueryType()!.getFields().a!.resolve).toBe(once.getQueryType()!.getFields().a!.resolve)
  })
})

describe('a forgotten transformer', () => {
  const sdl =
    'type Query { search: Int @rateLimit(limit: 1, window: "1m") other: Int } type Post @rateLimit(limit: 1, window: "1s") { id: Int }'
  const untransformed = () => makeExecutableSchema({ typeDefs: [RATE_LIMIT_SDL, sdl] })

  it('is reported by assertRateLimitsApplied, naming the fields', () => {
    expect(() => assertRateLimitsApplied(untransformed())).toThrow(
      expect.objectContaining({
        code: 'TRANSFORMER_NOT_APPLIED',
        message: expect.stringMatching(/@rateLimit on Query.search, @rateLimit on Post.id.*transformer/),
      }),
    )
    const { limiter } = memoryLimiter()
    expect(() => assertRateLimitsApplied(limitedSchema(limiter, sdl))).not.toThrow()
  })

  it('makes createYoga with useRateLimitHeaders() throw', () => {
    expect(() => createYoga({ schema: untransformed(), plugins: [useRateLimitHeaders()] })).toThrow(
      /TRANSFORMER|not rate-limited/,
    )
    const { limiter } = memoryLimiter()
    expect(() =>
      createYoga({ schema: limitedSchema(limiter, sdl), plugins: [useRateLimitHeaders()] }),
    ).not.toThrow()
  })

  it('checks custom directive names, or nothing when told so', () => {
    const custom = makeExecutableSchema({
      typeDefs: [
        RATE_LIMIT_SDL.replaceAll('@rateLimit', '@throttle'),
        'type Query { a: Int @throttle(limit: 1, window: "1m") }',
      ],
    })
    expect(() => assertRateLimitsApplied(custom)).not.toThrow()
    expect(() => assertRateLimitsApplied(custom, { directive: ['rateLimit', 'throttle'] })).toThrow(
      /@throttle on Query.a/,
    )
    expect(() =>
      createYoga({ schema: custom, plugins: [useRateLimitHeaders({ directive: 'throttle' })] }),
    ).toThrow(/@throttle/)
    expect(() =>
      createYoga({ schema: custom, plugins: [useRateLimitHeaders({ directive: [] })] }),
    ).not.toThrow()
  })
})

/**
 * The server-neutral helpers: `trackRateLimits()` in the context of a plain graphql-js execution,
 * `rateLimitResponse()` on its result — the status, headers and extension any server copies out;
 * and the same on an Envelop-built executor, as the README shows for Envelop-based servers.
 */
import { envelop, useEngine, useSchema } from '@envelop/core'
import { execute, graphql, parse, specifiedRules, subscribe, validate } from 'graphql'
import { describe, expect, it } from 'vitest'
import { GraphQLConcurrencyLimitedError } from '../../src/graphql/concurrency-errors.js'
import { rateLimitResponse, trackRateLimits } from '../../src/graphql/index.js'
import { limitedSchema, memoryLimiter } from './fixtures.js'

const sdl = `type Query {
  search: String @rateLimit(limit: 1, window: "1m")
  strict: String! @rateLimit(limit: 1, window: "1m")
  ping: String
}`

function setup() {
  const { limiter } = memoryLimiter()
  const schema = limitedSchema(limiter, sdl, {
    Query: { search: () => 'found', strict: () => 's', ping: () => 'pong' },
  })
  return async (source: string, tracking = trackRateLimits()) => {
    const context = { user: { id: 'alice' }, ...tracking }
    const result = await graphql({ schema, source, contextValue: context })
    return { result, context, answer: rateLimitResponse(result, context) }
  }
}

describe('trackRateLimits() and rateLimitResponse()', () => {
  it('give headers and the extension without a status while the limit admits', async () => {
    const run = setup()
    const { answer } = await run('{ search }')
    expect(answer).toEqual({
      headers: { 'RateLimit-Policy': '"Query.search";q=1;w=60', RateLimit: '"Query.search";r=0;t=60' },
      extension: { policies: [{ policy: 'Query.search', limit: 1, remaining: 0, reset: 60, window: 60 }] },
    })
  })

  it('give 429 with Retry-After once every root field is refused, also when a non-null field nulls the data', async () => {
    const run = setup()
    await run('{ search strict }')
    const all = await run('{ search }')
    expect(all.answer.status).toBe(429)
    expect(all.answer.headers['Retry-After']).toBe('60')
    expect(all.answer.extension?.policies[0]).toMatchObject({ remaining: 0, retryAfter: 60 })
    const nulled = await run('{ strict }')
    expect(nulled.result.data).toBeNull()
    expect(nulled.answer.status).toBe(429)
  })

  it('keep the status and drop Retry-After when some data still comes back', async () => {
    const run = setup()
    await run('{ search }')
    const { result, answer } = await run('{ search ping }')
    expect(result.data).toEqual({ search: null, ping: 'pong' })
    expect(answer.status).toBeUndefined()
    expect(answer.headers['Retry-After']).toBeUndefined()
    expect(answer.headers.RateLimit).toBe('"Query.search";r=0;t=60')
  })

  it('give nothing for an operation that touched no limit, or a context without tracking', async () => {
    const run = setup()
    expect((await run('{ ping }')).answer).toEqual({ headers: {} })
    expect(rateLimitResponse({ data: null, errors: [] }, {})).toEqual({ headers: {} })
    expect(rateLimitResponse(undefined, null)).toEqual({ headers: {} })
  })

  it("list every policy touched with policies: 'all', and refuse a bad option when built", async () => {
    const run = setup()
    const { answer } = await run('{ search strict }', trackRateLimits({ policies: 'all' }))
    expect(answer.headers['RateLimit-Policy']).toBe('"Query.search";q=1;w=60, "Query.strict";q=1;w=60')
    expect(() => trackRateLimits({ policies: 'every' as never })).toThrow(/`policies`/)
  })

  it('answer 200 when asked not to send 429', async () => {
    const run = setup()
    await run('{ search }')
    const { result, context, answer } = await run('{ search }')
    expect(answer.status).toBe(429)
    const without = rateLimitResponse(result, context, { status429: false })
    expect(without.status).toBeUndefined()
    expect(without.headers['Retry-After']).toBeUndefined()
  })
})

describe('on an Envelop-based server', () => {
  it('puts the tracking in the context with onContextBuilding and answers from the executed result', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(limiter, sdl, { Query: { search: () => 'found', ping: () => 'pong' } })
    const getEnveloped = envelop({
      plugins: [
        useEngine({ parse, validate, specifiedRules, execute, subscribe }),
        useSchema(schema),
        { onContextBuilding: ({ extendContext }) => extendContext(trackRateLimits()) },
      ],
    })
    const run = async () => {
      const { parse, contextFactory, execute, schema } = getEnveloped({ user: { id: 'alice' } })
      const contextValue = await contextFactory()
      const result = await execute({ schema, document: parse('{ search }'), contextValue })
      return rateLimitResponse(result, contextValue)
    }
    expect((await run()).headers.RateLimit).toBe('"Query.search";r=0;t=60')
    const refused = await run()
    expect(refused.status).toBe(429)
    expect(refused.headers['Retry-After']).toBe('60')
  })

  it('answers 429 without headers when only a concurrency limit refused every root field', () => {
    const decision = { limit: 1, active: 1, name: 'export', reason: 'limited' } as never
    const error = new GraphQLConcurrencyLimitedError('busy', decision, { path: ['search'] })
    const context = trackRateLimits()
    const answer = rateLimitResponse({ data: { search: null }, errors: [error] }, context)
    expect(answer.status).toBe(429)
    expect(answer.headers).toEqual({})
    const partial = rateLimitResponse({ data: { search: null, ping: 'pong' }, errors: [error] }, context)
    expect(partial.status).toBeUndefined()
  })
})

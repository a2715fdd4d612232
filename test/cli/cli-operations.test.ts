/**
 * The command line as an operator meets it on a bad day (issue 12): rules whose names extend each
 * other, credentials in every spot a Redis URL can hold them, a wrong database index, a Redis that
 * is down — and finding a customer's usage by the API key id the README says to log.
 */
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  createIdentify,
  createRateLimiter,
  createRedisApiKeys,
  type RateLimiter,
  RedisStore,
} from '../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'
import { freePort } from '../setup/redis-server.js'
import { cli, json } from './run-cli.js'

const api = { name: 'api', limit: 10, window: '1m' }
const apiWrite = { name: 'api:write', limit: 10, window: '1m' }
const apiWriteBulk = { name: 'api:write:bulk', limit: 10, window: '1m' }
const search = { name: 'Query.search', limit: 5, window: '1m' }

let client: Redis
let limiter: RateLimiter
let prefix: string
let redis: string

beforeAll(async () => {
  client = await ready(redisClient())
  prefix = uniquePrefix('cli-ops')
  redis = inject('redisUrl')
  limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix,
    logger: false,
    timeoutMs: 5_000,
  })
})

afterAll(async () => {
  await limiter.close()
  client.disconnect()
})

const at = () => ['--redis', redis, '--prefix', prefix]

describe('--rule selects one rule by its exact name', () => {
  beforeAll(async () => {
    for (const rule of [api, apiWrite, apiWriteBulk]) await limiter.consume('user:42', rule)
  })

  it('inspect --rule api lists the keys of "api" only, not of "api:write" or "api:write:bulk"', async () => {
    const run = await cli(['inspect', 'user:42', '--rule', 'api', '--json', ...at()])
    expect(run.code).toBe(0)
    const { keys } = json<{ keys: Array<{ rule: string }> }>(run)
    expect(keys.map((k) => k.rule)).toEqual(['api'])
  })

  it('reset --rule api deletes the keys of "api" only', async () => {
    const run = await cli(['reset', 'user:42', '--rule', 'api', '--yes', '--json', ...at()])
    expect(run.code).toBe(0)
    expect(json(run)).toMatchObject({ deleted: 1, keys: limiter.keys('user:42', api) })
    expect((await limiter.peek('user:42', api)).remaining).toBe(9) // forgotten: the peeked request only
    expect((await limiter.peek('user:42', apiWrite)).remaining).toBe(8)
    expect((await limiter.peek('user:42', apiWriteBulk)).remaining).toBe(8)
  })

  it('reset --rule api:write leaves "api:write:bulk" alone', async () => {
    const run = await cli(['reset', 'user:42', '--rule', 'api:write', '--yes', '--json', ...at()])
    expect(json(run)).toMatchObject({ deleted: 1, keys: limiter.keys('user:42', apiWrite) })
    expect((await limiter.peek('user:42', apiWriteBulk)).remaining).toBe(8)
  })
})

describe('credentials in the Redis URL', () => {
  const SECRET = 'hunter2secret'
  it.each([
    ['a password in the user info', (port: number) => `redis://admin:${SECRET}@127.0.0.1:${port}`],
    ['a secret as the user name', (port: number) => `redis://${SECRET}@127.0.0.1:${port}`],
    ['?password=', (port: number) => `redis://127.0.0.1:${port}/0?password=${SECRET}`],
    ['?pass=', (port: number) => `redis://127.0.0.1:${port}?pass=${SECRET}&family=4`],
    ['?sentinelPassword=', (port: number) => `rediss://127.0.0.1:${port}?sentinelPassword=${SECRET}`],
    [
      'an encoded password',
      (port: number) => `redis://u:${encodeURIComponent(`${SECRET}/@?`)}@127.0.0.1:${port}`,
    ],
  ])('are never printed: %s', async (_form, url) => {
    const port = await freePort()
    const run = await cli(['keys', '--timeout', '300'], { REDIS_URL: url(port) })
    expect(run.code).toBe(3)
    expect(run.stderr).toContain(`127.0.0.1:${port}`)
    expect(run.stderr).toContain('***')
    expect(`${run.stdout}${run.stderr}`).not.toContain(SECRET)
  })

  it('are never printed from a URL that does not parse', async () => {
    const run = await cli(['keys', '--redis', `redis://admin:${SECRET}@host:port:6379?password=${SECRET}`])
    expect(run.code).toBe(2)
    expect(run.stderr).not.toContain(SECRET)
  })
})

describe('the database index', () => {
  it.each([
    ['abc', (url: string) => `${url}/abc`],
    ['-1', (url: string) => `${url}/-1`],
    ['0/extra', (url: string) => `${url}/0/extra`],
    ['?db=x', (url: string) => `${url}?db=x`],
    ['?db=1&db=x', (url: string) => `${url}?db=1&db=x`],
    ['%zz', (url: string) => `${url}/%zz`],
  ])('exits with 2 and a clear message, not a stack trace, for %s', async (_db, url) => {
    const run = await cli(['keys', '--redis', url(redis.replace(/\/\d*$/, ''))])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/Expected the database in the Redis URL to be a number/)
    expect(run.stderr).not.toMatch(/^\s+at /m)
  })

  it('exits with 3 when the server has no such database, instead of using database 0', async () => {
    const run = await cli(['keys', '--redis', `${redis.replace(/\/\d*$/, '')}/999999`, '--json'])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(/DB index is out of range/)
    expect(run.stdout).toBe('')
  })
})

describe('exiting', () => {
  it('exits as soon as the error is printed when Redis is unreachable', async () => {
    const port = await freePort()
    const run = await cli(['keys', '--redis', `redis://127.0.0.1:${port}`, '--timeout', '300'])
    expect(run.code).toBe(3)
    expect(run.exitLagMs).toBeLessThan(500)
  })

  it('exits as soon as the result is printed after a command', async () => {
    const run = await cli(['keys', ...at()])
    expect(run.code).toBe(0)
    expect(run.exitLagMs).toBeLessThan(500)
  })
})

describe('inspect --key-id', () => {
  const apiPrefix = uniquePrefix('cli-keys')
  let ids: { pro: string; other: string }

  beforeAll(async () => {
    const keys = createRedisApiKeys({ client, prefix: apiPrefix, plans: { pro: { name: 'pro', scale: 2 } } })
    const pro = await keys.issue('acct_42', { plan: 'pro' })
    const other = await keys.issue('acct_7')
    ids = { pro: pro.id, other: other.id }
    // What createIdentify counts API-key callers under: the owner's budget by default.
    const identify = createIdentify({ apiKeys: { lookup: keys.lookup } })
    const caller = await identify({ req: { headers: { 'x-api-key': pro.key } } })
    const id = typeof caller === 'string' ? caller : caller.id
    for (let i = 0; i < 3; i++) await limiter.consume(id, search)
  })

  it("finds the usage of the key's owner from the id an operator logged", async () => {
    const run = await cli(['inspect', '--key-id', ids.pro, '--api-key-prefix', apiPrefix, '--json', ...at()])
    expect(run.code).toBe(0)
    const report = json<{ identity: string; apiKey: Record<string, unknown>; keys: Array<{ rule: string }> }>(
      run,
    )
    expect(report.apiKey).toMatchObject({ id: ids.pro, owner: 'acct_42', plan: 'pro', budget: 'owner' })
    expect(report.identity).toMatch(/^key:/)
    expect(report.keys.map((k) => k.rule)).toEqual(['Query.search'])
  })

  it('gives the exact numbers of one rule with --rule, --limit and --window, in text', async () => {
    const run = await cli([
      'inspect',
      '--key-id',
      ids.pro,
      '--api-key-prefix',
      apiPrefix,
      '--rule',
      search.name,
      '--limit',
      '5',
      '--window',
      '1m',
      ...at(),
    ])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/owner acct_42, plan pro/)
    expect(run.stdout).toMatch(/used\s+3 of 5/)
  })

  it('says when another key of the same owner has no usage of its own with --budget key', async () => {
    const run = await cli([
      'inspect',
      '--key-id',
      ids.other,
      '--api-key-prefix',
      apiPrefix,
      '--budget',
      'key',
      '--json',
      ...at(),
    ])
    expect(run.code).toBe(0)
    expect(json(run)).toMatchObject({ apiKey: { owner: 'acct_7', budget: 'key' }, keys: [] })
  })

  it('exits with 5 for an id the registry does not hold, and with 2 for something that is not an id', async () => {
    const unknown = await cli(['inspect', '--key-id', 'A'.repeat(43), '--api-key-prefix', apiPrefix, ...at()])
    expect(unknown.code).toBe(5)
    expect(unknown.stderr).toMatch(/No API key with id AAAAAAAA… under "rrl-test:cli-keys/)
    const bad = await cli(['inspect', '--key-id', 'rk_secret-key', ...at()])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/Expected --key-id to be the id/)
    expect(bad.stderr).not.toContain('rk_secret-key')
    const both = await cli(['inspect', 'user:1', '--key-id', ids.pro, ...at()])
    expect(both.code).toBe(2)
  })
})

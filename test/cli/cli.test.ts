import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createRateLimiter, type RateLimiter, RedisStore } from '../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'
import { freePort } from '../setup/redis-server.js'
import { cli, json, startupMs } from './run-cli.js'

const search = { name: 'Query.search', limit: 5, window: '1m' }
const create = { name: 'post.create', limit: 2000, window: '1h' } // above 1000: the counter
let client: Redis
let limiter: RateLimiter
let prefix: string
let redis: string

beforeAll(async () => {
  client = await ready(redisClient())
  prefix = uniquePrefix('cli')
  redis = inject('redisUrl')
  // A generous deadline: seeding and checks must reach Redis even on a loaded machine.
  limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix,
    logger: false,
    timeoutMs: 5_000,
  })
  const seeded = []
  for (let i = 0; i < 3; i++) seeded.push(await limiter.consume('user:1', search))
  for (let i = 0; i < 2; i++) seeded.push(await limiter.consume('user:1', create))
  seeded.push(await limiter.consume('user:2', search))
  for (let i = 0; i < 5; i++) seeded.push(await limiter.consume('ip:10.0.0.1', search))
  expect(seeded.every((d) => d.allowed && d.policy === undefined)).toBe(true) // recorded in Redis
})

afterAll(async () => {
  await limiter.close()
  client.disconnect()
})

const at = () => ['--redis', redis, '--prefix', prefix]
const rule = (r: { name: string; limit: number; window: string }) => [
  '--rule',
  r.name,
  '--limit',
  String(r.limit),
  '--window',
  r.window,
]

describe('inspect', () => {
  it('reports used, remaining and reset of one budget, computed by the engine, and records nothing', async () => {
    const run = await cli(['inspect', 'user:1', ...rule(search), '--json', ...at()])
    expect(run.code).toBe(0)
    const report = json(run)
    expect(report).toMatchObject({
      identity: 'user:1',
      used: 3,
      remaining: 2,
      nextAllowed: true,
      retryAfterMs: 0,
      exists: true,
    })
    expect(report.key).toBe(limiter.keys('user:1', search)[0])
    expect(report.resetMs).toBeGreaterThan(50_000)
    expect(report.resetMs).toBeLessThanOrEqual(60_000)
    expect((await limiter.peek('user:1', search)).remaining).toBe(1) // still 3 used: the CLI only peeked
  })

  it('says when the next request would be refused and how long to wait', async () => {
    const run = await cli(['inspect', 'ip:10.0.0.1', ...rule(search), '--json', ...at()])
    expect(json(run)).toMatchObject({ used: 5, remaining: 0, nextAllowed: false })
    // The oldest of the 5 entries leaves the 1-minute window first: the wait is what remains of it
    // (under a minute, and far more than the seconds the tests before this one take).
    expect(json(run).retryAfterMs).toBeGreaterThan(20_000)
    expect(json(run).retryAfterMs).toBeLessThanOrEqual(60_000)
  })

  it('lists every key of an identity with what it holds when no limit and window are given', async () => {
    const run = await cli(['inspect', 'user:1', ...at()])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Query\.search\s+sliding-log\s+3 request\(s\) logged/)
    expect(run.stdout).toMatch(/post\.create\s+sliding-window\s+counter/)
  })

  it('exits with 5 and names the rules the identity has when --rule matches nothing', async () => {
    const run = await cli(['inspect', 'user:1', '--rule', 'Query.serch', ...at()])
    expect(run.code).toBe(5)
    expect(run.stderr).toContain('No usage recorded for rule "Query.serch" of user:1')
    expect(run.stderr).toContain('it has usage for: Query.search, post.create')
  })
})

describe('keys', () => {
  it('lists tracked rules and identities with counts, as JSON for scripts', async () => {
    const run = await cli(['keys', '--json', ...at()])
    expect(run.code).toBe(0)
    const report = json<{
      keys: number
      rules: Array<{ name: string; keys: number }>
      identities: { count: number; shown: unknown[] }
    }>(run)
    expect(report.keys).toBe(4)
    expect(report.rules.map((r) => [r.name, r.keys])).toEqual([
      ['Query.search', 3],
      ['post.create', 1],
    ])
    expect(report.identities.count).toBe(3)
    expect(report.identities.shown).toContainEqual({
      identity: 'user:1',
      rules: ['Query.search', 'post.create'],
    })
  })

  it('filters identities with --match and prints a readable table', async () => {
    const run = await cli(['keys', '--match', 'user:*', ...at()])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^3 keys under/)
    expect(run.stdout).toMatch(/Query\.search\s+2\s+1/)
    expect(run.stdout).toContain('2 identities:')
    expect(run.stdout).not.toContain('ip:10.0.0.1')
  })
})

describe('reset', () => {
  it('refuses to delete without --yes when stdin is not a terminal, and deletes nothing', async () => {
    const run = await cli(['reset', 'user:2', ...at()])
    expect(run.code).toBe(4)
    expect(run.stderr).toContain('Re-run with --yes')
    expect((await limiter.peek('user:2', search)).remaining).toBe(3) // 1 used + the peeked request
  })

  it('deletes every key of the identity with --yes, and no other identity', async () => {
    const run = await cli(['reset', 'user:1', '--yes', '--json', ...at()])
    expect(run.code).toBe(0)
    expect(json(run)).toMatchObject({ identity: 'user:1', deleted: 2 })
    expect((await limiter.peek('user:1', search)).remaining).toBe(4)
    expect((await limiter.peek('ip:10.0.0.1', search)).allowed).toBe(false)
  })
})

describe('errors and help', () => {
  it.each([
    [['frobnicate'], /Unknown command "frobnicate"; expected one of: inspect, reset, keys/],
    [['inspect', 'user:1', '--bogus'], /Unknown option '--bogus'/],
    [['inspect'], /Expected exactly one identity/],
    [['inspect', 'user:1', '--limit', '5'], /--limit and --window go together/],
    [['inspect', 'user:1', '--limit', '5', '--window', 'soon'], /`window`.*"soon"/],
    [['keys', '--redis', 'http://localhost:6379'], /Expected a redis:\/\/ or rediss:\/\/ URL/],
    [['keys', '--redis', 'not a url'], /Expected a Redis URL like redis:\/\/localhost:6379/],
    [['keys'], /Pass --redis redis:\/\/host:6379 \(or set REDIS_URL\)/],
  ])('exits with 2 and a clear message for bad usage: %j', async (args, message) => {
    const run = await cli(args)
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(message)
    expect(run.stderr).toContain('--help')
  })

  it('exits with 3 within the timeout when Redis is unreachable, never hanging', async () => {
    const port = await freePort()
    const startup = await startupMs()
    const run = await cli(['keys', '--redis', `redis://127.0.0.1:${port}`, '--timeout', '500'])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(new RegExp(`Cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`))
    expect(run.ms - startup).toBeLessThan(3_000) // a 500 ms timeout, not retries
  })

  it('hides the password of the URL in error messages', async () => {
    const port = await freePort()
    const run = await cli(['keys', '--timeout', '300'], {
      REDIS_URL: `redis://admin:s3cret@127.0.0.1:${port}`,
    })
    expect(run.code).toBe(3)
    expect(run.stderr).not.toContain('s3cret')
  })

  it('prints help for the tool and for each command', async () => {
    const [general, inspect, keys] = await Promise.all([
      cli(['--help']),
      cli(['inspect', '--help']),
      cli(['help', 'keys']),
    ])
    expect(general.code).toBe(0)
    expect(general.stdout).toContain('Exit codes:')
    expect(inspect.stdout).toContain('Usage: resolver-rate-limit inspect <identity>')
    expect(keys.stdout).toContain('--match PATTERN')
  })
})

import { PassThrough } from 'node:stream'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { runCli } from '../../src/cli/run.js'
import { createRateLimiter, type RateLimiter, RedisStore } from '../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'
import { cli } from './run-cli.js'

const rule = { name: 'Query.search', limit: 5, window: '1m' }
let client: Redis
let limiter: RateLimiter
let prefix: string

beforeAll(async () => {
  client = await ready(redisClient())
  prefix = uniquePrefix('cli-confirm')
  // A generous deadline: seeding and checks must reach Redis even on a loaded machine.
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

/** Runs the CLI in this process with a terminal on stdin that answers `answer`. */
async function onTerminal(args: string[], answer: string) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true })
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString()
    if (err.includes('[y/N]')) stdin.write(answer)
  })
  const code = await runCli(args, { stdin, stdout, stderr, env: {} })
  return { code, stdout: out, stderr: err }
}

describe('reset on a terminal', () => {
  it('lists the keys, asks, and deletes only after a yes', async () => {
    await limiter.consume('user:7', rule)
    const run = await onTerminal(
      ['reset', 'user:7', '--redis', inject('redisUrl'), '--prefix', prefix],
      'y\n',
    )
    expect(run.stderr).toContain(limiter.keys('user:7', rule)[0])
    expect(run.stderr).toContain('Delete 1 key(s) of user:7 (Query.search)? [y/N]')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Deleted 1 key(s) of user:7')
    expect(await client.exists(limiter.keys('user:7', rule)[0]!)).toBe(0)
  })

  it('deletes nothing and exits with 4 on any other answer', async () => {
    await limiter.consume('user:8', rule)
    const run = await onTerminal(
      ['reset', 'user:8', '--redis', inject('redisUrl'), '--prefix', prefix],
      'nope\n',
    )
    expect(run.code).toBe(4)
    expect(run.stderr).toContain('Not confirmed: nothing was deleted.')
    expect(await client.exists(limiter.keys('user:8', rule)[0]!)).toBe(1)
  })

  it('resets exactly one budget through the engine when --limit and --window are given', async () => {
    const other = { name: 'Query.search', limit: 50, window: '1m' }
    await limiter.consume('user:9', rule)
    await limiter.consume('user:9', other)
    const args = ['reset', 'user:9', '--rule', 'Query.search', '--limit', '5', '--window', '1m', '--yes']
    const run = await onTerminal([...args, '--redis', inject('redisUrl'), '--prefix', prefix], '')
    expect(run.code).toBe(0)
    expect(await client.exists(limiter.keys('user:9', rule)[0]!)).toBe(0)
    expect(await client.exists(limiter.keys('user:9', other)[0]!)).toBe(1)
  })
})

describe('keys on a large keyspace', () => {
  it('reports progress on stderr every 10,000 keys while the result stays on stdout', async () => {
    const bulk = uniquePrefix('cli-bulk')
    const seeder = createRateLimiter({
      store: new RedisStore({ client, logger: false }),
      prefix: bulk,
      logger: false,
      timeoutMs: 5_000,
    })
    for (let start = 0; start < 12_000; start += 1000) {
      const decisions = await seeder.consumeMany(
        Array.from({ length: 1000 }, (_, i) => ({ identity: `user:${start + i}`, rules: rule })),
      )
      expect(decisions.every((d) => d.allowed && d.policy === undefined)).toBe(true) // recorded in Redis
    }
    await seeder.close()
    const run = await cli(['keys', '--redis', inject('redisUrl'), '--prefix', bulk, '--show', '3'])
    expect(run.code).toBe(0)
    expect(run.stderr).toMatch(/^scanned 1\d,\d{3} keys \(node 1 of 1\)…$/m)
    expect(run.stdout).toMatch(/^12,000 keys under/)
    expect(run.stdout).toContain('12,000 identities (first 3 alphabetically; --show N for more):')
    expect(run.stdout).not.toMatch(/scanned [\d,]+ keys \(node/)
    const quiet = await cli(['keys', '--quiet', '--redis', inject('redisUrl'), '--prefix', bulk])
    expect(quiet.stderr).toBe('')
  })
})

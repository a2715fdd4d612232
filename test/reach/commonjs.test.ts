/**
 * The package from a CommonJS application: built (`npm run build`), packed as npm would publish it
 * (`npm pack`) and installed into a copy of test/reach/cjs-consumer (a `"type": "commonjs"`
 * package). Node runs its program, which `require()`s every entry; TypeScript checks its file as
 * CommonJS under `module: node16` and `nodenext`. Peers (graphql, @trpc/server, @apollo/server, …) resolve from the
 * repository's node_modules, as an application's own would.
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../e2e/child.js'

const run = promisify(execFile)
const FIXTURE = join(ROOT, 'test/reach/cjs-consumer')
// Inside the repository, so that the consumer's peers resolve from its node_modules.
const APP = join(ROOT, '.tmp', `reach-cjs-${process.pid}`)

beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: ROOT, timeout: 170_000 })
  rmSync(APP, { recursive: true, force: true })
  const installed = join(APP, 'node_modules', 'resolver-rate-limit')
  mkdirSync(installed, { recursive: true })
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', APP], { cwd: ROOT })
  const tarball = join(APP, stdout.trim().split('\n').at(-1)!)
  await run('tar', ['xzf', tarball, '-C', installed, '--strip-components=1'])
  for (const file of readdirSync(FIXTURE)) cpSync(join(FIXTURE, file), join(APP, file))
}, 180_000)

afterAll(() => {
  rmSync(APP, { recursive: true, force: true })
})

describe('a CommonJS application', () => {
  it('require()s every entry of the packed package and uses it with its own graphql, @apollo/server and @trpc/server', async () => {
    const { stdout } = await run(process.execPath, ['consumer.js'], { cwd: APP, timeout: 30_000 })
    expect(stdout.trim().split('\n')).toEqual([
      'one copy: require and import share ResolverRateLimitError',
      'engine: allowed, allowed, refused limited',
      'config error: true',
      'graphql: found, then RATE_LIMITED retryAfter=60',
      'apollo: 200 "Query.ping";r=0;t=60, then 429 "Query.ping";r=0;t=60',
      'trpc: remaining 0, then TOO_MANY_REQUESTS (TRPCError), cause is TRPCRateLimitedCause: true, retry 60 s',
      // The application's own TRPCError (the CommonJS class) passes through the middleware.
      'trpc identify: UNAUTHORIZED "sign in first" instanceof TRPCError: true',
    ])
  })

  it.each([
    ['node16', 'tsconfig.json'],
    ['nodenext', 'tsconfig.nodenext.json'],
  ])(
    'type-checks as CommonJS under module %s, tRPC context keeping ctx.rateLimit with @trpc/server’s .d.cts',
    async (_, tsconfig) => {
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
      const result = await run(process.execPath, [tsc, '-p', tsconfig], { cwd: APP, timeout: 110_000 }).catch(
        (error: { stdout: string }) => ({ stdout: error.stdout }),
      )
      expect(result.stdout).toBe('')
    },
    // About 11 s of CPU (graphql, tRPC and Apollo Server declarations); minutes of wall time on a loaded machine.
    120_000,
  )
})

/**
 * The README's compatibility table (docs/compatibility.md) stays true: every test it
 * cites exists, and the client versions it names are the ones installed for the tests and the
 * ones package.json declares as peers.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { extractSnippets, ROOT } from '../docs/snippets.js'

const table = readFileSync(join(ROOT, 'docs/compatibility.md'), 'utf8')
const rows = new Map(
  [...table.matchAll(/^\| ([^|]+) \| ([^|]+) \| ([^|]+) \|$/gm)]
    .map((m) => [m[1]!.trim(), { tested: m[2]!.trim(), tests: m[3]!.trim() }] as const)
    .filter(([area]) => area !== 'Area' && !area.startsWith('---')),
)
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>
}
const major = (name: string) =>
  Number(
    (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string
      }
    ).version.split('.')[0],
  )

describe('the compatibility table', () => {
  it('backs every row with tests that exist', () => {
    expect(rows.size).toBeGreaterThanOrEqual(10)
    for (const [area, { tests }] of rows) {
      const files = [...tests.matchAll(/`((?:test|examples)\/[^`]+)`/g)].map((m) => m[1]!)
      expect(files.length, area).toBeGreaterThan(0)
      for (const file of files) expect(existsSync(join(ROOT, file)), `${area}: ${file}`).toBe(true)
    }
  })

  it('names the Redis client majors the tests install and the peer ranges declare', () => {
    expect(rows.get('ioredis')!.tested).toMatch(/^5 and 6:/)
    expect([major('ioredis'), major('ioredis6')]).toEqual([5, 6])
    expect(pkg.peerDependencies.ioredis).toBe('^5.0.0 || ^6.0.0')
    expect(rows.get('node-redis (`redis`)')!.tested).toMatch(/^5 and 6:/)
    expect([major('redis5'), major('redis')]).toEqual([5, 6])
    expect(pkg.peerDependencies.redis).toBe('^5.0.0 || ^6.0.0')
  })

  it('names the client and server majors the tests install', () => {
    expect(rows.get('Clients')!.tested).toBe(
      `Apollo Client ${major('@apollo/client')}, urql (\`@urql/core\` ${major('@urql/core')}), graphql-request ${major('graphql-request')}, @trpc/client ${major('@trpc/client')}`,
    )
    expect(rows.get('Express')!.tested).toMatch(new RegExp(`^${major('express')},`))
    expect(rows.get('tRPC')!.tested).toMatch(new RegExp(`^@trpc/server ${major('@trpc/server')}:`))
    expect(rows.get('GraphQL')!.tested).toMatch(
      new RegExp(`^graphql ${major('graphql')}, .*graphql-yoga ${major('graphql-yoga')} `),
    )
    expect(rows.get('Envelop')!.tested).toMatch(new RegExp(`^\`@envelop/core\` ${major('@envelop/core')}:`))
    expect(rows.get('Mercurius')!.tested).toMatch(
      new RegExp(`^mercurius ${major('mercurius')} on Fastify ${major('fastify')}:`),
    )
  })

  it('names the Apollo Server majors the tests install and the peer range declares', () => {
    expect(rows.get('Apollo Server')!.tested).toMatch(/^4 and 5:/)
    expect([major('@apollo/server-4'), major('@apollo/server')]).toEqual([4, 5])
    expect(pkg.peerDependencies['@apollo/server']).toBe('^4.0.0 || ^5.0.0')
  })
})

describe("the quick start's install lines", () => {
  const quickStart = readFileSync(join(ROOT, 'docs/getting-started.md'), 'utf8')
  const lines = [...quickStart.matchAll(/^npm install (.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/))
  const [graphqlStart, trpcStart] = extractSnippets(quickStart)
  /** The packages a snippet imports (subpaths folded into their package), node: built-ins left out. */
  const packagesOf = (code: string) =>
    new Set(
      [...code.matchAll(/from '([^']+)'/g)]
        .map((m) => m[1]!)
        .filter((name) => !name.startsWith('node:'))
        .map((name) =>
          name
            .split('/')
            .slice(0, name.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
    )
  /** What each entry needs besides the package (its peers). */
  const peersOf: Record<string, string[]> = {
    graphql: ['graphql', '@graphql-tools/utils'],
    trpc: ['@trpc/server'],
  }

  it.each([
    ['GraphQL', 'graphql-yoga', () => graphqlStart!.code, peersOf.graphql!],
    ['tRPC', '@trpc/server', () => trpcStart!.code, peersOf.trpc!],
  ])(
    'give the %s path one install line with every package its quick start imports',
    (_, marker, code, peers) => {
      const needed = [...packagesOf(code()), ...peers]
      const paths = lines.filter((line) => line.includes(marker))
      expect(paths.map((line) => line.at(-1))).toEqual(['ioredis'])
      for (const line of paths) expect(line).toEqual(expect.arrayContaining(needed))
    },
  )
})

/**
 * README.md is built from docs/readme/*.md by scripts/build-readme.mjs (parts that may include
 * sections of the site's pages): these tests keep the parts the single source, the README short,
 * its links alive, and the site's error-code table complete.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { brokenLinks, buildReadme, expandIncludes, headings, slugify } from '../../scripts/build-readme.mjs'
import { readme, section, site } from './markdown.js'
import { ROOT } from './snippets.js'

const README = readme()
const SCRIPT = join(ROOT, 'scripts', 'build-readme.mjs')

/** The codes in the first column of a table: `| \`CODE\` | …`. */
function tableCodes(markdown: string): string[] {
  return [...markdown.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!)
}

/** String literals of a union type alias in a source file, e.g. `type X = | 'A' | 'B'`. */
function unionMembers(file: string, type: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8')
  const declaration = new RegExp(`type ${type} =([^;]*?)(?:\\n\\n|\\n/|\\nexport)`).exec(source)
  if (!declaration) throw new Error(`No type ${type} in ${file}`)
  return [...declaration[1]!.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!)
}

describe('README.md', () => {
  it('is exactly what scripts/build-readme.mjs builds from docs/readme/*.md (run `npm run readme`)', () => {
    const built = buildReadme().split('\n')
    const current = README.split('\n')
    const differs = built.findIndex((line, i) => line !== current[i])
    const at =
      differs < 0 && built.length !== current.length ? Math.min(built.length, current.length) : differs
    expect(at < 0 ? 'up to date' : `differs from the parts at line ${at + 1}`).toBe('up to date')
  })

  it('has no link to a heading or a file that does not exist', () => {
    expect(brokenLinks(README)).toEqual([])
  })

  it('fits on a screen or two: at most 300 lines (the rest is on the site, docs/*.md)', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(300)
  })

  it('lists every ## section in its table of contents, with a working anchor', () => {
    const contents = section(README, 'Contents')
    const sections = headings(README).filter((h) => h.level === 2 && h.text !== 'Contents')
    expect(sections.length).toBeGreaterThanOrEqual(5)
    for (const h of sections) expect(contents).toContain(`(#${h.anchor})`)
  })

  it('has, on the site, one row in the error-code table for every code the package throws or sends, and no other', () => {
    const codes = [
      ...unionMembers('src/errors.ts', 'ResolverRateLimitErrorCode'),
      ...unionMembers('src/graphql/cost/cost-errors.ts', 'CostErrorCode'),
    ]
    expect(codes).toContain('QUERY_TOO_EXPENSIVE')
    const rows = tableCodes(section(site(), 'Error codes'))
    expect([...rows].sort()).toEqual([...new Set(codes)].sort())
  })

  it('shows the two commands, the quick starts and the benchmark placeholder', () => {
    expect(README).toContain('npm install && npm start')
    expect(README).toMatch(/^npm test\b/m)
    expect(section(README, 'GraphQL quick start')).toContain("from 'resolver-rate-limit/graphql'")
    expect(section(README, 'tRPC quick start')).toContain("from 'resolver-rate-limit/trpc'")
    expect(section(README, 'Benchmarks')).toMatch(/<!-- bench -->\n\|[^\n]+\|\n/)
  })
})

describe('scripts/build-readme.mjs', () => {
  it('makes anchors the way GitHub does', () => {
    expect(slugify('GraphQL: the `@rateLimit` directive')).toBe('graphql-the-ratelimit-directive')
    expect(slugify('Headers and status: `useRateLimitHeaders()`')).toBe(
      'headers-and-status-useratelimitheaders',
    )
    expect(slugify('`inspect <identity>`')).toBe('inspect-identity')
    expect(slugify('Shadow mode: roll a limit out — before enforcing it')).toBe(
      'shadow-mode-roll-a-limit-out--before-enforcing-it',
    )
    expect(headings('## A\n```sh\n## not a heading\n```\n## A\n').map((h) => h.anchor)).toEqual(['a', 'a-1'])
  })

  it('includes a section of a page, its headings moved to the level asked and its links made relative to the root', () => {
    const part = '<!-- include: docs/getting-started.md#trpc-quick-start level=3 -->'
    const included = expandIncludes(part)
    expect(included).toMatch(/^### tRPC quick start\n/)
    expect(included).toContain('[tRPC](docs/trpc.md)')
    expect(included).not.toContain('## GraphQL quick start')
    expect(() => expandIncludes('<!-- include: docs/getting-started.md#nowhere -->')).toThrow(
      /no heading #nowhere/,
    )
  })

  it('reports a link to a missing heading or file', () => {
    expect(
      brokenLinks('## Here\n[ok](#here) [gone](#there) [file](no/such/file.ts) [web](https://x.y)\n'),
    ).toEqual(['line 2: #there (no such heading)', 'line 2: no/such/file.ts (no such file)'])
  })

  it('--check exits 0 for a current README and 1 for a stale one', async () => {
    const run = promisify(execFile)
    const dir = join(ROOT, '.tmp', 'readme-check')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'current.md'), buildReadme())
    writeFileSync(join(dir, 'stale.md'), buildReadme().replace('## Quick start', '## Quick stop'))
    await expect(
      run(process.execPath, [SCRIPT, '--check', '--out', join(dir, 'current.md')]),
    ).resolves.toBeDefined()
    await expect(
      run(process.execPath, [SCRIPT, '--check', '--out', join(dir, 'stale.md')]),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('not up to date'),
    })
  })
})

/**
 * Every ```ts block of README.md compiles against the sources: extracted into `.tmp/snippets-<pid>/`
 * and type-checked by `tsc` in a child process (see snippets.ts for the `prelude` and
 * `snippet: skip` comments).
 */
import { describe, expect, it } from 'vitest'
import { readme } from './markdown.js'
import { extractSnippets, type Snippet, typeCheck } from './snippets.js'

describe('the README snippets', () => {
  it('finds every ts block with its line, prelude and skip comments', () => {
    const markdown = [
      '# T', // 1
      '<!-- prelude: declare const redis: unknown -->', // 2
      '```ts', // 3
      'const a = redis', // 4
      '```', // 5
      '<!-- snippet: skip (partial on purpose) -->', // 6
      '```ts', // 7
      'nope(', // 8
      '```', // 9
      '```sh', // 10
      'npm test', // 11
      '```', // 12
      '- item', // 13
      '  ```ts', // 14
      '  const b = 1', // 15
      '  ```', // 16
    ].join('\n')
    expect(extractSnippets(markdown)).toEqual([
      { line: 4, code: 'const a = redis', prelude: 'declare const redis: unknown', skip: false },
      { line: 8, code: 'nope(', prelude: '', skip: true },
      { line: 15, code: 'const b = 1', prelude: '', skip: false },
    ])
  })

  it('type-check without errors, and an error in a snippet is reported at its README line', async () => {
    const snippets = extractSnippets(readme())
    expect(snippets.length).toBeGreaterThan(20)
    // A snippet that must fail, checked in the same compiler run: proves errors are seen and placed.
    const canary: Snippet = {
      line: 1_000_000,
      code: "const n: number = 'not a number'",
      prelude: '',
      skip: false,
    }
    const errors = await typeCheck([...snippets, canary])
    expect(errors.filter((e) => e.line === canary.line).map((e) => e.message)).toEqual([
      expect.stringContaining('TS2322'),
    ])
    expect(
      errors.filter((e) => e.line !== canary.line).map((e) => `README.md:${e.line}: ${e.message}`),
    ).toEqual([])
  }, 60_000)
})

/**
 * Every ```ts block of README.md and of every page of the docs site (docs/*.md) compiles against
 * the sources: extracted into `.tmp/snippets-<pid>/` and type-checked by one `tsc` in a child
 * process (see snippets.ts for the `prelude` and `snippet: skip` comments).
 */
import { describe, expect, it } from 'vitest'
import { pages, readme } from './markdown.js'
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

  it('type-check without errors in the README and every site page, and an error is reported at its file and line', async () => {
    const files = [{ path: 'README.md', markdown: readme() }, ...pages()]
    // One compiler run for every file: snippet lines are offset per file, then placed back.
    const STRIDE = 100_000
    const all: Snippet[] = []
    files.forEach((file, index) => {
      for (const snippet of extractSnippets(file.markdown))
        all.push({ ...snippet, line: index * STRIDE + snippet.line })
    })
    expect(all.length).toBeGreaterThan(35)
    expect(extractSnippets(readme()).length).toBeGreaterThan(1)
    // A snippet that must fail, checked in the same compiler run: proves errors are seen and placed.
    const canary: Snippet = {
      line: 1_000 * STRIDE,
      code: "const n: number = 'not a number'",
      prelude: '',
      skip: false,
    }
    const errors = await typeCheck([...all, canary])
    expect(errors.filter((e) => e.line === canary.line).map((e) => e.message)).toEqual([
      expect.stringContaining('TS2322'),
    ])
    const place = (line: number) => `${files[Math.floor(line / STRIDE)]?.path ?? '?'}:${line % STRIDE}`
    expect(errors.filter((e) => e.line !== canary.line).map((e) => `${place(e.line)}: ${e.message}`)).toEqual(
      [],
    )
  }, 120_000)
})

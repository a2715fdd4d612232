/**
 * Extracts the ```ts blocks of a Markdown file and type-checks them against the sources.
 *
 * Each block becomes a module in `.tmp/snippets-<pid>/` (git-ignored; one folder per process, so
 * parallel runs in one working tree do not collide; removed after the check) whose imports of
 * `resolver-rate-limit[/graphql|/trpc|/apollo|/metrics|/testing]` resolve to `src/` through a generated tsconfig
 * `paths`. Two HTML comments right before a block steer it:
 *
 *   <!-- prelude: declare const redis: import('ioredis').Redis -->   code the block assumes, not shown
 *   <!-- snippet: skip (why) -->                                      not checked; say why
 */
import { execFile } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

export const ROOT = join(import.meta.dirname, '..', '..')
const OUT = join(ROOT, '.tmp', `snippets-${process.pid}`)

/** One code block: where it starts in the Markdown and what is compiled. */
export interface Snippet {
  /** 1-based line of the block's first code line in the Markdown file. */
  readonly line: number
  readonly code: string
  /** Hidden code compiled before the block. */
  readonly prelude: string
  readonly skip: boolean
}

/** A compiler error, placed in the Markdown file. */
export interface SnippetError {
  readonly line: number
  readonly message: string
}

const FENCE = /^(\s*)(`{3,})\s*([\w-]*)\s*$/
const TS_LANGS = new Set(['ts', 'typescript'])

/** Finds every ```ts block and the `prelude` / `snippet: skip` comments right before it. */
export function extractSnippets(markdown: string): Snippet[] {
  const lines = markdown.split('\n')
  const snippets: Snippet[] = []
  let comments: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trim().startsWith('<!--')) {
      let comment = line
      while (!comment.includes('-->') && i + 1 < lines.length) comment += `\n${lines[++i]}`
      comments.push(comment.trim())
      continue
    }
    const fence = FENCE.exec(line)
    if (!fence) {
      if (line.trim() !== '') comments = []
      continue
    }
    const [, indent = '', marker = '', lang = ''] = fence
    const start = i + 1
    const body: string[] = []
    while (++i < lines.length && !(lines[i]!.trim().startsWith(marker) && lines[i]!.trim() === marker)) {
      body.push(lines[i]!.startsWith(indent) ? lines[i]!.slice(indent.length) : lines[i]!)
    }
    if (TS_LANGS.has(lang)) snippets.push({ line: start + 1, code: body.join('\n'), ...directives(comments) })
    comments = []
  }
  return snippets
}

function directives(comments: readonly string[]): { prelude: string; skip: boolean } {
  const preludes: string[] = []
  let skip = false
  for (const comment of comments) {
    const text = comment.replace(/^<!--/, '').replace(/-->$/, '').trim()
    if (/^snippet:\s*skip\b/.test(text)) skip = true
    const prelude = /^prelude:\s*([\s\S]*)$/.exec(text)
    if (prelude) preludes.push(prelude[1]!.trim())
  }
  return { prelude: preludes.join('\n'), skip }
}

/** Declarations for packages a snippet shows but this repository does not install. */
const AMBIENT = `declare module 'pino' {
  const pino: (options?: object) => { warn(message: string): void; error(message: string): void }
  export default pino
}
`

const PATHS = {
  'resolver-rate-limit': ['../../src/index.ts'],
  'resolver-rate-limit/graphql': ['../../src/graphql/index.ts'],
  'resolver-rate-limit/trpc': ['../../src/trpc/index.ts'],
  'resolver-rate-limit/apollo': ['../../src/apollo/index.ts'],
  'resolver-rate-limit/metrics': ['../../src/metrics/index.ts'],
  'resolver-rate-limit/testing': ['../../src/testing/index.ts'],
}

/** The file of snippet `index` and the line its code starts on there. */
function render(snippet: Snippet): { text: string; offset: number } {
  const prelude = snippet.prelude ? `${snippet.prelude}\n` : ''
  return { text: `${prelude}${snippet.code}\nexport {}\n`, offset: prelude.split('\n').length - 1 }
}

/**
 * Writes the snippets (skipped ones excluded) and runs `tsc -p` on them in a child process.
 * Errors are placed at their Markdown line; an error inside a prelude is placed at the block.
 */
export async function typeCheck(snippets: readonly Snippet[]): Promise<SnippetError[]> {
  rmSync(OUT, { recursive: true, force: true })
  mkdirSync(OUT, { recursive: true })
  const files = new Map<string, { snippet: Snippet; offset: number }>()
  snippets.forEach((snippet, index) => {
    if (snippet.skip) return
    const name = `snippet-${String(index + 1).padStart(3, '0')}.ts`
    const { text, offset } = render(snippet)
    writeFileSync(join(OUT, name), text)
    files.set(name, { snippet, offset })
  })
  writeFileSync(join(OUT, 'ambient.d.ts'), AMBIENT)
  const tsconfig = {
    extends: '../../tsconfig.json',
    compilerOptions: { noEmit: true, paths: PATHS },
    include: ['./*.ts'],
  }
  writeFileSync(join(OUT, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const output = await promisify(execFile)(
    process.execPath,
    [tsc, '-p', join(OUT, 'tsconfig.json'), '--pretty', 'false'],
    {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    },
  ).then(
    ({ stdout }) => stdout,
    (error: { stdout?: string; message: string }) => error.stdout || error.message,
  )
  rmSync(OUT, { recursive: true, force: true })
  return parseErrors(output, files)
}

function parseErrors(
  output: string,
  files: Map<string, { snippet: Snippet; offset: number }>,
): SnippetError[] {
  const errors: SnippetError[] = []
  for (const line of output.split('\n')) {
    const match = /([^/\\\s]+\.ts)\((\d+),\d+\): (error .*)$/.exec(line)
    if (!match) {
      if (/error TS/.test(line)) errors.push({ line: 0, message: line.trim() })
      continue
    }
    const file = files.get(match[1]!)
    if (!file) {
      errors.push({ line: 0, message: line.trim() })
      continue
    }
    const at = Number(match[2]) - 1 - file.offset
    errors.push({ line: file.snippet.line + Math.max(0, at), message: match[3]! })
  }
  return errors
}

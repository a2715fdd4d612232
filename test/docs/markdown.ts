/** Reading the README and the site's pages (docs/*.md) by their headings, for the docs tests. */
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { sitePages } from '../../scripts/check-docs-links.mjs'
import { ROOT } from './snippets.js'

/** The README as committed. */
export function readme(): string {
  return readFileSync(join(ROOT, 'README.md'), 'utf8')
}

/** The site's pages: their path from the repository root and their Markdown. */
export function pages(): Array<{ path: string; markdown: string }> {
  return sitePages().map((file) => ({ path: relative(ROOT, file), markdown: readFileSync(file, 'utf8') }))
}

/** Every page of the site, one after the other (each starts with its `#` title). */
export function site(): string {
  return pages()
    .map((page) => page.markdown)
    .join('\n\n')
}

/** The Markdown between a heading (its text, without `#`) and the next heading of the same or a higher level. */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n')
  const level = (line: string): number => /^#+(?= )/.exec(line)?.[0].length ?? 0
  const start = lines.findIndex((line) => level(line) > 1 && line.replace(/^#+ /, '') === heading)
  if (start < 0) throw new Error(`No heading "${heading}"`)
  const end = lines.findIndex(
    (line, i) => i > start && level(line) > 0 && level(line) <= level(lines[start]!),
  )
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n')
}

/** The first cells of the table rows of some Markdown. */
export function firstCells(markdown: string): string[] {
  return [...markdown.matchAll(/^\|([^|\n]*)\|/gm)].map((m) => m[1]!.trim())
}

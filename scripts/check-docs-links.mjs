#!/usr/bin/env node
/**
 * The documentation site's link check: every link in every page of docs/ (the site) and in
 * README.md leads somewhere — a heading of the same page, a page of docs/ and a heading on it,
 * a file of the repository (`../examples/x.ts`, which the site links to on GitHub), or a path of
 * the built site (`/api/`). VitePress's own build check knows pages but not headings.
 *
 *   node scripts/check-docs-links.mjs      exit 1 and list the broken links
 *
 * Plain Node, no dependencies.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brokenLinks, ROOT } from './build-readme.mjs'

export const DOCS = join(ROOT, 'docs')

/** The site's Markdown pages: docs/*.md and the generated API reference when it was built. */
export function sitePages(root = ROOT) {
  const docs = join(root, 'docs')
  return readdirSync(docs)
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => join(docs, file))
}

/** `path: line N: target (why)` for every broken link of the pages and the README. */
export function brokenDocsLinks(root = ROOT) {
  const docs = join(root, 'docs')
  const broken = []
  for (const page of [...sitePages(root), join(root, 'README.md')]) {
    const markdown = readFileSync(page, 'utf8')
    const inDocs = page.startsWith(docs)
    for (const problem of brokenLinks(markdown, inDocs ? docs : root, inDocs ? docs : root)) {
      // `/api/` and other site paths: the generated reference, checked when it has been built.
      if (/: \/api\//.test(problem) && !existsSync(join(docs, 'api'))) continue
      broken.push(`${relative(root, page)}: ${problem}`)
    }
  }
  return broken
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const broken = brokenDocsLinks()
  if (broken.length > 0) {
    console.error(`Links that lead nowhere:\n  ${broken.join('\n  ')}`)
    process.exitCode = 1
  } else {
    console.log(`docs links: ${sitePages().length} pages and README.md, no broken link`)
  }
}

#!/usr/bin/env node
/**
 * Turns a README part written the old way (`docs/readme/NN-topic.md`: `##` sections, links relative
 * to the repository root, `#anchors` into the one long README) into a page of the docs site:
 *
 *   node scripts/docs-page-from-part.mjs docs/readme/22-blocked-caller-cache.md blocked-caller-cache
 *
 * - moves the file with `git mv` (so git follows the rename) to `docs/<page>.md`;
 * - raises the headings so that the first is the page's `# Title` (`## Topic` → `# Topic`, and a
 *   `###` part written to continue a README section becomes a page of its own);
 * - rewrites links: a repository file `examples/x.ts` → `../examples/x.ts`; an `#anchor` that is
 *   not on the page → `./other-page.md#anchor` (or `./other-page.md` for its title);
 * - prints the sidebar line to add to docs/.vitepress/sidebar.mts, and the links it could not place.
 *
 * Then: `npm run readme`, `node scripts/check-docs-links.mjs`, `npx vitest run test/docs`.
 * Plain Node, no dependencies.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { headings, ROOT } from './build-readme.mjs'

const FENCE = /^\s*(`{3,}|~{3,})/

/** Each line with whether it is prose (outside fenced code). */
function* lines(markdown) {
  let fence
  for (const line of markdown.split('\n')) {
    const marker = FENCE.exec(line)?.[1]
    if (marker) {
      if (!fence) fence = marker
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined
      yield [line, false]
      continue
    }
    yield [line, !fence]
  }
}

/** Anchor → the page of docs/ that has it, and each page's title anchor. */
function siteAnchors(root, except) {
  const where = new Map()
  const titles = new Map()
  for (const file of readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md') && f !== except)) {
    const found = headings(readFileSync(join(root, 'docs', file), 'utf8'))
    if (found[0]) titles.set(file, found[0].anchor)
    for (const h of found) if (!where.has(h.anchor)) where.set(h.anchor, file)
  }
  return { where, titles }
}

/** The page's Markdown: headings raised one level, links relative to docs/. */
export function pageFromPart(markdown, page, root = ROOT) {
  // The first heading becomes the page's `#` title (a `###` part, written to continue a `##`
  // section of the README, becomes a page of its own); the others move by as many levels.
  const first = [...lines(markdown)].find(([line, prose]) => prose && /^#+ /.test(line))
  const by = first ? /^#+/.exec(first[0])[0].length - 1 : 0
  const raised = [...lines(markdown)]
    .map(([line, prose]) => {
      const hashes = prose ? /^#+(?= )/.exec(line)?.[0] : undefined
      return hashes ? `${'#'.repeat(Math.max(1, hashes.length - by))}${line.slice(hashes.length)}` : line
    })
    .join('\n')
  const own = new Set(headings(raised).map((h) => h.anchor))
  const { where, titles } = siteAnchors(root, `${page}.md`)
  const unplaced = []
  const out = [...lines(raised)].map(([line, prose]) => {
    if (!prose) return line
    return line.replace(/\]\(([^)\s]+)\)/g, (link, target) => {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('.') || target.startsWith('/')) return link
      if (target.startsWith('#')) {
        const anchor = target.slice(1)
        if (own.has(anchor)) return link
        const file = where.get(anchor)
        if (!file) {
          unplaced.push(target)
          return link
        }
        return titles.get(file) === anchor ? `](./${file})` : `](./${file}#${anchor})`
      }
      if (!existsSync(join(root, target.split('#')[0]))) unplaced.push(target)
      return `](../${target})`
    })
  })
  return { markdown: out.join('\n'), unplaced }
}

function main([part, page]) {
  if (!part || !page || !/^[a-z0-9-]+$/.test(page)) {
    console.error('Usage: node scripts/docs-page-from-part.mjs docs/readme/NN-topic.md page-name')
    return 2
  }
  const target = join('docs', `${page}.md`)
  if (existsSync(join(ROOT, target))) {
    console.error(`${target} exists already`)
    return 1
  }
  const { markdown, unplaced } = pageFromPart(readFileSync(join(ROOT, part), 'utf8'), page)
  execFileSync('git', ['mv', part, target], { cwd: ROOT })
  writeFileSync(join(ROOT, target), markdown)
  const title = headings(markdown)[0]?.text.replace(/`/g, '') ?? page
  console.log(`${part} → ${target}`)
  console.log(`Add to docs/.vitepress/sidebar.mts, in its group:\n  { text: '${title}', link: '/${page}' },`)
  if (unplaced.length > 0) console.log(`Links to fix by hand:\n  ${unplaced.join('\n  ')}`)
  return 0
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2))
}

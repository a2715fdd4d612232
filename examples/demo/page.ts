/**
 * The demo page (examples/demo/page/): `/` for a browser (a request that accepts text/html),
 * its script and style under `/demo/`. Static files read once at start-up, served from a fixed
 * table: no path from the request ever reaches the file system.
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'

const read = (file: string) => readFileSync(new URL(`./page/${file}`, import.meta.url))

const FILES: ReadonlyMap<string, { type: string; body: Buffer }> = new Map([
  ['/', { type: 'text/html; charset=utf-8', body: read('index.html') }],
  ['/demo/page.js', { type: 'text/javascript; charset=utf-8', body: read('page.js') }],
  ['/demo/page.css', { type: 'text/css; charset=utf-8', body: read('page.css') }],
])

/** Serves the page's files; false when `path` is not one (or `/` was asked for by curl). */
export function servePage(path: string, req: IncomingMessage, res: ServerResponse): boolean {
  const file = FILES.get(path)
  if (!file) return false
  if (path === '/' && !req.headers.accept?.includes('text/html')) return false
  res.writeHead(200, {
    'content-type': file.type,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  })
  res.end(file.body)
  return true
}

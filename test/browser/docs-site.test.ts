/**
 * The built documentation site (docs/.vitepress/dist, `npm run docs:build`) in a real headless
 * Chromium: served by a small static server, it opens, its navigation leads from page to page, the
 * local search finds `trustProxy`, and a screenshot is saved under .tmp/screenshots/.
 * When the site has not been built yet, the test builds it first (CI builds it before the tests).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../docs/snippets.js'
import { launchChromium, screenshotPath } from './chromium.js'

const DIST = join(ROOT, 'docs', '.vitepress', 'dist')
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
}
const WAIT = { timeout: 15_000 }

/** The file a clean URL stands for: `/engine` → engine.html, `/api/` → api/index.html. */
function fileFor(url: string): string | undefined {
  const path = normalize(decodeURIComponent(new URL(url, 'http://x').pathname))
  if (path.includes('..')) return undefined
  for (const candidate of [path, `${path}.html`, join(path, 'index.html')]) {
    const file = join(DIST, candidate)
    if (existsSync(file) && statSync(file).isFile()) return file
  }
  return undefined
}

function serveDist(): Promise<Server> {
  const server = createServer((req, res) => {
    const file = fileFor(req.url ?? '/')
    res.writeHead(file ? 200 : 404, {
      'content-type': TYPES[extname(file ?? '.html')] ?? 'application/octet-stream',
    })
    res.end(readFileSync(file ?? join(DIST, '404.html')))
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

describe('the documentation site in a browser', () => {
  let server: Server
  let base: string
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.html'))) {
      execFileSync('npm', ['run', 'docs:build'], { cwd: ROOT, stdio: 'ignore' })
    }
    server = await serveDist()
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  }, 600_000)

  afterAll(async () => {
    await browser?.close()
    server?.close()
  })

  it('opens on the home page and follows the navigation to the guide and between pages', async () => {
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(`${base}/`)
    await page.getByRole('link', { name: 'Get started' }).first().click()
    await expect.poll(() => page.locator('h1').first().textContent(), WAIT).toMatch(/^Quick start/)
    expect(new URL(page.url()).pathname).toBe('/getting-started')
    await page.locator('.VPSidebar').getByRole('link', { name: 'Identity and proxies' }).click()
    await expect
      .poll(() => page.locator('h1').first().textContent(), WAIT)
      .toMatch(/^Identity: who is calling/)
    await page.locator('.VPSidebar').getByRole('link', { name: 'API reference' }).click()
    await expect.poll(() => new URL(page.url()).pathname, WAIT).toBe('/api/')
    // The reference's index links to each entry's module page (resolver-rate-limit/graphql among them).
    await expect.poll(() => page.locator('.vp-doc a[href*="graphql"]').count(), WAIT).toBeGreaterThan(0)
    expect(errors).toEqual([])
  })

  it('finds trustProxy with the local search and opens the page it names', async () => {
    await page.goto(`${base}/getting-started`)
    await page.locator('.VPNavBarSearch button').click()
    const input = page.locator('.VPLocalSearchBox input')
    await input.fill('trustProxy')
    const results = page.locator('.VPLocalSearchBox .result')
    await expect.poll(() => results.count(), WAIT).toBeGreaterThan(0)
    expect(await results.first().textContent()).toMatch(/trustProxy|proxies|Client IP/i)
    const shot = screenshotPath('docs-site-search')
    await page.screenshot({ path: shot })
    expect(existsSync(shot)).toBe(true)
    await results.first().click()
    await expect.poll(() => page.locator('.vp-doc').textContent(), WAIT).toContain('trustProxy')
    await page.screenshot({ path: screenshotPath('docs-site-page'), fullPage: false })
  })
})

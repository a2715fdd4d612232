/**
 * The demo page at `/` in a real headless Chromium: pick a caller, fire at a limited procedure,
 * see the window fill, a refusal's 429 and its countdown.
 */
import { existsSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Child, runTs } from '../e2e/child.js'
import { launchChromium, screenshotPath } from './chromium.js'

/** The machine is shared: give the page time, the assertions still say what must appear. */
const WAIT = { timeout: 10_000 }

describe('the demo page', () => {
  let demo: Child
  let base: string
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    demo = runTs('examples/demo-server.ts', { PORT: '0' })
    const [, port] = await demo.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 30_000)
    base = `http://127.0.0.1:${port}`
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await demo?.stop('SIGKILL')
  })

  it('shows one panel per algorithm and the three callers', async () => {
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(`${base}/`)
    await expect.poll(() => page.locator('section.view').count(), WAIT).toBeGreaterThanOrEqual(2)
    expect(await page.getByTestId('view-slidingLog').locator('h2').textContent()).toBe('Sliding log')
    expect(await page.getByTestId('view-slidingWindow').locator('h2').textContent()).toBe(
      'Sliding-window counter',
    )
    expect(await page.getByTestId('view-tokenBucket').locator('h2').textContent()).toBe('Token bucket')
    expect(await page.locator('input[name=caller]').count()).toBe(3)
    expect(errors).toEqual([])
  })

  it('refuses the 6th request of a burst with 429 and counts down to the retry', async () => {
    await page.locator('#caller-free').check()
    const panel = page.getByTestId('view-slidingLog')
    await panel.getByTestId('fire-burst').click()
    await expect.poll(() => panel.getByTestId('status').textContent(), WAIT).toBe('429')
    const countdown = panel.getByTestId('countdown')
    const first = await countdown.textContent()
    expect(first).toMatch(/^retry in (9|10) s$/)
    await expect.poll(() => countdown.textContent(), { timeout: 3_000 }).not.toBe(first)
    expect(await countdown.textContent()).toMatch(/^retry in [89] s$/)
    expect(await panel.getByTestId('last').textContent()).toMatch(/retry-after: (9|10)/)
    await expect.poll(() => panel.getByTestId('usage').textContent(), WAIT).toMatch(/^5 of 5 used/)
    const shot = screenshotPath('demo-page')
    await page.screenshot({ path: shot, fullPage: true })
    expect(existsSync(shot)).toBe(true)
  })

  it('gives the pro key its own, ten times larger budget: the same burst is admitted', async () => {
    await page.locator('#caller-pro').check()
    const panel = page.getByTestId('view-slidingWindow')
    await panel.getByTestId('fire-burst').click()
    await expect.poll(() => panel.getByTestId('status').textContent(), WAIT).toBe('200')
    await expect.poll(() => panel.getByTestId('usage').textContent(), WAIT).toMatch(/^6 of 50 used/)
  })

  it('shows the token bucket refilling one token at a time: the 6th request waits about 2 s, not 10', async () => {
    await page.locator('#caller-free').check()
    const panel = page.getByTestId('view-tokenBucket')
    await panel.getByTestId('fire-burst').click()
    await expect.poll(() => panel.getByTestId('status').textContent(), WAIT).toBe('429')
    expect(await panel.getByTestId('countdown').textContent()).toMatch(/^retry in [12] s$/)
    expect(await panel.getByTestId('last').textContent()).toMatch(/retry-after: [12]\b/)
  })
})

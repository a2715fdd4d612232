/**
 * A real headless Chromium for the browser tests: Debian's `chromium` package (CI installs it,
 * see .ci/run), driven by playwright-core through its executable path. No browser is downloaded.
 * CHROMIUM_PATH points at another binary.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { ROOT } from '../docs/snippets.js'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  }
  // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] })
}

/** `.tmp/screenshots/<name>.png`, its folder created. */
export function screenshotPath(name: string): string {
  const dir = join(ROOT, '.tmp', 'screenshots')
  mkdirSync(dir, { recursive: true })
  return join(dir, `${name}.png`)
}

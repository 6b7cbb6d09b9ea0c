import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

/** Debian's Chromium (`apt-get install -y chromium`); never a browser download. */
export const CHROMIUM = '/usr/bin/chromium'

export const hasChromium = (): boolean => existsSync(CHROMIUM)

/**
 * Launch Debian's Chromium headless (a temporary profile Playwright removes on close), the way the
 * studio's tests and bench/studio.ts drive it: one browser per file, a context per engine.
 */
export async function launchChromium(): Promise<Browser> {
  if (!hasChromium()) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`)
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  })
}

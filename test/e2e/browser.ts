import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from '../helpers/process.js';

/**
 * Debian's Chromium, with the flags this closed network needs (no background calls home).
 * Each launch gets a fresh, empty --user-data-dir: playwright creates one in the temp dir
 * and removes it on close (it refuses the flag in args; launchPersistentContext is its way
 * to choose the folder, and we want several isolated contexts per browser).
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Autoplay without a gesture, as a kiosk and the review player's "play" need.
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

export interface Watched {
  page: Page;
  /** Console errors, page errors and failed requests seen so far. */
  errors: string[];
}

/**
 * A page that records every console error, uncaught exception and failed same-origin
 * request, so a test can assert the app ran clean. Requests the test expects to fail
 * (`allow`) are left out.
 */
export async function watchedPage(context: BrowserContext, allow: RegExp[] = []): Promise<Watched> {
  const page = await context.newPage();
  // Fail at the step that hangs, well inside the test's own timeout.
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  const allowed = (text: string) => allow.some((re) => re.test(text));
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const text = `console: ${msg.text()} @ ${msg.location().url}`;
      if (!allowed(text)) errors.push(text);
    }
  });
  page.on('pageerror', (err) => {
    errors.push(`pageerror: ${err.message}`);
  });
  return { page, errors };
}

export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/**
 * Headless Chromium for the browser tests (Debian's `chromium` package). CI installs it and a
 * missing browser fails there; on a machine without it the browser tests are skipped with a
 * note, so `npm test` still runs everything else.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { describe } from 'vitest';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM_PATH);

if (!available && !process.env.CI)
  console.warn(`Chromium not found at ${CHROMIUM_PATH}: browser tests skipped (apt-get install -y chromium).`);

/** `describe` for tests that need the browser: skipped only outside CI when it is missing. */
export const describeWithBrowser = available || process.env.CI ? describe : describe.skip;

/** Flags without which Chromium stalls on a closed network. */
export function launchChromium(): Promise<Browser> {
  if (!available)
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}; install it with: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

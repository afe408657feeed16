/**
 * The login browser: Debian's Chromium driven by Playwright's library (never a browser Playwright
 * downloads). One per run, launched on first use and closed when the run ends (a run-scoped
 * resource of the RunCache); every login gets a fresh context, so no session carries over.
 */
import { type Browser, chromium } from 'playwright-core';
import { EnvironmentError } from '../lib/errors.ts';
import { chromiumPath } from '../tools/discover.ts';
import type { RunCache } from './cache.ts';

/** Keeps Chromium quiet on the network (no updates, sync, first-run probes) and runnable as root in CI. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** The Chromium the login uses: tool discovery decides (TOKENPROOF_CHROMIUM, PATH, Playwright's, setup's). */
export const chromiumExecutable = chromiumPath;

export async function launchBrowser(): Promise<Browser> {
  const executablePath = await chromiumExecutable();
  try {
    return await chromium.launch({ executablePath, headless: true, args: chromiumArgs });
  } catch (error) {
    throw new EnvironmentError(
      `Chromium at ${executablePath} did not start: ${(error as Error).message.split('\n')[0]}`,
      'run `tokenproof setup`, or point TOKENPROOF_CHROMIUM at a working Chromium',
    );
  }
}

/** The run's browser: launched by the first login, closed by RunCache.dispose() at the end of the run. */
export function runBrowser(cache: RunCache, owner: string): Promise<Browser> {
  return cache.resource('browser', owner, launchBrowser, (browser) => browser.close());
}

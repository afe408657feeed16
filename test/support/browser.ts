/**
 * Real-browser helpers for tests: Debian's Chromium driven through Playwright (never a browser
 * Playwright downloads), a browser context that can only reach loopback addresses, and a tiny
 * HTTP listener to act as an OAuth client's redirect_uri.
 */
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium } from '@playwright/test';
import { chromiumArgs, chromiumExecutable } from '../../harness/steps/browser.ts';
import { repoRoot } from '../../harness/tools/paths.ts';

/**
 * Launches headless Chromium, found as the harness finds it (tool discovery). A missing Chromium throws an
 * EnvironmentError that says how to install it: browser tests fail loudly (in CI and
 * elsewhere) rather than skip, so a green run always means the browser really ran.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await chromiumExecutable();
  return chromium.launch({ executablePath, headless: true, args: chromiumArgs });
}

/** A context whose pages may only talk to 127.0.0.1 / ::1 / localhost; anything else is aborted and recorded. */
export async function newLoopbackContext(browser: Browser): Promise<{ context: BrowserContext; blocked: string[] }> {
  const context = await browser.newContext();
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    if (hostname === '127.0.0.1' || hostname === '[::1]' || hostname === 'localhost') return route.continue();
    blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  return { context, blocked };
}

/** A path under test-results/ (git-ignored) for screenshots and other artifacts; the folder is created. */
export async function artifactPath(name: string): Promise<string> {
  const directory = join(repoRoot, 'test-results');
  await mkdir(directory, { recursive: true });
  return join(directory, name);
}

export interface CallbackListener {
  /** The redirect URI to register: http://127.0.0.1:<port>/callback. */
  redirectUri: string;
  /** Every request the listener received, as full URLs. */
  hits: URL[];
  close(): Promise<void>;
}

/** An OAuth client's redirect target: answers 200 with a short page and records what arrived. */
export async function startCallbackListener(): Promise<CallbackListener> {
  const hits: URL[] = [];
  let base = '';
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    hits.push(new URL(request.url ?? '/', base));
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end('<!doctype html><title>callback</title><p>Authorization response received.</p>');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    redirectUri: `${base}/callback`,
    hits,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

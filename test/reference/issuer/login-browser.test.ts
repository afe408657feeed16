/**
 * The reference issuer's login page driven by a real Chromium: the authorization_code + PKCE
 * flow as a user's browser performs it, landing on a real redirect_uri listener.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authorizationUrl, type ClientAuth, type Pkce, pkcePair, tokenRequest } from '../../../harness/oauth/client.ts';
import {
  artifactPath,
  type CallbackListener,
  launchChromium,
  newLoopbackContext,
  startCallbackListener,
} from '../../support/browser.ts';
import { claimsOf, startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

const webSecret = randomBytes(24).toString('base64url');
const web: ClientAuth = { method: 'client_secret_basic', clientId: 'web', secret: webSecret };

let callback: CallbackListener;
let t: TestIssuer;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let blocked: string[];
let page: Page;

beforeAll(async () => {
  callback = await startCallbackListener();
  t = await startTestIssuer({
    clients: [
      {
        id: 'web',
        secret: webSecret,
        scopes: ['openid', 'read'],
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [callback.redirectUri],
      },
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await callback?.close();
});
beforeEach(async () => {
  // Launched here rather than in beforeAll: vitest reports a beforeAll failure as skipped tests,
  // and a missing Chromium must show up as failed ones.
  browser ??= await launchChromium();
  const loopback = await newLoopbackContext(browser);
  ({ context, blocked } = loopback);
  page = await loopback.context.newPage();
  callback.hits.length = 0;
});
afterEach(async () => {
  if (!context) return;
  await context.close();
  context = undefined;
  // The login page and the callback are on 127.0.0.1: the browser never had a reason to go elsewhere.
  expect(blocked).toEqual([]);
});

function startLogin(pkce: Pkce, state: string, nonce: string): string {
  return authorizationUrl({
    authorizationEndpoint: t.endpoints.authorize,
    clientId: 'web',
    redirectUri: callback.redirectUri,
    scope: 'openid read',
    state,
    nonce,
    codeChallenge: pkce.challenge,
  });
}

const onCallback = (url: URL) => url.href.startsWith(`${callback.redirectUri}?`);

async function fillLogin(password: string): Promise<void> {
  await page.fill('#username', t.user.username);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
}

describe('login page in Chromium', () => {
  it('signs the user in and lands on the redirect_uri with a code that redeems for tokens', async () => {
    const pkce = pkcePair();
    const state = randomBytes(8).toString('hex');
    const nonce = randomBytes(8).toString('hex');
    const loaded = await page.goto(startLogin(pkce, state, nonce));
    expect(loaded?.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe('Sign in');
    await expect(page.locator('main').textContent()).resolves.toContain('web asks for: openid read');
    await page.screenshot({ path: await artifactPath('reference-issuer-login-page.png'), fullPage: true });

    await fillLogin(t.user.password);
    await page.waitForURL(onCallback, { timeout: 10_000 });

    const landed = new URL(page.url());
    expect(landed.origin + landed.pathname).toBe(callback.redirectUri);
    expect(landed.searchParams.get('state')).toBe(state);
    expect(landed.searchParams.get('iss')).toBe(t.url);
    expect(landed.searchParams.get('error')).toBeNull();
    const code = landed.searchParams.get('code');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The listener itself saw the same authorization response (not just the browser's URL bar).
    expect(callback.hits.map((hit) => hit.searchParams.get('code'))).toEqual([code]);

    const answer = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'authorization_code', code: code!, redirect_uri: callback.redirectUri, code_verifier: pkce.verifier },
      web,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.token_type).toBe('Bearer');
    expect(answer.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(claimsOf(answer.body.access_token!)).toMatchObject({ sub: 'user-alice', client_id: 'web', scope: 'openid read' });
    expect(claimsOf(answer.body.id_token!)).toMatchObject({ sub: 'user-alice', aud: 'web', nonce, iss: t.url });
  });

  it('shows an error on the page for a wrong password, sends nothing to the client, and lets the user retry', async () => {
    const pkce = pkcePair();
    await page.goto(startLogin(pkce, 'retry-state', 'retry-nonce'));

    const refused = page.waitForResponse((response) => response.request().method() === 'POST');
    await fillLogin(`${t.user.password}-wrong`);
    expect((await refused).status()).toBe(401);
    await expect(page.locator('[role=alert]').textContent()).resolves.toBe('Wrong username or password.');
    expect(new URL(page.url()).origin).toBe(t.url);
    expect(callback.hits).toEqual([]);
    await expect(page.locator('#password').inputValue()).resolves.toBe('');

    // Same page, right password: the form is still usable and the flow completes.
    await fillLogin(t.user.password);
    await page.waitForURL(onCallback, { timeout: 10_000 });
    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe('retry-state');
    expect(landed.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

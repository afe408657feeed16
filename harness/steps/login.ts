/**
 * Login steps: user tokens from any issuer, through a real browser login (authorization_code
 * with PKCE S256) or, where the target has no browser login, a command that prints a refresh
 * token. API (on t.steps):
 *
 *   authorizeInBrowser(options?) → AuthorizationResponse
 *       Runs the profile's login.steps in a fresh Chromium context and returns what reached the
 *       redirect listener: `code`, or `error`/`errorDescription` (an error redirect is returned,
 *       not thrown: the check judges it). state and iss (RFC 9207) are checked here.
 *       options: client ('primary' | 'secondary' | 'public'), scope, resource, pkce ('S256' |
 *       'none': send no code_challenge, for the downgrade check), extra (more query parameters).
 *   redeemCode(authorization, { auth?, params?, headers? }) → HttpAnswer<TokenAnswer>
 *       The token request for that code (redirect_uri and code_verifier from the authorization);
 *       `params` overrides or (with undefined) drops parameters; the check judges the answer.
 *   userTokens(options?) → UserTokens
 *       Login + redemption that must succeed (else StepError); the id_token's nonce is checked.
 *       `dpopKey` adds a DPoP proof to the code redemption.
 *   userRefreshToken(options?) → UserTokens with refreshToken set
 *       Browser login when the profile has steps, else login.refreshTokenCommand. `via` says
 *       which way was used ('browser' | 'command'); `describeLogin(tokens)` says it in words.
 *
 * A step that times out is a StepError naming the step, its selector, the page (query
 * redacted) and a screenshot saved under the run folder. Codes, verifiers and tokens are
 * registered with the run's redactor before anything is recorded.
 */
import { execFile } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  authorizationUrl,
  type ClientAuth,
  dpopProof,
  type FormParams,
  type HttpAnswer,
  type Pkce,
  pkcePair,
  type TokenAnswer,
} from '../oauth/client.ts';
import { listenForRedirect, RedirectListenerError } from '../oauth/redirect-listener.ts';
import type { LoginStep } from '../profile/schema.ts';
import { CheckFailed, StepError } from '../runner/verdict.ts';
import { runBrowser } from './browser.ts';
import type { discoverySteps } from './discovery.ts';
import type { StepIO } from './io.ts';
import type { ClientName, tokenSteps } from './token.ts';

export type LoginClient = Extract<ClientName, 'primary' | 'secondary' | 'public'>;

export interface AuthorizeOptions {
  client?: LoginClient;
  scope?: string;
  resource?: string;
  /** 'none' sends no code_challenge (the PKCE downgrade check, T07). */
  pkce?: 'S256' | 'none';
  extra?: Record<string, string>;
}

export interface AuthorizationResponse {
  clientName: LoginClient;
  auth: ClientAuth;
  redirectUri: string;
  scope: string;
  state: string;
  nonce: string;
  pkce: Pkce | undefined;
  code?: string;
  error?: string;
  errorDescription?: string;
  /** The callback's parameter names (values are not kept: they may be secrets). */
  parameters: string[];
}

export interface DpopKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  alg: string;
}

export interface UserTokens {
  via: 'browser' | 'command';
  clientName: LoginClient;
  auth: ClientAuth;
  accessToken?: string;
  refreshToken?: string;
  idToken?: string;
  scope?: string;
  /** The token endpoint's answer (browser logins). */
  answer?: HttpAnswer<TokenAnswer>;
  authorization?: AuthorizationResponse;
}

const randomValue = () => randomBytes(16).toString('base64url');

/** A URL for evidence: origin and path; the query (codes, states, session ids) is never shown. */
export function redactUrlQuery(url: string): string {
  try {
    const parsed = new URL(url);
    const names = [...new Set(parsed.searchParams.keys())];
    return `${parsed.origin}${parsed.pathname}${names.length ? `?${names.map((name) => `${name}=…`).join('&')}` : ''}`;
  } catch {
    return '[unparseable URL]';
  }
}

function describeStep(step: LoginStep): string {
  if ('fill' in step) return `fill ${step.fill}`;
  if ('click' in step) return `click ${step.click}`;
  if ('select' in step) return `select ${step.select}`;
  return `waitFor ${step.waitFor}`;
}

async function runStep(page: Page, step: LoginStep, timeout: number): Promise<void> {
  if ('fill' in step) await page.fill(step.fill, step.value, { timeout });
  else if ('click' in step) await page.click(step.click, { timeout });
  else if ('select' in step) await page.selectOption(step.select, step.value, { timeout });
  else await page.waitForSelector(step.waitFor, { timeout, state: 'visible' });
}

export function describeLogin(tokens: UserTokens): string {
  return tokens.via === 'browser'
    ? `user login in Chromium for the ${tokens.clientName} client`
    : `refresh token from the profile's refreshTokenCommand (${tokens.clientName} client; no browser login)`;
}

function payloadOf(jwt: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function loginSteps(io: StepIO, discovery: ReturnType<typeof discoverySteps>, token: ReturnType<typeof tokenSteps>) {
  const login = () => io.target.profile.issuer?.login;

  function loginClient(name: LoginClient) {
    const profile = io.target.profile.issuer?.clients?.[name];
    if (!profile) throw new StepError(`the profile has no ${name} client (issuer.clients.${name})`);
    return { profile, auth: token.client(name) };
  }

  async function screenshot(page: Page, label: string): Promise<string | undefined> {
    const directory = join(io.cache.artifactsDir ?? join(tmpdir(), 'tokenproof'), 'screenshots');
    const file = join(directory, `${io.checkId}-${label}-${Date.now()}.png`.replace(/[^A-Za-z0-9._-]/g, '_'));
    try {
      await mkdir(directory, { recursive: true });
      await page.screenshot({ path: file, timeout: 5_000 });
      return file;
    } catch {
      return undefined;
    }
  }

  async function authorizeInBrowser(options: AuthorizeOptions = {}): Promise<AuthorizationResponse> {
    const settings = login();
    if (!settings?.steps) throw new StepError('the profile gives no browser login (issuer.login.steps)');
    const clientName = options.client ?? 'primary';
    const { profile, auth } = loginClient(clientName);
    const redirectUri = profile.redirectUri ?? settings.redirectUri;
    if (!redirectUri) throw new StepError('the profile gives no login.redirectUri');
    const scope = options.scope ?? settings.scope ?? (profile.scopes.length ? profile.scopes.join(' ') : 'openid');
    const pkce = options.pkce === 'none' ? undefined : pkcePair();
    const state = randomValue();
    const nonce = randomValue();
    io.redactor.register(pkce?.verifier);
    io.redactor.register(state);
    io.redactor.register(nonce);
    const url = authorizationUrl({
      authorizationEndpoint: await discovery.endpoint('authorization_endpoint'),
      clientId: auth.clientId,
      redirectUri,
      scope,
      state,
      nonce,
      ...(pkce && { codeChallenge: pkce.challenge }),
      ...(options.resource && { resource: options.resource }),
      ...(options.extra && { extra: options.extra }),
    });
    const listener = await listenForRedirect(redirectUri).catch((error: Error) => {
      throw error instanceof RedirectListenerError ? new StepError(error.message) : error;
    });
    const browser = await runBrowser(io.cache, io.checkId);
    const context = await browser.newContext();
    const timeout = settings.stepTimeout;
    try {
      const page = await context.newPage();
      io.note(
        `browser login for the ${clientName} client ${auth.clientId}: GET ${redactUrlQuery(url)} (scope ${scope}, PKCE ${pkce ? 'S256' : 'none'}, state and nonce random)`,
      );
      const arrived = listener.callback.then(() => 'callback' as const);
      const navigation = page.goto(url, { timeout, waitUntil: 'domcontentloaded' });
      navigation.catch(() => {});
      const opened = await Promise.race([navigation.then(() => 'page' as const), arrived]).catch(async (error: Error) => {
        throw new StepError(
          `the authorization endpoint did not load in the browser: ${error.message.split('\n')[0]} (page ${redactUrlQuery(page.url())})`,
        );
      });
      if (opened === 'page') {
        for (const [index, step] of settings.steps.entries()) {
          if (listener.received()) break;
          const done = runStep(page, step, timeout);
          done.catch(() => {});
          try {
            await Promise.race([done, arrived]);
          } catch (error) {
            if (listener.received()) break;
            const shot = await screenshot(page, `login-step-${index + 1}`);
            throw new StepError(
              `login step ${index + 1} (${describeStep(step)}) failed on ${redactUrlQuery(page.url())}: ${(error as Error).message.split('\n')[0]}${shot ? `; screenshot ${shot}` : ''}`,
            );
          }
        }
      }
      const landed = await Promise.race([
        listener.callback,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeout).unref()),
      ]);
      if (!landed) {
        const shot = await screenshot(page, 'login-callback');
        throw new StepError(
          `after the login steps no authorization response reached ${redirectUri} within ${timeout} ms (the browser is on ${redactUrlQuery(page.url())})${shot ? `; screenshot ${shot}` : ''}`,
        );
      }
      return readCallback(landed, { clientName, auth, redirectUri, scope, state, nonce, pkce });
    } finally {
      await context.close().catch(() => {});
      await listener.close();
    }
  }

  function readCallback(
    callback: URL,
    request: Omit<AuthorizationResponse, 'parameters' | 'code' | 'error' | 'errorDescription'>,
  ): AuthorizationResponse {
    const params = callback.searchParams;
    const code = params.get('code') ?? undefined;
    io.redactor.register(code);
    const parameters = [...new Set(params.keys())];
    io.note(`the callback arrived with ${parameters.join(', ') || 'no parameters'}`);
    // RFC 6749 §4.1.2 / §4.1.2.1: state is echoed exactly when the request had one.
    if (params.get('state') !== request.state)
      throw new CheckFailed(
        `the authorization response carries ${params.has('state') ? 'a different state' : 'no state'} than the request sent (RFC 6749 §4.1.2)`,
        'MUST',
      );
    // RFC 9207 §2.4: an iss parameter, when present, must be the issuer identifier.
    const iss = params.get('iss');
    if (iss !== null && iss !== discovery.issuerUrl())
      throw new CheckFailed(`the authorization response's iss ${JSON.stringify(iss)} is not the issuer (RFC 9207 §2.4)`, 'MUST');
    const error = params.get('error') ?? undefined;
    const errorDescription = params.get('error_description') ?? undefined;
    return {
      ...request,
      parameters,
      ...(code && { code }),
      ...(error && { error }),
      ...(errorDescription && { errorDescription }),
    };
  }

  async function redeemCode(
    authorization: AuthorizationResponse,
    overrides: { auth?: ClientAuth; params?: FormParams; headers?: Record<string, string> } = {},
  ): Promise<HttpAnswer<TokenAnswer>> {
    if (!authorization.code)
      throw new StepError(
        `the login returned no code (${authorization.error ?? 'no error either'}${authorization.errorDescription ? `: ${authorization.errorDescription}` : ''})`,
      );
    return token.token(
      {
        grant_type: 'authorization_code',
        code: authorization.code,
        redirect_uri: authorization.redirectUri,
        code_verifier: authorization.pkce?.verifier,
        ...overrides.params,
      },
      overrides.auth ?? authorization.auth,
      overrides.headers,
    );
  }

  async function userTokens(options: AuthorizeOptions & { dpopKey?: DpopKey } = {}): Promise<UserTokens> {
    const authorization = await authorizeInBrowser(options);
    const headers = options.dpopKey
      ? { dpop: await dpopProof(options.dpopKey, { htm: 'POST', htu: await discovery.endpoint('token_endpoint') }) }
      : undefined;
    const answer = await redeemCode(authorization, { ...(headers && { headers }) });
    const body = answer.body;
    if (answer.status !== 200 || typeof body.access_token !== 'string')
      throw new StepError(
        `redeeming the login's code failed: HTTP ${answer.status} ${body.error ?? ''} ${body.error_description ?? ''}`.trim(),
      );
    if (typeof body.id_token === 'string') {
      // OIDC Core §3.1.3.7 (11): the ID Token's nonce must be the one the request sent.
      const nonce = payloadOf(body.id_token)?.nonce;
      if (nonce !== authorization.nonce)
        throw new CheckFailed(
          `the ID token's nonce ${nonce === undefined ? 'is missing' : 'differs from the request'} (OIDC Core §3.1.3.7)`,
          'MUST',
        );
    }
    return {
      via: 'browser',
      clientName: authorization.clientName,
      auth: authorization.auth,
      accessToken: body.access_token,
      ...(typeof body.refresh_token === 'string' && { refreshToken: body.refresh_token }),
      ...(typeof body.id_token === 'string' && { idToken: body.id_token }),
      ...(typeof body.scope === 'string' && { scope: body.scope }),
      answer,
      authorization,
    };
  }

  async function commandRefreshToken(wanted: LoginClient | undefined): Promise<UserTokens> {
    const command = login()?.refreshTokenCommand;
    if (!command) throw new StepError('the profile gives neither login.steps nor login.refreshTokenCommand');
    if (wanted && wanted !== command.client)
      throw new StepError(`login.refreshTokenCommand gives a token of the ${command.client} client, not the ${wanted} client`);
    // Its environment may carry credentials (a user's password, a client secret): never shown.
    for (const value of Object.values(command.env)) io.redactor.register(value);
    const [file, ...args] = command.command;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        file!,
        args,
        { env: { ...process.env, ...command.env }, timeout: command.timeout, maxBuffer: 1024 * 1024, signal: io.signal },
        (error, out) => (error ? reject(error) : resolve(String(out))),
      );
    }).catch((error: Error) => {
      throw new StepError(`login.refreshTokenCommand failed: ${io.redactor.scrub(error.message.split('\n')[0] ?? '')}`);
    });
    const text = stdout.trim();
    let refreshToken = text;
    if (text.startsWith('{')) {
      try {
        refreshToken = String((JSON.parse(text) as { refresh_token?: unknown }).refresh_token ?? '');
      } catch {
        refreshToken = '';
      }
    }
    if (!refreshToken || /\s/.test(refreshToken))
      throw new StepError('login.refreshTokenCommand printed no refresh token (one token, or JSON with refresh_token)');
    io.redactor.register(refreshToken);
    io.note(`refresh token from login.refreshTokenCommand (${command.client} client; no browser login)`);
    return { via: 'command', clientName: command.client, auth: token.client(command.client), refreshToken };
  }

  /** A refresh token for the user: a browser login where the profile has steps, else the command. */
  async function userRefreshToken(
    options: AuthorizeOptions & { dpopKey?: DpopKey } = {},
  ): Promise<UserTokens & { refreshToken: string }> {
    if (!login()?.steps) return (await commandRefreshToken(options.client)) as UserTokens & { refreshToken: string };
    const tokens = await userTokens(options);
    if (!tokens.refreshToken)
      throw new StepError(
        `the ${tokens.clientName} client got no refresh token from the login (scope ${tokens.authorization?.scope}); does the issuer need offline_access or a refresh grant for this client?`,
      );
    return tokens as UserTokens & { refreshToken: string };
  }

  return { authorizeInBrowser, redeemCode, userTokens, userRefreshToken };
}

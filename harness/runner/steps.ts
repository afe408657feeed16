/**
 * The shared steps checks are built from (STYLE.md: a negative check is the happy path with one
 * step swapped). Steps carry the HTTP, register every credential with the redactor, and throw
 * StepError when the target cannot do what the step needs (the check's outcome is then `error`:
 * the target broke, which is never counted as a pass).
 */
import {
  type ClientAuth,
  type Fetcher,
  type FormParams,
  type HttpAnswer,
  readAnswer,
  type TokenAnswer,
  tokenRequest,
} from '../oauth/client.ts';
import type { ClientProfile } from '../profile/schema.ts';
import type { Redactor } from './redactor.ts';
import { clientAuth, type Target } from './target.ts';

export class StepError extends Error {}

export interface Discovery {
  url: string;
  metadata: Record<string, unknown>;
}

/** Values worth computing once per run (discovery), shared by every check's steps. */
export class RunCache {
  private readonly values = new Map<string, Promise<unknown>>();
  get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let value = this.values.get(key) as Promise<T> | undefined;
    if (!value) {
      value = compute();
      this.values.set(key, value);
      // A failed lookup is not cached: the next check tries again and records its own evidence.
      value.catch(() => this.values.delete(key));
    }
    return value;
  }
}

export const wellKnown = {
  openid: '/.well-known/openid-configuration',
  oauth: '/.well-known/oauth-authorization-server',
} as const;

/** RFC 8414 §3: the well-known path is inserted between host and any issuer path. */
export function wellKnownUrl(issuer: string, suffix: string): string {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, '');
  if (suffix === wellKnown.openid) return `${url.origin}${path}${suffix}`;
  return `${url.origin}${suffix}${path}`;
}

export function createSteps(input: {
  target: Target;
  fetch: Fetcher;
  redactor: Redactor;
  cache: RunCache;
  note: (text: string) => void;
}) {
  const { target, fetch, redactor, cache } = input;

  const issuerUrl = (): string => {
    const url = target.profile.issuer?.url;
    if (!url) throw new StepError('the profile has no issuer');
    return url;
  };

  async function get(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return readAnswer(await fetch(url, { headers: { accept: 'application/json', ...headers } }));
  }

  async function discovery(): Promise<Discovery> {
    let fetched = false;
    const found = await cache.get('discovery', async () => {
      fetched = true;
      const issuer = issuerUrl();
      for (const suffix of [wellKnown.openid, wellKnown.oauth]) {
        const url = wellKnownUrl(issuer, suffix);
        const answer = await get(url).catch(() => undefined);
        if (answer?.status === 200 && answer.body && typeof answer.body === 'object') return { url, metadata: answer.body };
      }
      throw new StepError(
        `no discovery document at ${wellKnownUrl(issuer, wellKnown.openid)} or ${wellKnownUrl(issuer, wellKnown.oauth)}`,
      );
    });
    if (!fetched)
      input.note(`discovery document from ${found.url} (fetched once per run; the exchange is in the first check that used it)`);
    return found;
  }

  async function endpoint(name: string): Promise<string> {
    const value = (await discovery()).metadata[name];
    if (typeof value !== 'string') throw new StepError(`discovery has no ${name}`);
    return value;
  }

  function client(which: 'primary' | 'secondary' = 'primary'): ClientAuth {
    const profile: ClientProfile | undefined = target.profile.issuer?.clients?.[which];
    if (!profile) throw new StepError(`the profile has no ${which} client`);
    return clientAuth(target, profile, issuerUrl());
  }

  function registerTokens(answer: HttpAnswer<TokenAnswer>): void {
    redactor.register(answer.body.access_token);
    redactor.register(answer.body.refresh_token);
    redactor.register(answer.body.id_token);
  }

  /** A token request that may fail: the check judges the answer. */
  async function token(
    params: FormParams,
    auth: ClientAuth = client(),
    headers?: Record<string, string>,
  ): Promise<HttpAnswer<TokenAnswer>> {
    const answer = await tokenRequest(await endpoint('token_endpoint'), params, auth, headers, fetch);
    registerTokens(answer);
    return answer;
  }

  /** A client_credentials access token the check needs in order to go on. */
  async function clientCredentialsToken(
    auth: ClientAuth = client(),
    params: FormParams = {},
  ): Promise<TokenAnswer & { access_token: string }> {
    const answer = await token({ grant_type: 'client_credentials', ...params }, auth);
    if (answer.status !== 200 || typeof answer.body.access_token !== 'string') {
      throw new StepError(
        `client_credentials for ${auth.clientId} failed: HTTP ${answer.status} ${answer.body.error ?? ''}`.trim(),
      );
    }
    return answer.body as TokenAnswer & { access_token: string };
  }

  return { issuerUrl, get, discovery, endpoint, client, token, clientCredentialsToken };
}

export type Steps = ReturnType<typeof createSteps>;

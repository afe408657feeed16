/**
 * The reference issuer's Prometheus metrics and its token endpoint rate limit, over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, tokenRequest } from '../../../harness/oauth/client.ts';
import { startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the samples of a Prometheus text exposition (enough for prom-client's output). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(issuer: TestIssuer) {
  const response = await fetch(`${issuer.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  const samples = parseExposition(await response.text());
  /** The value of one series; 0 when it does not exist yet (a counter never incremented). */
  const value = (name: string, labels: Record<string, string> = {}) => {
    const found = samples.find(
      (sample) => sample.name === name && Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted),
    );
    return found?.value ?? 0;
  };
  return { samples, value };
}

const issued = 'tokenproof_issuer_tokens_issued_total';
const duration = 'tokenproof_issuer_token_request_duration_seconds';

describe('metrics', () => {
  let t: TestIssuer;
  beforeAll(async () => {
    t = await startTestIssuer();
  });
  afterAll(() => t.close());

  it('counts issued tokens by grant and times every token request', async () => {
    const before = await scrape(t);
    for (let i = 0; i < 3; i++) {
      const answer = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary);
      expect(answer.status).toBe(200);
    }
    const refused = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials', scope: 'admin' }, t.primary);
    expect(refused.body.error).toBe('invalid_scope');

    const after = await scrape(t);
    const grant = { grant: 'client_credentials' };
    expect(after.value(issued, grant) - before.value(issued, grant)).toBe(3);
    const ok = { grant: 'client_credentials', outcome: 'ok' };
    expect(after.value(`${duration}_count`, ok) - before.value(`${duration}_count`, ok)).toBe(3);
    expect(after.value(`${duration}_sum`, ok)).toBeGreaterThan(0);
    const failed = { grant: 'client_credentials', outcome: 'invalid_scope' };
    expect(after.value(`${duration}_count`, failed) - before.value(`${duration}_count`, failed)).toBe(1);
    // A histogram: cumulative buckets ending in +Inf, which holds every observation.
    const buckets = after.samples.filter(
      (sample) =>
        sample.name === `${duration}_bucket` && sample.labels.grant === 'client_credentials' && sample.labels.outcome === 'ok',
    );
    expect(buckets.length).toBeGreaterThan(5);
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    expect(buckets.at(-1)!.value).toBe(after.value(`${duration}_count`, ok));
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
  });

  it('counts introspections by answer and revocations by kind', async () => {
    const token = (await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary)).body.access_token!;
    const before = await scrape(t);
    expect((await postForm(t.endpoints.introspect, { token }, t.primary)).body.active).toBe(true);
    expect((await postForm(t.endpoints.revoke, { token }, t.primary)).status).toBe(200);
    expect((await postForm(t.endpoints.introspect, { token }, t.primary)).body).toEqual({ active: false });
    expect((await postForm(t.endpoints.introspect, { token: 'garbage' }, t.primary)).body).toEqual({ active: false });

    const login = await t.login(t.primary);
    expect((await postForm(t.endpoints.revoke, { token: login.body.refresh_token! }, t.primary)).status).toBe(200);

    const after = await scrape(t);
    const delta = (name: string, labels: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
    expect(delta('tokenproof_issuer_introspections_total', { active: 'true' })).toBe(1);
    expect(delta('tokenproof_issuer_introspections_total', { active: 'false' })).toBe(2);
    expect(delta('tokenproof_issuer_revocations_total', { kind: 'access_token' })).toBe(1);
    expect(delta('tokenproof_issuer_revocations_total', { kind: 'refresh_token' })).toBe(1);
    expect(delta('tokenproof_issuer_revocations_total', { kind: 'family' })).toBe(1);
    expect(delta(issued, { grant: 'authorization_code' })).toBe(1);
  });

  it('exposes process metrics under the issuer prefix', async () => {
    const { samples } = await scrape(t);
    expect(samples.some((sample) => sample.name === 'tokenproof_issuer_process_cpu_user_seconds_total')).toBe(true);
  });
});

describe('rate limit', () => {
  let t: TestIssuer;
  beforeAll(async () => {
    t = await startTestIssuer({ rateLimit: { max: 3, window: '1m' } });
  });
  afterAll(() => t.close());

  it('refuses the 4th token request of a client in a window with 429 and an OAuth error, and counts it', async () => {
    const before = await scrape(t);
    for (let i = 0; i < 3; i++) {
      const answer = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary);
      expect(answer.status, `request ${i + 1}`).toBe(200);
    }
    const limited = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^application\/json/);
    expect(limited.headers.get('cache-control')).toBe('no-store');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body.error).toBe('slow_down');
    expect(limited.body.error_description).toMatch(/rate limit/);
    expect(limited.body.access_token).toBeUndefined();

    const after = await scrape(t);
    expect(after.value('tokenproof_issuer_rate_limited_total') - before.value('tokenproof_issuer_rate_limited_total')).toBe(1);
    expect(after.value(issued, { grant: 'client_credentials' }) - before.value(issued, { grant: 'client_credentials' })).toBe(3);
  });

  it('limits each client on its own', async () => {
    const other = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.secondary);
    expect(other.status).toBe(200);
    const post = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.post);
    expect(post.status).toBe(200);
    const again = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary);
    expect(again.status).toBe(429);
  });
});

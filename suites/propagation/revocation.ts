import { pollUntil } from '../../harness/lib/poll.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted } from '../rs-errors/answers.ts';

/** How many tokens are revoked; every one is polled at every resource server. */
const tokenCount = 10;
/** Poll interval: the resolution of the measurement. */
const pollEveryMs = 10;
/**
 * The yardstick when the profile sets no SLO: missing it is a SHOULD finding, not a failure.
 * RFC 7009 §2 makes access-token revocation a SHOULD, and §2.1 admits "a propagation delay" that
 * "implementations should minimize"; an RS that validates JWTs locally cannot see a revocation at
 * all. Only a declared slo.revocationPropagation (the operator's own objective) is held as MUST.
 */
const defaultSloMs = 5_000;
const timeoutMs = 120_000;

interface Observed {
  /** ms from the revoke's 200 to the first refusal (401/403); undefined: none by the deadline. */
  ms: number | undefined;
  /** The last answer's status (0: no answer). */
  status: number;
  polls: number;
  /** A 2xx seen after the revocation: the revoked token was served. */
  accepted: boolean;
  /** Answers that are neither served nor refused (429, 5xx, other codes, no answer): not yet / unknown. */
  unclear: Map<number, number>;
}

/**
 * A refusal of a revoked token is 401 (RFC 6750 §3.1 invalid_token) or 403. A 429 (the poll is
 * fast: rate limiting), a 5xx or no answer says nothing about the token, so it is not counted.
 */
const isRefusal = (status: number) => status === 401 || status === 403;

const describeUnclear = (counts: Map<number, number>) =>
  [...counts]
    .sort((a, b) => a[0] - b[0])
    .map(([status, count]) => `${status === 0 ? 'no answer' : `HTTP ${status}`} ×${count}`)
    .join(', ');

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Sub-millisecond below 10 ms: a push-based RS is often done before the first poll. */
const ms = (value: number) =>
  value >= 1000 ? `${(value / 1000).toFixed(2)} s` : value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;

/** `url (max X)` of the resource server whose slowest refusal came last (still accepting counts as slowest). */
function slowestResourceServer(observed: (Observed & { url: string })[]): string | undefined {
  const worst = new Map<string, number>();
  for (const sample of observed)
    worst.set(sample.url, Math.max(worst.get(sample.url) ?? 0, sample.ms ?? Number.POSITIVE_INFINITY));
  const [url, max] = [...worst].sort((a, b) => b[1] - a[1])[0] ?? [];
  if (url === undefined || max === undefined) return undefined;
  return `${url} (max ${Number.isFinite(max) ? ms(max) : 'never refused'})`;
}

/** The resource servers that trust the target issuer: the propagation block, else a resourceServer with trusts: issuer. */
function observers(t: CheckContext): { urls: string[]; audience: string; scope: string | undefined } {
  const { propagation, resourceServer } = t.target.profile;
  if (propagation) return { urls: propagation.resourceServers, audience: propagation.audience, scope: propagation.scope };
  if (resourceServer?.trusts === 'issuer') {
    return {
      urls: [resourceServer.url, ...(resourceServer.replicas ?? [])],
      audience: resourceServer.audience,
      scope: resourceServer.scope,
    };
  }
  t.skip(
    'no resource server trusts the target issuer (give propagation.resourceServers, or a resourceServer with trusts: issuer)',
  );
}

export default check({
  id: 'propagation.revocation',
  catalog: 'V08',
  title: 'Revoked access tokens are refused by every resource server within the propagation SLO',
  spec: ['RFC7009-2', 'RFC7009-2.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  requires: ['revocation'],
  timeoutMs,
  async run(t: CheckContext) {
    const { urls, audience, scope } = observers(t);
    const declared = t.target.profile.slo.revocationPropagation;
    const sloMs = declared ?? defaultSloMs;
    const deadlineMs = Math.min(Math.max(2 * sloMs, sloMs + 2_000), timeoutMs - 20_000);
    const rs = t.steps.resourceServer;
    const params = t.target.profile.issuer?.clients?.primary?.tokenParams ?? {};
    const vendor = 'resource' in params || 'audience' in params;

    const tokens: string[] = [];
    for (let index = 0; index < tokenCount; index++) {
      const issued = await t.steps.clientCredentialsToken(t.steps.client(), {
        ...params,
        ...(!vendor && { resource: audience }),
        ...(scope && { scope }),
      });
      tokens.push(issued.access_token);
    }
    // Each token is accepted everywhere first (this also warms every cache the RSs keep).
    for (const url of urls) {
      for (const token of tokens) {
        const answer = await rs.withBearer(token, { url });
        if (!isAccepted(answer))
          t.error(`before any revocation, ${url} refused a fresh token of the target issuer: ${describeAnswer(answer)}`);
      }
    }

    // Polls are not recorded one by one (hundreds of identical exchanges); the refusal that ends each poll is.
    const poll = async (url: string, token: string, revokedAt: number): Promise<Observed> => {
      let polls = 0;
      let status = 0;
      let accepted = false;
      const unclear = new Map<number, number>();
      const refused = await pollUntil(
        async () => {
          const sentAt = performance.now();
          polls++;
          status = await fetch(url, {
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.any([AbortSignal.timeout(t.target.profile.timeouts.request), t.signal]),
            redirect: 'manual',
          }).then(
            async (response) => {
              await response.body?.cancel();
              return response.status;
            },
            () => 0,
          );
          if (isRefusal(status)) return sentAt - revokedAt;
          if (status >= 200 && status < 300) accepted = true;
          else unclear.set(status, (unclear.get(status) ?? 0) + 1);
          return undefined;
        },
        { timeoutMs: Math.max(0, deadlineMs - (performance.now() - revokedAt)), intervalMs: pollEveryMs, signal: t.signal },
      );
      return { ms: refused.value, status, polls, accepted, unclear };
    };

    const results = await Promise.all(
      tokens.map(async (token) => {
        await t.steps.requireRevoked(token, { hint: 'access_token' });
        const revokedAt = performance.now();
        return Promise.all(urls.map(async (url) => ({ url, ...(await poll(url, token, revokedAt)) })));
      }),
    );
    const observed = results.flat();
    for (const url of urls) {
      const answer = await rs.withBearer(tokens[0]!, { url });
      t.note(`${url} after revocation: ${describeAnswer(answer)}`);
    }
    const neverRefused = observed.filter((sample) => sample.ms === undefined);
    // Never refused: served after the revocation (still accepted), or only unclear answers (unknown).
    const stillAccepted = neverRefused.filter((sample) => sample.accepted);
    const unknown = neverRefused.filter((sample) => !sample.accepted);
    const unclear = new Map<number, number>();
    for (const sample of observed)
      for (const [status, count] of sample.unclear) unclear.set(status, (unclear.get(status) ?? 0) + count);
    if (unclear.size)
      t.note(
        `answers while polling that are neither served nor refused (401/403), counted as not yet refused: ${describeUnclear(unclear)}`,
      );
    const samples = observed.flatMap((sample) => (sample.ms === undefined ? [] : [sample.ms])).sort((a, b) => a - b);
    const polls = observed.reduce((sum, sample) => sum + sample.polls, 0);
    const atFirstPoll = observed.filter((sample) => sample.ms !== undefined && sample.polls === 1).length;
    const statuses = [...new Set(observed.filter((sample) => sample.ms !== undefined).map((sample) => sample.status))].join('/');
    const slo = `SLO ${ms(sloMs)}${declared === undefined ? ' (default: the profile sets no slo.revocationPropagation)' : ''}`;
    // A declared SLO is held as MUST; the default is a yardstick, so missing it is a SHOULD finding.
    const level = declared === undefined ? 'SHOULD' : 'MUST';
    const graded =
      declared === undefined
        ? '; with no declared SLO this is a SHOULD finding (RFC 7009 §2.1: "implementations should minimize that window"; §2: access-token revocation SHOULD be supported)'
        : '';
    const over = `${tokenCount} tokens × ${urls.length} resource server${urls.length > 1 ? 's' : ''}, polled every ${pollEveryMs} ms (${polls} polls${atFirstPoll ? `; ${atFirstPoll} already refused at the first poll` : ''})`;
    const stats = samples.length
      ? `p50 ${ms(percentile(samples, 50))}, p95 ${ms(percentile(samples, 95))}, max ${ms(samples.at(-1)!)}`
      : 'no token was refused';
    t.note(`revocation propagation: ${stats} over ${over}${statuses ? `; refused with HTTP ${statuses}` : ''}; ${slo}`);
    // Replicas of one RS can differ (one missed the event stream): the slowest is the one to fix.
    const slowest = slowestResourceServer(observed);
    if (urls.length > 1 && slowest) t.note(`slowest resource server: ${slowest}`);
    const max = samples.at(-1);
    t.slo({
      name: 'revocationPropagation',
      threshold: ms(sloMs),
      observed: neverRefused.length
        ? `${[
            ...(stillAccepted.length ? [`${stillAccepted.length} of ${observed.length} still accepted`] : []),
            ...(unknown.length ? [`${unknown.length} of ${observed.length} unknown (${describeUnclear(unclear)})`] : []),
          ].join(', ')} after ${ms(deadlineMs)}`
        : `max ${ms(max!)} (${stats})`,
      ok: neverRefused.length === 0 && max !== undefined && max <= sloMs,
    });
    if (stillAccepted.length) {
      const where = [...new Set(stillAccepted.map((sample) => sample.url))].join(', ');
      t.fail(
        `${stillAccepted.length} of ${observed.length} revoked tokens were still accepted ${ms(deadlineMs)} after revocation (${where}); ${stats}; ${slo}${graded}`,
        level,
      );
    }
    if (unknown.length) {
      const where = [...new Set(unknown.map((sample) => sample.url))].join(', ');
      t.error(
        `${unknown.length} of ${observed.length} revoked tokens were neither served nor refused with 401/403 within ${ms(deadlineMs)} after revocation (${where}): only ${describeUnclear(unclear)}, so whether revocation reached them is unknown; ${stats}; ${slo}`,
      );
    }
    t.assert(
      max! <= sloMs,
      `revocation took up to ${ms(max!)} to reach every resource server, over the ${slo}: ${stats} over ${over}${graded}`,
      level,
    );
    t.passReason(`${stats} over ${over}; within the ${slo}${urls.length > 1 && slowest ? `; slowest: ${slowest}` : ''}`);
  },
});

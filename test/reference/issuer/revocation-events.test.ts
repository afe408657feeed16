/**
 * The reference issuer's revocation event stream (SSE at /events/revocations), read with the
 * harness SSE client the way the reference resource server reads it.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postForm, tokenRequest } from '../../../harness/oauth/client.ts';
import { connectSse, type SseConnection, type SseEvent } from '../../../harness/oauth/sse-client.ts';
import type { RevocationEvent } from '../../../harness/reference/issuer/events.ts';
import { claimsOf, startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

const deadlineMs = 5_000;

/** One subscription: every event it received (raw and parsed) and a way to await a condition with a deadline. */
class Subscription {
  readonly raw: SseEvent[] = [];
  readonly events: RevocationEvent[] = [];
  readonly connection: SseConnection;
  private readonly opened: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(url: string, options: { lastEventId?: string } = {}) {
    let markOpen!: () => void;
    let fail!: (error: Error) => void;
    this.opened = new Promise((resolve, reject) => {
      markOpen = resolve;
      fail = reject;
    });
    this.connection = connectSse(url, {
      ...options,
      reconnect: false,
      onOpen: () => markOpen(),
      onError: (error) => fail(error),
      onEvent: (event) => {
        this.raw.push(event);
        this.events.push(JSON.parse(event.data) as RevocationEvent);
        for (const waiter of this.waiters) waiter();
      },
    });
  }

  /** The issuer subscribes before it answers the headers, so once open no event can be missed. */
  open(): Promise<void> {
    return withDeadline(this.opened, 'the event stream to open');
  }

  until(condition: (events: RevocationEvent[]) => boolean, what: string): Promise<RevocationEvent[]> {
    const done = new Promise<RevocationEvent[]>((resolve) => {
      const check = () => {
        if (!condition(this.events)) return;
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        resolve(this.events);
      };
      this.waiters.push(check);
      check();
    });
    return withDeadline(done, what);
  }

  async close(): Promise<void> {
    this.connection.close();
    await this.connection.done;
  }
}

function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${deadlineMs} ms`)), deadlineMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** A token must never travel on the event stream: only its jti or its hash. */
function expectNoTokenIn(subscription: Subscription, tokens: string[]) {
  const wire = subscription.raw.map((event) => event.data).join('\n');
  for (const token of tokens) {
    expect(wire.includes(token)).toBe(false);
    // nor the signature part alone, for JWTs
    const signature = token.split('.')[2];
    if (signature) expect(wire.includes(signature)).toBe(false);
  }
}

let subscriptions: Subscription[] = [];
const subscribe = async (url: string, options: { lastEventId?: string } = {}) => {
  const subscription = new Subscription(url, options);
  subscriptions.push(subscription);
  await subscription.open();
  return subscription;
};
afterEach(async () => {
  await Promise.all(subscriptions.map((subscription) => subscription.close()));
  subscriptions = [];
});

describe('revocation events (JWT access tokens)', () => {
  let t: TestIssuer;
  beforeAll(async () => {
    t = await startTestIssuer();
  });
  afterAll(() => t?.close());

  const clientToken = async () => {
    const answer = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials', scope: 'read' }, t.primary);
    expect(answer.status).toBe(200);
    return answer.body.access_token!;
  };
  const revoke = async (token: string) => expect((await postForm(t.endpoints.revoke, { token }, t.primary)).status).toBe(200);

  it('serves an SSE stream that is not cached', async () => {
    const response = await fetch(t.endpoints.events);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    await response.body?.cancel();
  });

  it('revoking an access token publishes an access_token event with its jti', async () => {
    const subscription = await subscribe(t.endpoints.events);
    const token = await clientToken();
    const { jti, exp } = claimsOf(token);
    await revoke(token);
    const events = await subscription.until((seen) => seen.some((event) => event.jti === jti), 'event for the revoked jti');
    const event = events.find((candidate) => candidate.jti === jti)!;
    expect(event).toMatchObject({ kind: 'access_token', clientId: 'primary', jti, exp });
    expect(event.tokenHash).toBeUndefined();
    expect(Number.isInteger(event.id)).toBe(true);
    const raw = subscription.raw.find((candidate) => JSON.parse(candidate.data).jti === jti)!;
    expect(raw.type).toBe('revocation');
    expect(raw.lastEventId).toBe(String(event.id));
    expectNoTokenIn(subscription, [token]);
  });

  it('revoking an unknown token or being refused publishes nothing', async () => {
    const subscription = await subscribe(t.endpoints.events);
    const token = await clientToken();
    await revoke('garbage');
    expect((await postForm(t.endpoints.revoke, { token }, t.secondary)).status).toBe(400);
    // a marker revocation: once its event arrives, anything the two requests above published has too
    const marker = await clientToken();
    await revoke(marker);
    await subscription.until((seen) => seen.some((event) => event.jti === claimsOf(marker).jti), 'the marker event');
    expect(subscription.events.map((event) => event.jti)).toEqual([claimsOf(marker).jti]);
  });

  it('revoking a refresh token publishes a family event and one access_token event per access token of the family', async () => {
    const subscription = await subscribe(t.endpoints.events);
    const login = await t.login(t.primary, { scope: 'openid read' });
    expect(login.status).toBe(200);
    const refreshed = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'refresh_token', refresh_token: login.body.refresh_token! },
      t.primary,
    );
    expect(refreshed.status).toBe(200);
    const accessJtis = [claimsOf(login.body.access_token!).jti, claimsOf(refreshed.body.access_token!).jti];
    await revoke(refreshed.body.refresh_token!);

    const events = await subscription.until(
      (seen) => accessJtis.every((jti) => seen.some((event) => event.jti === jti)),
      'events for both access tokens of the family',
    );
    const family = events.filter((event) => event.kind === 'family');
    expect(family).toHaveLength(1);
    expect(family[0]).toMatchObject({ kind: 'family', clientId: 'primary' });
    expect(family[0]!.familyId).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    const accessEvents = events.filter((event) => event.kind === 'access_token');
    expect(accessEvents.map((event) => event.jti).sort()).toEqual([...accessJtis].sort());
    for (const event of accessEvents) expect(event.familyId).toBe(family[0]!.familyId);
    // the family event comes first, so a subscriber can drop the grant before its tokens
    expect(events.indexOf(family[0]!)).toBeLessThan(events.indexOf(accessEvents[0]!));
    expectNoTokenIn(subscription, [
      login.body.access_token!,
      login.body.refresh_token!,
      refreshed.body.access_token!,
      refreshed.body.refresh_token!,
    ]);
  });

  it('a subscriber reconnecting with Last-Event-ID receives exactly the events it missed', async () => {
    const first = await subscribe(t.endpoints.events);
    const seenToken = await clientToken();
    await revoke(seenToken);
    await first.until((seen) => seen.some((event) => event.jti === claimsOf(seenToken).jti), 'the first event');
    const resumeFrom = first.connection.lastEventId;
    expect(resumeFrom).toMatch(/^[0-9]+$/);
    await first.close();

    const missed = [await clientToken(), await clientToken()];
    for (const token of missed) await revoke(token);

    const resumed = await subscribe(t.endpoints.events, { lastEventId: resumeFrom });
    const missedJtis = missed.map((token) => claimsOf(token).jti);
    await resumed.until((seen) => seen.length >= 2, 'the two missed events');
    expect(resumed.events.map((event) => event.jti)).toEqual(missedJtis);
    expect(resumed.events.map((event) => event.id)).toEqual([Number(resumeFrom) + 1, Number(resumeFrom) + 2]);

    // and live events keep coming on the resumed stream after the backlog
    const live = await clientToken();
    await revoke(live);
    await resumed.until((seen) => seen.length === 3, 'the live event after the backlog');
    expect(resumed.events[2]!.jti).toBe(claimsOf(live).jti);
  });

  it('without Last-Event-ID a new subscriber gets no backlog', async () => {
    const token = await clientToken();
    await revoke(token);
    const subscription = await subscribe(t.endpoints.events);
    const marker = await clientToken();
    await revoke(marker);
    await subscription.until((seen) => seen.length > 0, 'the marker event');
    expect(subscription.events.map((event) => event.jti)).toEqual([claimsOf(marker).jti]);
  });
});

describe('revocation events (opaque access tokens)', () => {
  let t: TestIssuer;
  beforeAll(async () => {
    t = await startTestIssuer({ tokens: { format: 'opaque' } });
  });
  afterAll(() => t?.close());

  it('an access_token event carries tokenHash = base64url(sha256(token)) and never the token', async () => {
    const subscription = await subscribe(t.endpoints.events);
    const issued = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials', scope: 'read' }, t.primary);
    const token = issued.body.access_token!;
    expect((await postForm(t.endpoints.revoke, { token }, t.primary)).status).toBe(200);
    const events = await subscription.until((seen) => seen.length > 0, 'the opaque revocation event');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'access_token', clientId: 'primary', tokenHash: sha256(token) });
    expectNoTokenIn(subscription, [token]);
  });

  it('a family revocation lists the hashes of its opaque access tokens', async () => {
    const subscription = await subscribe(t.endpoints.events);
    const login = await t.login(t.primary, { scope: 'openid read' });
    expect(login.status).toBe(200);
    const accessToken = login.body.access_token!;
    const refreshToken = login.body.refresh_token!;
    expect((await postForm(t.endpoints.revoke, { token: refreshToken }, t.primary)).status).toBe(200);
    const events = await subscription.until(
      (seen) => seen.some((event) => event.tokenHash === sha256(accessToken)),
      'the event for the access token of the family',
    );
    expect(events.map((event) => event.kind)).toEqual(['family', 'access_token']);
    expect(events[1]!.familyId).toBe(events[0]!.familyId);
    expectNoTokenIn(subscription, [accessToken, refreshToken]);
  });
});

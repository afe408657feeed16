/**
 * The real toxiproxy server: the harness starts it on a free loopback port, puts a link in
 * front of an HTTP upstream, applies each named fault and removes it again; stop() leaves no
 * proxy behind on an external server and no process behind on an owned one.
 */

import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyNetworkFault, type NetworkFault } from '../../harness/faults/faults.ts';
import { startToxiproxy, type ToxiproxyServer } from '../../harness/faults/toxiproxy.ts';

const body = JSON.stringify({ keys: Array.from({ length: 20 }, (_, i) => ({ kid: `k${i}`, kty: 'RSA', n: 'x'.repeat(200) })) });
let upstream: Server;
let upstreamUrl: string;
let toxiproxy: ToxiproxyServer;
const logDir = mkdtempSync(join(tmpdir(), 'tokenproof-toxiproxy-test-'));

async function get(url: string, timeoutMs = 1500): Promise<{ status: number; text: string } | { error: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    return { error: String((error as Error).cause ?? (error as Error).name) };
  }
}

beforeAll(async () => {
  upstream = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.setHeader('connection', 'close');
    response.end(body);
  });
  await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  toxiproxy = await startToxiproxy({ logDir });
});

afterAll(async () => {
  await toxiproxy?.stop();
  await new Promise<void>((done) => upstream.close(() => done()));
});

describe('toxiproxy links and faults', () => {
  it('rewrites only URLs of the upstream origin, and forwards them', async () => {
    const link = await toxiproxy.addLink('jwks', upstreamUrl);
    expect(link.proxied(`${upstreamUrl}/jwks?x=1`)).toBe(`${link.listenOrigin}/jwks?x=1`);
    expect(link.proxied('http://127.0.0.1:1/other')).toBe('http://127.0.0.1:1/other');
    expect(link.tls).toBe(false);
    expect(await get(link.proxied(`${upstreamUrl}/jwks`))).toEqual({ status: 200, text: body });
  });

  const cases: [string, NetworkFault, (answer: Awaited<ReturnType<typeof get>>) => void][] = [
    ['idp-outage refuses connections', { kind: 'idp-outage' }, (answer) => expect(answer).toHaveProperty('error')],
    ['idp-hang never answers', { kind: 'idp-hang' }, (answer) => expect(answer).toEqual({ error: 'TimeoutError' })],
    ['reset-peer resets the connection', { kind: 'reset-peer' }, (answer) => expect(answer).toHaveProperty('error')],
    [
      'truncate cuts the body short',
      { kind: 'truncate', bytes: 300 },
      (answer) => {
        if ('text' in answer) expect(answer.text.length).toBeLessThan(body.length);
        else expect(answer.error).toBeTruthy();
      },
    ],
    [
      'slicer still delivers the whole body',
      { kind: 'slicer', averageSize: 64, delayMicroseconds: 100 },
      (answer) => expect(answer).toEqual({ status: 200, text: body }),
    ],
    [
      'bandwidth still delivers the whole body',
      { kind: 'bandwidth', kilobytesPerSecond: 100 },
      (answer) => expect(answer).toEqual({ status: 200, text: body }),
    ],
    [
      'latency delays the answer',
      { kind: 'latency', latencyMs: 300 },
      (answer) => expect(answer).toEqual({ status: 200, text: body }),
    ],
  ];
  for (const [title, fault, expectation] of cases) {
    it(`${title}, and is removed again`, async () => {
      const link = await toxiproxy.addLink('jwks', upstreamUrl);
      const active = await applyNetworkFault(toxiproxy, link, fault);
      const started = performance.now();
      try {
        expectation(await get(link.proxied(`${upstreamUrl}/jwks`)));
        if (fault.kind === 'latency') expect(performance.now() - started).toBeGreaterThanOrEqual(290);
        const proxy = await toxiproxy.state(link);
        expect(fault.kind === 'idp-outage' ? !proxy.enabled : proxy.toxics.length === 1).toBe(true);
      } finally {
        await active.remove();
      }
      const proxy = await toxiproxy.state(link);
      expect(proxy.enabled).toBe(true);
      expect(proxy.toxics).toEqual([]);
      expect(await get(link.proxied(`${upstreamUrl}/jwks`))).toEqual({ status: 200, text: body });
    });
  }

  it('reset() removes every toxic and enables every proxy', async () => {
    const link = await toxiproxy.addLink('jwks', upstreamUrl);
    await applyNetworkFault(toxiproxy, link, { kind: 'latency', latencyMs: 10 });
    await applyNetworkFault(toxiproxy, link, { kind: 'idp-outage' });
    await toxiproxy.reset();
    const proxy = await toxiproxy.state(link);
    expect(proxy).toMatchObject({ enabled: true, toxics: [] });
  });
});

describe('an external toxiproxy server', () => {
  it("keeps only other people's proxies after stop()", async () => {
    const external = await startToxiproxy({ logDir });
    try {
      const someoneElse = new Toxiproxy(external.url);
      await someoneElse.createProxy({ name: 'not-ours', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });
      const run = await startToxiproxy({ url: external.url, logDir });
      expect(run.owned).toBe(false);
      const link = await run.addLink('introspection', upstreamUrl);
      await applyNetworkFault(run, link, { kind: 'idp-hang' });
      expect(Object.keys(await someoneElse.getAll())).toHaveLength(2);
      await run.stop();
      expect(Object.keys(await someoneElse.getAll())).toEqual(['not-ours']);
    } finally {
      await external.stop();
    }
    // An owned server is gone with its proxies once stopped.
    expect(await get(`${external.url}/version`, 500)).toHaveProperty('error');
  });
});

describe('an adopted proxy (one the target already routes through)', () => {
  it('takes faults, and reset() and stop() leave it as found: there, enabled, no toxics', async () => {
    const external = await startToxiproxy({ logDir });
    try {
      const owner = new Toxiproxy(external.url);
      const listenPort = (await owner.createProxy({ name: 'jwks', listen: '127.0.0.1:0', upstream: new URL(upstreamUrl).host }))
        .listen;
      const run = await startToxiproxy({ url: external.url, logDir });
      const link = await run.adoptLink('jwks', 'jwks', { upstreamOrigin: upstreamUrl });
      expect(link).toMatchObject({ name: 'jwks', proxyName: 'jwks', listenOrigin: `http://${listenPort}`, tls: false });
      expect(link.proxied(`${upstreamUrl}/jwks`)).toBe(`http://${listenPort}/jwks`);
      expect(await get(link.proxied(`${upstreamUrl}/jwks`))).toEqual({ status: 200, text: body });
      await applyNetworkFault(run, link, { kind: 'latency', latencyMs: 10 });
      await applyNetworkFault(run, link, { kind: 'idp-outage' });
      expect(await get(link.proxied(`${upstreamUrl}/jwks`))).toHaveProperty('error');
      await run.reset();
      expect(await run.state(link)).toMatchObject({ enabled: true, toxics: [] });
      await applyNetworkFault(run, link, { kind: 'idp-hang' });
      await run.stop();
      expect(await run.state(link)).toMatchObject({ name: 'jwks', enabled: true, toxics: [] });
      expect(await get(link.proxied(`${upstreamUrl}/jwks`))).toEqual({ status: 200, text: body });
    } finally {
      await external.stop();
    }
  });

  it('is refused, exit 3 naming the proxy and the server, when it is missing or not healthy', async () => {
    const external = await startToxiproxy({ logDir });
    try {
      const owner = new Toxiproxy(external.url);
      const proxy = await owner.createProxy({ name: 'issuer', listen: '127.0.0.1:0', upstream: new URL(upstreamUrl).host });
      const run = await startToxiproxy({ url: external.url, logDir });
      const missing = run.adoptLink('jwks', 'no-such-proxy', { fix: 'name one it has' });
      await expect(missing).rejects.toMatchObject({ exitCode: 3 });
      await expect(run.adoptLink('jwks', 'no-such-proxy')).rejects.toThrow(
        new RegExp(`toxiproxy at ${external.url} has no proxy no-such-proxy for the jwks link \\(it has: issuer\\)`),
      );
      await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
      await expect(run.adoptLink('token', 'issuer')).rejects.toThrow(/the issuer proxy .* is disabled[\s\S]*\/reset/);
      await run.stop();
      // Never adopted, never touched: still disabled.
      expect((await owner.get('issuer')).enabled).toBe(false);
    } finally {
      await external.stop();
    }
  });
});

/**
 * Builds and starts one reference resource server: fastify with the protected routes, /health
 * and /metrics, its JWKS cache or introspection client, its revocation-event subscription and
 * its caches. Several can run in one process (tests, benchmarks).
 */
import { createServer } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { createClock } from '../../lib/clock.ts';
import { ReplayCache } from '../../oauth/replay-cache.ts';
import { parseResourceServerConfig, type ResourceServerConfig, type ResourceServerConfigInput } from './config.ts';
import { paths, type ResourceServerContext } from './context.ts';
import { IssuerDiscovery } from './discovery.ts';
import { DpopNonces } from './dpop.ts';
import { IntrospectionClient } from './introspection.ts';
import { JwksCache } from './jwks.ts';
import { createResourceServerMetrics } from './metrics.ts';
import { directProtectedHandler, isDirectProtectedRequest, protectedAnswerer, unexpectedErrorAnswer } from './protected-route.ts';
import { buildResourceMetadata, resourceMetadataPath } from './resource-metadata.ts';
import { subscribeRevocationEvents } from './revocation-events.ts';
import { RevocationList } from './revocations.ts';
import { compileScopeRules } from './scope-rules.ts';
import { VerifiedTokenCache } from './token-cache.ts';

export interface RunningResourceServer {
  /** The server's base URL. */
  url: string;
  port: number;
  /** `<url>/protected`: the resource that demands a token. */
  protectedUrl: string;
  context: ResourceServerContext;
  app: FastifyInstance;
  close(): Promise<void>;
}

const sweepIntervalMs = 30_000;
/** How long startup waits for the revocation stream, so a test's first revocation is not missed. */
const subscribeWaitMs = 2_000;

/** fastify's defaults for the server it would create itself (`serverFactory` makes ours). */
const keepAliveTimeoutMs = 72_000;

export async function startResourceServer(input: ResourceServerConfigInput): Promise<RunningResourceServer> {
  const config = parseResourceServerConfig(input);
  const app = Fastify({
    logger:
      config.logLevel === 'silent'
        ? false
        : { level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.dpop'] },
    // Request logs would show URLs, and a URL may carry an access_token.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    forceCloseConnections: true,
    keepAliveTimeout: keepAliveTimeoutMs,
    // Our own node:http server: a plain GET of a protected path is answered without fastify
    // (protected-route.ts); every other request goes to fastify's handler.
    serverFactory: (fastifyHandler) => {
      const server = createServer({ maxHeaderSize: config.maxHeaderSize }, (req, res) => {
        if (!closing && isDirectProtectedRequest(req.method, req.url)) direct(req, res);
        else fastifyHandler(req, res);
      });
      server.keepAliveTimeout = keepAliveTimeoutMs;
      server.requestTimeout = 0;
      server.setTimeout(0);
      return server;
    },
  });
  const ctx = createContext(config, app);
  const answer = protectedAnswerer(ctx);
  const direct = directProtectedHandler(answer, (error) => app.log.error(error));
  // While fastify closes it answers 503 to new requests; the direct path steps aside for that.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  app.removeAllContentTypeParsers();
  // Bodies are not this server's business; keep them raw so a form-encoded access_token can be noticed.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send({ error: 'not_found', error_description: `no route for ${request.method} ${request.url.split('?')[0]}` });
  });

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const result = await answer({
      method: request.method,
      url: request.url,
      headers: request.headers,
      rawHeaders: request.raw.rawHeaders,
      body: request.body,
      raw: request.raw,
    });
    return reply.code(result.status).headers(result.headers).send(result.body);
  };
  app.all(paths.protected, handler);
  app.all(`${paths.protected}/*`, handler);
  app.get(paths.health, async (_request, reply) => {
    const ready = config.mode === 'introspection' || ctx.jwks!.loaded;
    reply.code(ready ? 200 : 503);
    return {
      status: ready ? 'ok' : 'starting',
      mode: config.mode,
      ...(ctx.jwks && { jwksKeys: ctx.jwks.size }),
      revocationEvents: ctx.revocationEvents?.connected ? 'connected' : 'disconnected',
    };
  });
  const metadataPath = resourceMetadataPath(config);
  if (metadataPath) {
    app.get(metadataPath, async (_request, reply) => {
      reply.header('cache-control', 'max-age=300');
      return ctx.resourceMetadata!.document;
    });
  }
  app.get(paths.metrics, async (_request, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  await ctx.jwks?.start();
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  ctx.publicUrl = (config.publicUrl ?? url).replace(/\/$/, '');
  ctx.resourceMetadata = buildResourceMetadata(config, ctx.publicUrl);

  if (config.revocationEvents.enabled) {
    const discovered = async () => (await ctx.discovery.metadata()).revocation_events_endpoint;
    ctx.revocationEvents = subscribeRevocationEvents({
      url: config.revocationEvents.url ? async () => config.revocationEvents.url : discovered,
      revocations: ctx.revocations,
      idleTimeoutMs: config.revocationEvents.idleTimeout,
      maxReconnectDelayMs: config.revocationEvents.maxReconnectDelay,
      onConnected: (connected) => ctx.metrics.revocationStreamConnected.set(connected ? 1 : 0),
      onEvent: () => ctx.metrics.revocationEvents.inc(),
      log: (message) => app.log.warn(message),
    });
    await ctx.revocationEvents.ready(subscribeWaitMs);
  }

  const sweep = setInterval(() => {
    ctx.tokenCache?.sweep(ctx.clock.nowMs(), config.leeway);
    ctx.introspection?.sweep();
    ctx.revocations.sweep();
  }, sweepIntervalMs);
  sweep.unref();

  return {
    url,
    port,
    protectedUrl: `${url}${paths.protected}`,
    context: ctx,
    app,
    async close() {
      clearInterval(sweep);
      ctx.jwks?.stop();
      ctx.revocationEvents?.close();
      await app.close();
    },
  };
}

function createContext(config: ResourceServerConfig, app: FastifyInstance): ResourceServerContext {
  const clock = createClock(config.clockOffsetSeconds);
  const metrics = createResourceServerMetrics({ defaultMetrics: true });
  const discovery = new IssuerDiscovery(config.issuer, config.jwks.timeout);
  const revocations = new RevocationList({ maxEntries: 1_000_000, leewayMs: config.leeway, nowMs: clock.nowMs });
  const claimRules = { issuer: config.issuer, audiences: config.audience };

  const discoveredUrl = async (member: 'jwks_uri' | 'introspection_endpoint') => {
    const value = (await discovery.metadata())[member];
    if (!value) throw new Error(`the issuer metadata has no ${member}`);
    return value;
  };
  const jwks =
    config.mode === 'jwt'
      ? new JwksCache({
          uri: config.jwksUri ? async () => config.jwksUri! : () => discoveredUrl('jwks_uri'),
          cooldownMs: config.jwks.cooldown,
          refreshIntervalMs: config.jwks.refreshInterval,
          timeoutMs: config.jwks.timeout,
          maxBytes: config.jwks.maxBytes,
          onFetch(outcome, error) {
            metrics.jwksFetches.inc({ outcome });
            metrics.jwksKeys.set(jwks?.size ?? 0);
            if (error) app.log.warn(`JWKS fetch failed, keeping the cached keys: ${error.message}`);
          },
        })
      : undefined;
  const introspectionConfig = config.introspection;
  const introspection =
    config.mode === 'introspection' && introspectionConfig
      ? new IntrospectionClient({
          endpoint: introspectionConfig.endpoint
            ? async () => introspectionConfig.endpoint!
            : () => discoveredUrl('introspection_endpoint'),
          clientId: introspectionConfig.clientId,
          clientSecret: introspectionConfig.clientSecret,
          auth: introspectionConfig.auth,
          timeoutMs: introspectionConfig.timeout,
          cacheTtlMs: introspectionConfig.cacheTtl,
          negativeCacheTtlMs: introspectionConfig.negativeCacheTtl,
          staleForMs: config.failurePolicy.staleFor,
          maxEntries: introspectionConfig.maxEntries,
          policy: config.failurePolicy.introspection,
          rules: { ...claimRules, requireIssAndExp: false },
          revocations,
          onAnswer: (outcome) => metrics.introspections.inc({ outcome }),
          onCacheLookup: (hit) => metrics.cacheLookups.inc({ cache: 'introspection', result: hit ? 'hit' : 'miss' }),
        })
      : undefined;
  const tokenCache = jwks && config.tokenCache.enabled ? new VerifiedTokenCache(config.tokenCache.maxEntries) : undefined;
  if (tokenCache) revocations.onRevoke((revocation) => revocation.jti !== undefined && tokenCache.deleteByJti(revocation.jti));

  return {
    config,
    clock,
    metrics,
    publicUrl: '',
    discovery,
    jwks,
    introspection,
    tokenCache,
    revocations,
    revocationEvents: undefined,
    jwtRules: {
      ...claimRules,
      requireIssAndExp: true,
      algorithms: new Set(config.algorithms),
      maxTokenLength: config.maxTokenLength,
    },
    scopeRules: compileScopeRules(config.requiredScope, config.routes),
    dpopReplay: new ReplayCache({ nowMs: clock.nowMs }),
    dpopNonces: config.dpop.nonce ? new DpopNonces(config.dpop.nonceWindow, clock.nowMs) : undefined,
    resourceMetadata: undefined,
  };
}

/** Client errors keep their status; anything else is logged and answered without detail. */
function errorHandler(this: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const result = unexpectedErrorAnswer(error);
  if (result.status === 500) request.log.error(error);
  reply.code(result.status).send(result.body);
}

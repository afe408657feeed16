/**
 * Builds and starts one reference issuer: fastify with the OAuth/OIDC routes, its own keys,
 * store, clock and metrics. Several can run in one process (tests, benchmarks).
 */

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { createClock } from '../../lib/clock.ts';
import { ConfigError } from '../../lib/errors.ts';
import type { SigningAlg } from '../../oauth/algorithms.ts';
import { OAuthError } from '../../oauth/oauth-error.ts';
import { ReplayCache } from '../../oauth/replay-cache.ts';
import { type IssuerConfigInput, parseIssuerConfig } from './config.ts';
import { type IssuerContext, paths } from './context.ts';
import { RevocationEvents } from './events.ts';
import { KeyStore, keyFitsAlg } from './keys.ts';
import { createIssuerMetrics } from './metrics.ts';
import { registerAdmin } from './routes/admin.ts';
import { registerAuthorize } from './routes/authorize.ts';
import { registerDiscovery } from './routes/discovery.ts';
import { registerRevocationEvents } from './routes/events.ts';
import { registerIntrospection } from './routes/introspect.ts';
import { bodyLimitBytes, isTokenRequest, tokenEndpoint } from './routes/token.ts';
import { registerUserinfo } from './routes/userinfo.ts';
import { IssuerStore } from './store.ts';

export interface RunningIssuer {
  /** The issuer identifier (also its base URL). */
  url: string;
  port: number;
  context: IssuerContext;
  app: FastifyInstance;
  close(): Promise<void>;
}

const sweepIntervalMs = 30_000;

export async function startIssuer(input: IssuerConfigInput): Promise<RunningIssuer> {
  const config = parseIssuerConfig(input);
  const clock = createClock(config.clockOffsetSeconds);
  const ttlMs = () => Math.max(config.tokens.accessTokenTtl, config.tokens.idTokenTtl);
  const keys = await KeyStore.create(
    { alg: config.signing.alg, clock, prePublishMs: config.signing.rotation.prePublish, retainMs: ttlMs },
    config.signing.privateKeyFile ? loadSigningKey(config.signing.privateKeyFile, config.signing.alg) : undefined,
  );
  const context: IssuerContext = {
    config,
    issuer: config.issuer ?? '',
    clock,
    keys,
    store: new IssuerStore(),
    metrics: createIssuerMetrics({ defaultMetrics: true }),
    events: new RevocationEvents(),
    clients: new Map(config.clients.map((client) => [client.id, client])),
    users: new Map(config.users.map((user) => [user.username, user])),
    resources: new Set([config.tokens.defaultAudience, ...(config.resources ?? [])]),
    assertionReplay: new ReplayCache({ nowMs: clock.nowMs }),
    dpopReplay: new ReplayCache({ nowMs: clock.nowMs }),
  };

  // POST /token goes to the token endpoint's own node:http handler (routes/token.ts says why);
  // every other request to fastify.
  let token: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  // While fastify closes it answers 503 to new requests; the token endpoint steps aside for that.
  let closing = false;
  const app = Fastify({
    logger:
      config.logLevel === 'silent'
        ? false
        : { level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.dpop'] },
    bodyLimit: bodyLimitBytes,
    forceCloseConnections: true,
    serverFactory: (fastifyHandler, options) => {
      const server = createServer(options.http ?? {}, (request, response) => {
        if (token && !closing && isTokenRequest(request)) token(request, response);
        else fastifyHandler(request, response);
      });
      // What fastify sets on a server it creates itself.
      server.keepAliveTimeout = Number(options.keepAliveTimeout ?? 72_000);
      server.requestTimeout = Number(options.requestTimeout ?? 0);
      server.setTimeout(Number(options.connectionTimeout ?? 0));
      return server;
    },
  });
  token = tokenEndpoint(context, app.log);
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  await app.register(formbody);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send({ error: 'not_found', error_description: `no route for ${request.method} ${request.url.split('?')[0]}` });
  });

  registerDiscovery(app, context);
  registerAuthorize(app, context);
  registerIntrospection(app, context);
  registerUserinfo(app, context);
  registerRevocationEvents(app, context);
  registerAdmin(app, context);
  app.get(paths.health, async () => ({ status: 'ok' }));
  app.get(paths.metrics, async (_request, reply) => {
    reply.header('content-type', context.metrics.registry.contentType);
    return context.metrics.registry.metrics();
  });

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  context.issuer = config.issuer ?? `http://${host}:${port}`;

  const timers = [setInterval(() => context.store.sweep(clock.nowMs()), sweepIntervalMs)];
  const every = config.signing.rotation.every;
  if (every) timers.push(setInterval(() => void keys.rotate(), every));
  for (const timer of timers) timer.unref();

  return {
    url: context.issuer,
    port,
    context,
    app,
    async close() {
      for (const timer of timers) clearInterval(timer);
      await app.close();
    },
  };
}

function loadSigningKey(file: string, alg: SigningAlg): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (error) {
    throw new ConfigError({
      file,
      field: 'signing.privateKeyFile',
      problem: `is not a readable PEM private key (${(error as Error).message})`,
    });
  }
  if (!keyFitsAlg(key, alg)) {
    throw new ConfigError({
      file,
      field: 'signing.privateKeyFile',
      problem: `holds a ${key.asymmetricKeyType} key, which cannot sign ${alg}`,
    });
  }
  return key;
}

/** OAuth errors keep their code and status; any other client error becomes invalid_request; never a 500 for bad input. */
function errorHandler(
  this: FastifyInstance,
  error: FastifyError | OAuthError,
  request: { log: FastifyInstance['log'] },
  reply: import('fastify').FastifyReply,
) {
  if (error instanceof OAuthError) {
    reply.code(error.status).headers(error.headers).header('cache-control', 'no-store').send(error.body());
    return;
  }
  const status = (error as FastifyError).statusCode ?? 500;
  if (status >= 400 && status < 500) {
    reply.code(status).header('cache-control', 'no-store').send({ error: 'invalid_request', error_description: error.message });
    return;
  }
  request.log.error(error);
  reply.code(500).send({ error: 'server_error', error_description: 'internal error' });
}

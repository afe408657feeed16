/**
 * The target profile (DESIGN.md "Target profiles"): what system is under test and how to reach,
 * start and log into it. Secrets come from ${ENV_VAR} interpolation, never from the file.
 * `npm run schema` writes the JSON Schema of this (profile.schema.json) for editors.
 */
import { z } from 'zod';
import { durationMs } from '../config/duration-schema.ts';

const duration = durationMs;

const httpUrl = z.url({ protocol: /^https?$/ }).describe('an http(s) URL');

export const launchSchema = z
  .strictObject({
    command: z
      .array(z.string().min(1))
      .min(1)
      .describe('argv of the process to start; {{testIssuer.url}}-style placeholders allowed'),
    env: z.record(z.string(), z.string()).default({}).describe('extra environment (placeholders allowed)'),
    cwd: z.string().optional().describe('working directory, relative to the profile file'),
    ready: httpUrl.describe('polled until it answers 2xx: then the target is ready'),
    readyTimeout: duration.default(30_000).describe('how long to wait for ready'),
  })
  .describe('the harness starts this process before the run and stops it (and its children) after');

export const capabilities = [
  'refresh_rotation',
  'revocation',
  'introspection',
  'token_exchange',
  'dpop',
  'private_key_jwt',
  'opaque_tokens',
  /** The issuer issues RFC 9068 JWT access tokens (T11 judges them at MUST level even if typ says otherwise). */
  'rfc9068',
] as const;
export type Capability = (typeof capabilities)[number];

const clientSchema = z.strictObject({
  id: z.string().min(1),
  secret: z.string().min(1).optional().describe('use ${ENV_VAR}; never write a secret into the file'),
  auth: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']).default('client_secret_basic'),
  privateKeyFile: z.string().optional().describe('PEM private key for private_key_jwt, relative to the profile file'),
  scopes: z.array(z.string()).default([]),
  redirectUri: z.url().optional().describe('overrides login.redirectUri for this client'),
  tokenParams: z
    .record(z.string(), z.string())
    .default({})
    .describe(
      'extra parameters on every token request of this client, e.g. a vendor audience=… where the issuer does not take RFC 8707 resource (reported as non-standard)',
    ),
});

const loginStep = z.union([
  z.strictObject({ fill: z.string().min(1).describe('CSS selector'), value: z.string().describe('${ENV_VAR} for secrets') }),
  z.strictObject({ click: z.string().min(1).describe('CSS selector') }),
  z.strictObject({ waitFor: z.string().min(1).describe('CSS selector') }),
  z.strictObject({ select: z.string().min(1).describe('CSS selector of a <select>'), value: z.string() }),
]);
export type LoginStep = z.output<typeof loginStep>;

/** A proxy's name as toxiproxy has it (`GET /proxies`). */
const proxyName = z.string().min(1).optional();

const adminRequest = z.strictObject({
  url: httpUrl,
  method: z.enum(['POST', 'PUT']).default('POST'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
});

const refreshTokenCommand = z
  .strictObject({
    command: z
      .array(z.string().min(1))
      .min(1)
      .describe('argv; it prints one refresh token (alone, or as token-response JSON) on stdout'),
    env: z.record(z.string(), z.string()).default({}),
    client: z.enum(['primary', 'secondary', 'public']).default('primary').describe('the profile client the token was issued to'),
    timeout: duration.default(30_000),
  })
  .describe('where the target has no browser login: a command that prints a refresh token');

const login = z
  .strictObject({
    redirectUri: z
      .url()
      .optional()
      .describe('the loopback redirect URI registered for the clients (http://127.0.0.1:<port>/…): the harness listens on it'),
    steps: z.array(loginStep).min(1).optional().describe('what a user does on the login (and consent) pages'),
    scope: z.string().optional().describe('scope of the authorization request; default: openid and the client scopes'),
    stepTimeout: duration.default(10_000).describe('how long one step may wait for its selector'),
    refreshTokenCommand: refreshTokenCommand.optional(),
    /** Username shown in reports; the steps carry the actual values. */
    user: z.string().optional(),
  })
  .superRefine((value, ctx) => {
    if (value.steps && !value.redirectUri)
      ctx.addIssue({ code: 'custom', path: ['redirectUri'], message: 'is required with login steps' });
    if (!value.steps && !value.refreshTokenCommand)
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'give login steps, a refreshTokenCommand, or both' });
  });

export const profileSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).describe('shown in reports'),
  issuer: z
    .strictObject({
      url: httpUrl.describe('the issuer identifier; discovery is derived from it'),
      launch: launchSchema.optional(),
      clients: z
        .strictObject({
          primary: clientSchema,
          secondary: clientSchema.optional().describe('a second client, for cross-client checks'),
          public: clientSchema
            .optional()
            .describe(
              'a public client (auth none): rotation and DPoP binding of its refresh tokens are required (RFC 9700 §4.14.2, RFC 9449 §5)',
            ),
          privateKeyJwt: clientSchema.optional().describe('a private_key_jwt client (RFC 7523), for the client-assertion checks'),
          resourceServer: clientSchema
            .optional()
            .describe(
              "the resource server's own client: it introspects tokens issued for its audience (RFC 7662 §2.1); default: the primary client",
            ),
        })
        .optional(),
      login: login.optional().describe('how the harness gets user tokens: browser steps for authorization_code + PKCE'),
      capabilities: z
        .array(z.enum(capabilities))
        .optional()
        .describe('what the issuer supports; detected from discovery when absent'),
      profile: z.enum(['rfc9700', 'fapi2']).default('rfc9700').describe('which refresh-rotation semantics apply'),
      graceWindow: duration
        .optional()
        .describe('fapi2: how long a rotated refresh token still works for a retry (the issuer declares it)'),
      introspection: z
        .strictObject({
          url: httpUrl
            .optional()
            .describe(
              'the RFC 7662 endpoint, when discovery does not advertise it (e.g. an admin endpoint); default: introspection_endpoint',
            ),
          client: clientSchema
            .optional()
            .describe(
              'credentials for this endpoint when they are not a profile client (e.g. admin credentials); default: clients.resourceServer, else primary',
            ),
          audience: z
            .string()
            .min(1)
            .optional()
            .describe(
              'audience of the tokens the introspecting client may see (requested as RFC 8707 resource unless the client tokenParams name it); default: the audience of a resource server that trusts this issuer (resourceServer when trusts: issuer, else propagation.audience)',
            ),
          networkProtected: z
            .boolean()
            .default(false)
            .describe(
              'the endpoint is protected by the network (an admin port) instead of caller authentication: I04 is skipped',
            ),
        })
        .optional()
        .describe('how to reach RFC 7662 introspection'),
      revocation: z
        .strictObject({
          url: httpUrl
            .optional()
            .describe('the RFC 7009 endpoint, when discovery does not advertise it; default: revocation_endpoint'),
        })
        .optional(),
      admin: z
        .strictObject({
          rotateKeys: adminRequest.optional().describe('a request that makes the issuer rotate its signing key (K05)'),
          setClockOffset: adminRequest
            .optional()
            .describe(
              'a request that shifts the issuer clock; {{offsetSeconds}} in the body is replaced (expiry without sleeping)',
            ),
        })
        .optional(),
    })
    .optional(),
  resourceServer: z
    .strictObject({
      url: httpUrl.describe('a protected URL'),
      replicas: z.array(httpUrl).optional().describe('every replica to check for revocation propagation'),
      audience: z.string().min(1),
      scope: z.string().optional().describe('a scope the protected URL requires'),
      trusts: z.enum(['harness', 'issuer']).default('harness'),
      resource: httpUrl
        .optional()
        .describe(
          'the RFC 9728 resource identifier when it is not url; its metadata is looked up at the path-inserted well-known URL',
        ),
      dpop: z
        .strictObject({
          supported: z.boolean().optional().describe('whether the RS accepts DPoP-bound tokens (RFC 9449); detected when absent'),
          nonce: z.boolean().optional().describe('whether the RS demands DPoP server nonces (RFC 9449 §9); detected when absent'),
        })
        .optional()
        .describe('declared DPoP behaviour of the resource server'),
      highAssurance: z
        .array(httpUrl)
        .optional()
        .describe('protected URLs where a bearer token is single-use: its jti presented twice is refused (replay check P09)'),
      jwksCacheWindow: duration
        .optional()
        .describe(
          'the longest the RS keeps accepting tokens signed by a key removed from the JWKS (its key cache window); S14 fails when it observes a longer one',
        ),
      launch: launchSchema.optional(),
    })
    .optional(),
  propagation: z
    .strictObject({
      resourceServers: z
        .array(httpUrl)
        .min(1)
        .describe('protected URLs of resource servers (every replica) that trust the target issuer'),
      audience: z.string().min(1).describe('the audience tokens for them are requested for (RFC 8707 resource)'),
      scope: z.string().optional().describe('a scope their protected URL requires'),
    })
    .optional()
    .describe(
      "for V08 (revocation propagation): resource servers that trust the target issuer; when absent and resourceServer.trusts is 'issuer', V08 uses resourceServer.url and replicas",
    ),
  chaos: z
    .strictObject({
      toxiproxy: z
        .strictObject({
          url: httpUrl.describe(
            "the toxiproxy control API the target already routes through (docker-compose's: http://127.0.0.1:8474); --toxiproxy overrides it",
          ),
          links: z
            .strictObject({
              token: proxyName.describe(
                'the proxy the load clients reach the issuer through (token, introspection, revocation): the one issuer.url points at',
              ),
              jwks: proxyName.describe("the proxy the resource server fetches the issuer's JWKS (and discovery) through"),
              'revocation-events': proxyName.describe('the proxy the resource server reads revocation events through'),
              introspection: proxyName.describe('the proxy the resource server introspects tokens through (RFC 7662)'),
            })
            .default({})
            .describe(
              'which existing proxy is which game-day link; the harness only flips faults on them (never creates or deletes one) and leaves them enabled, without toxics. A link not named here is made by the harness, where it can (a toxiproxy on this host)',
            ),
        })
        .optional()
        .describe('a toxiproxy the target already routes through, for game days (tokenproof chaos --target)'),
      resourceServer: z
        .enum(['jwt', 'introspection'])
        .default('jwt')
        .describe(
          "how resourceServer checks tokens, which picks the game-day subjects it is: jwt (the issuer's JWKS; jwt, and propagation when it trusts the issuer) or introspection (RFC 7662; introspection)",
        ),
    })
    .optional()
    .describe('game days against this target (tokenproof chaos): the faults it already has a place for'),
  slo: z
    .strictObject({
      revocationPropagation: duration.optional(),
      issuanceP95: duration.optional(),
      introspectionP95: duration.optional(),
      validationP95: duration.optional(),
      availability: z
        .number()
        .min(0)
        .max(1)
        .optional()
        .describe('fraction of legitimate requests (valid tokens, valid clients) that must succeed, e.g. 0.999'),
      errorRate: z
        .number()
        .min(0)
        .max(1)
        .optional()
        .describe('largest fraction of requests with an unexpected outcome (5xx, no answer, valid refused), e.g. 0.01'),
      refreshFailureRate: z.number().min(0).max(1).optional().describe('largest fraction of refreshes that may fail'),
      minThroughput: z.number().positive().optional().describe('requests per second the load must at least reach'),
    })
    .default({}),
  timeouts: z
    .strictObject({
      check: duration.default(30_000).describe('per-check time limit'),
      request: duration.default(10_000).describe('per-HTTP-request time limit, body included'),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxBodyBytes: z
        .number()
        .int()
        .min(1024)
        .default(1024 * 1024)
        .describe('largest response body the harness reads (discovery, JWKS, error bodies); larger is cut off'),
    })
    .prefault({}),
});

export type Profile = z.output<typeof profileSchema>;
export type ProfileInput = z.input<typeof profileSchema>;
export type ClientProfile = z.output<typeof clientSchema>;
export type LaunchSpec = z.output<typeof launchSchema>;

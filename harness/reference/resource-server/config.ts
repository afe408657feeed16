/**
 * The reference resource server's configuration: whom it trusts (issuer, JWKS or introspection),
 * what it demands (audience, scope, DPoP), how long it caches, and how it behaves when the
 * issuer is down. Loaded from YAML (`tokenproof serve resource-server --config FILE`) or built
 * in code by the embedded environment and the tests.
 */
import { z } from 'zod';
import { durationMs } from '../../config/duration-schema.ts';
import { loadYamlFile } from '../../config/yaml-file.ts';
import { supportedAlgorithms } from './algorithms.ts';

const duration = durationMs;

const scopeToken = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope token has no spaces or quotes');
/** `read write` or `[read, write]`: every listed scope is required. */
const scopeList = z
  .union([z.string(), z.array(scopeToken)])
  .transform((value) => (typeof value === 'string' ? value.split(' ').filter(Boolean) : value))
  .pipe(z.array(scopeToken));

const routeSchema = z.strictObject({
  /** An exact path (`/protected/orders`) or a prefix ending in `*` (`/protected/admin/*`). */
  path: z.string().startsWith('/protected', 'protected routes live under /protected'),
  /** Methods this rule applies to; all when absent. */
  methods: z.array(z.string().regex(/^[A-Z]+$/, 'an upper-case HTTP method')).optional(),
  scope: scopeList,
});
export type RouteScope = z.output<typeof routeSchema>;

export const failurePolicies = ['unavailable', 'reject', 'stale'] as const;

export const resourceServerConfigSchema = z
  .strictObject({
    /** The issuer identifier the tokens must carry in `iss`, exactly. */
    issuer: z.url(),
    /** This server's audience; a token must name one of these in `aud` (string or array). */
    audience: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .transform((value) => (typeof value === 'string' ? [value] : value)),
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(0),
    /** The URL clients use to reach this server (DPoP `htu`); defaults to http://<host>:<port>. */
    publicUrl: z.url().optional(),
    /** jwt: validate JWT access tokens locally with the issuer's JWKS. introspection: ask the issuer (RFC 7662). */
    mode: z.enum(['jwt', 'introspection']).default('jwt'),
    /** Overrides the jwks_uri from discovery. */
    jwksUri: z.url().optional(),
    algorithms: z
      .array(z.enum(supportedAlgorithms))
      .min(1)
      .default([...supportedAlgorithms]),
    /** Tolerance for exp and nbf, for clock differences between issuer and this server. */
    leeway: duration.default(30_000),
    /** Longer tokens are refused before any parsing. */
    maxTokenLength: z.number().int().min(256).max(65_536).default(8192),
    /** Bigger request heads get 431 from the HTTP parser. */
    maxHeaderSize: z.number().int().min(4096).max(65_536).default(16_384),
    /** Scope every protected route requires unless a route rule says otherwise. */
    requiredScope: scopeList.default([]),
    /** Per-route scope rules; the first match wins. */
    routes: z.array(routeSchema).default([]),
    /** RFC 6750 §2.3 (URI query parameter). Off: RFC 9700 §2.5 advises against it. */
    allowQueryToken: z.boolean().default(false),
    realm: z
      .string()
      .regex(/^[\x20\x21\x23-\x5B\x5D-\x7E]*$/, 'a realm is printable ASCII without quotes or backslashes')
      .default('tokenproof'),
    jwks: z
      .strictObject({
        /**
         * After a refetch for an unknown kid, further unknown kids wait this long before the next
         * one. Also the longest a key used without pre-publication can be refused.
         */
        cooldown: duration.default(5_000),
        /** Background refresh, so removed keys stop verifying; also the window reported by check S14. */
        refreshInterval: duration.default(60_000),
        timeout: duration.default(2_000),
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(256 * 1024),
      })
      .prefault({}),
    /** Tokens that passed every check, kept until exp and dropped on revocation or key removal. */
    tokenCache: z
      .strictObject({
        enabled: z.boolean().default(true),
        maxEntries: z.number().int().min(1).default(50_000),
      })
      .prefault({}),
    introspection: z
      .strictObject({
        /** Overrides introspection_endpoint from discovery. */
        endpoint: z.url().optional(),
        clientId: z.string().min(1),
        clientSecret: z.string().min(1),
        auth: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
        /** How long an active answer is reused: the bound on revocation propagation when events are lost. */
        cacheTtl: duration.default(30_000),
        /** How long an inactive answer is reused. */
        negativeCacheTtl: duration.default(5_000),
        maxEntries: z.number().int().min(1).default(50_000),
        timeout: duration.default(2_000),
      })
      .optional(),
    revocationEvents: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Overrides revocation_events_endpoint from discovery. */
        url: z.url().optional(),
        /** A silent stream longer than this is reconnected (the issuer sends a heartbeat every 15 s). */
        idleTimeout: duration.default(45_000),
        maxReconnectDelay: duration.default(5_000),
      })
      .prefault({}),
    failurePolicy: z
      .strictObject({
        /**
         * When the issuer cannot answer an introspection: `unavailable` answers 503 (fail closed),
         * `reject` answers 401, `stale` reuses an earlier active answer for up to `staleFor`, else 503.
         * JWT mode always keeps verifying with the cached keys.
         */
        introspection: z.enum(failurePolicies).default('unavailable'),
        staleFor: duration.default(60_000),
      })
      .prefault({}),
    dpop: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Refuse tokens that are not DPoP-bound. */
        required: z.boolean().default(false),
        /** Demand server nonces (RFC 9449 §9). */
        nonce: z.boolean().default(false),
        /** A nonce is accepted during the window it was issued in and the next one. */
        nonceWindow: duration.default(60_000),
        /** How far a proof's iat may be from this server's clock. */
        maxSkew: duration.default(60_000),
      })
      .prefault({}),
    /**
     * RFC 9728 Protected Resource Metadata, published at the path-inserted well-known URL of the
     * resource identifier and named in every challenge (`resource_metadata`, §5.1). Absent: not
     * published (`tokenproof serve resource-server` publishes it unless a config file says otherwise).
     */
    resourceMetadata: z
      .strictObject({
        /** The resource identifier (RFC 9728 §1.2); default `<publicUrl>/protected`. */
        resource: z.url().optional(),
        /** Issuer identifiers clients may get tokens from; default [issuer]. */
        authorizationServers: z.array(z.url()).min(1).optional(),
        resourceName: z.string().min(1).optional(),
        resourceDocumentation: z.url().optional(),
        /** Add `resource_metadata="<url>"` to WWW-Authenticate challenges. */
        inChallenge: z.boolean().default(true),
      })
      .optional(),
    /** Seconds added to this server's clock (clock-skew game days). */
    clockOffsetSeconds: z.number().default(0),
    logLevel: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('silent'),
  })
  .superRefine((config, ctx) => {
    if (config.mode === 'introspection' && !config.introspection) {
      ctx.addIssue({
        code: 'custom',
        path: ['introspection'],
        message: 'is required in introspection mode (client credentials)',
      });
    }
  });

export type ResourceServerConfigInput = z.input<typeof resourceServerConfigSchema>;
export type ResourceServerConfig = z.output<typeof resourceServerConfigSchema>;

export function parseResourceServerConfig(input: ResourceServerConfigInput): ResourceServerConfig {
  return resourceServerConfigSchema.parse(input);
}

/**
 * Loads a YAML file; `overrides` (command-line flags) replace top-level fields before validation
 * (errors name file, line and field). Returns the validated input, not the parsed output:
 * parsing is not idempotent (a bare number is seconds in input, milliseconds once parsed), so
 * the one parse happens in startResourceServer.
 */
export function loadResourceServerConfig(
  file: string,
  overrides: Partial<ResourceServerConfigInput> = {},
): ResourceServerConfigInput {
  const withOverrides = z.preprocess(
    (raw) => (raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...raw, ...definedOnly(overrides) } : raw),
    resourceServerConfigSchema,
  );
  const written = loadYamlFile(file, withOverrides, { raw: true }) as ResourceServerConfigInput;
  return { ...written, ...definedOnly(overrides) };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

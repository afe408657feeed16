/**
 * The reference issuer's configuration: clients, users, keys, TTLs and modes. Loaded from YAML
 * (`tokenproof serve issuer --config FILE`) or built in code by the embedded environment.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { durationMs } from '../../config/duration-schema.ts';
import { loadYamlFile } from '../../config/yaml-file.ts';
import { signingAlgorithms } from '../../oauth/algorithms.ts';

const duration = durationMs;

export const grantTypes = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const;
export type GrantType = (typeof grantTypes)[number];

export const clientAuthMethods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof clientAuthMethods)[number];

const clientSchema = z
  .strictObject({
    id: z.string().min(1),
    secret: z.string().min(1).optional(),
    auth: z.enum(clientAuthMethods).default('client_secret_basic'),
    /** Public keys for private_key_jwt. */
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope token has no spaces or quotes')).default([]),
    grantTypes: z.array(z.enum(grantTypes)).default(['client_credentials', 'authorization_code', 'refresh_token']),
    redirectUris: z.array(z.url()).default([]),
    /** Audiences (RFC 8707 resources) this client may request; defaults to every configured resource. */
    resources: z.array(z.string()).optional(),
  })
  .superRefine((client, ctx) => {
    const needsSecret = client.auth === 'client_secret_basic' || client.auth === 'client_secret_post';
    if (needsSecret && !client.secret)
      ctx.addIssue({ code: 'custom', path: ['secret'], message: `is required for auth ${client.auth}` });
    if (client.auth === 'private_key_jwt' && !client.jwks)
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'is required for private_key_jwt' });
    if (client.grantTypes.includes('authorization_code') && client.redirectUris.length === 0 && client.auth === 'none') {
      ctx.addIssue({ code: 'custom', path: ['redirectUris'], message: 'a public client needs at least one redirect URI' });
    }
  });
export type ClientConfig = z.output<typeof clientSchema>;

const userSchema = z.strictObject({
  username: z.string().min(1),
  password: z.string().min(1),
  sub: z.string().min(1).optional(),
  claims: z.record(z.string(), z.unknown()).default({}),
});
export type UserConfig = z.output<typeof userSchema>;

export const issuerConfigSchema = z.strictObject({
  /** Issuer identifier; defaults to http://<host>:<port> once listening. */
  issuer: z.url().optional(),
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
  /** Seconds added to the issuer's clock (clock-skew game days); also settable at run time. */
  clockOffsetSeconds: z.number().default(0),
  tokens: z
    .strictObject({
      format: z.enum(['jwt', 'opaque']).default('jwt'),
      accessTokenTtl: duration.default(300_000),
      refreshTokenTtl: duration.default(86_400_000),
      authorizationCodeTtl: duration.default(60_000),
      idTokenTtl: duration.default(300_000),
      /** aud of access tokens when the client asks for no resource. */
      defaultAudience: z.string().default('api://default'),
    })
    .prefault({}),
  /** Audiences a client may ask for (RFC 8707 `resource`, RFC 8693 `audience`). */
  resources: z.array(z.string()).optional(),
  signing: z
    .strictObject({
      alg: z.enum(signingAlgorithms).default('RS256'),
      /** PEM private key to sign with from the start (stable kid across restarts); default: a fresh key per start. */
      privateKeyFile: z.string().min(1).optional(),
      rotation: z
        .strictObject({
          /** Rotate on a schedule; omit to rotate only through the admin API. */
          every: duration.optional(),
          /** A new key is published this long before it signs anything. */
          prePublish: duration.default(0),
        })
        .prefault({}),
    })
    .prefault({}),
  refresh: z
    .strictObject({
      /** rfc9700: one-time refresh tokens, reuse revokes the family. fapi2: a retry with the previous token works inside graceWindow. */
      mode: z.enum(['rfc9700', 'fapi2']).default('rfc9700'),
      graceWindow: duration.default(10_000),
    })
    .prefault({}),
  dpop: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** How far a proof's iat may be from the issuer clock. */
      maxSkew: duration.default(60_000),
    })
    .prefault({}),
  rateLimit: z
    .strictObject({
      /** Token requests per window per client (and address); 0 disables the limit. */
      max: z.number().int().min(0).default(100_000),
      window: duration.default(60_000),
    })
    .prefault({}),
  /** Bearer token for /admin (key rotation, clock offset). Without it the admin API is off. */
  adminToken: z.string().min(16).optional(),
  logLevel: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('silent'),
  clients: z.array(clientSchema).min(1),
  users: z.array(userSchema).default([]),
});

export type IssuerConfigInput = z.input<typeof issuerConfigSchema>;
export type IssuerConfig = z.output<typeof issuerConfigSchema>;

export function parseIssuerConfig(input: IssuerConfigInput): IssuerConfig {
  return issuerConfigSchema.parse(input);
}

/**
 * Validates a YAML config (errors name file, line and field) and returns it as written: parsing
 * is not idempotent (a bare number is seconds in input, milliseconds once parsed), so the one
 * parse happens in startIssuer.
 */
export function loadIssuerConfig(file: string): IssuerConfigInput {
  const config = loadYamlFile(file, issuerConfigSchema, { raw: true }) as IssuerConfigInput;
  const keyFile = config.signing?.privateKeyFile;
  // Paths in a config file are relative to the file, not to wherever the issuer was started.
  if (keyFile) config.signing = { ...config.signing, privateKeyFile: resolve(dirname(file), keyFile) };
  return config;
}

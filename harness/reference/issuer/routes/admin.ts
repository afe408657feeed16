/**
 * The admin API the harness uses during game days: rotate the signing key, shift the clock.
 * Off unless an admin token is configured; every call must present it as a Bearer token.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { invalidRequest, OAuthError } from '../../../oauth/oauth-error.ts';
import { secretsMatch } from '../client-auth.ts';
import type { IssuerContext } from '../context.ts';

const rotateBody = z.strictObject({ activateAfterSeconds: z.number().min(0).optional() });
const clockBody = z.strictObject({ offsetSeconds: z.number() });

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw invalidRequest(result.error.issues[0]?.message ?? 'invalid body');
  return result.data;
}

export function registerAdmin(app: FastifyInstance, ctx: IssuerContext): void {
  const adminToken = ctx.config.adminToken;
  if (!adminToken) return;
  app.register(async (admin) => {
    admin.addHook('onRequest', async (request) => {
      const presented = /^bearer +(.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
      if (!secretsMatch(presented, adminToken)) {
        throw new OAuthError('invalid_token', 'admin token required', 401, { 'www-authenticate': 'Bearer realm="admin"' });
      }
    });
    admin.get('/admin/keys', async () => keyState(ctx));
    admin.post('/admin/keys/rotate', async (request) => {
      const { activateAfterSeconds } = parse(rotateBody, request.body);
      const key = await ctx.keys.rotate(
        activateAfterSeconds === undefined ? {} : { activateAfterMs: activateAfterSeconds * 1000 },
      );
      return { kid: key.kid, activeFrom: Math.floor(key.activeFrom / 1000), keys: keyState(ctx).keys };
    });
    admin.post('/admin/clock', async (request) => {
      const { offsetSeconds } = parse(clockBody, request.body);
      ctx.clock.setOffsetSeconds(offsetSeconds);
      return { offsetSeconds: ctx.clock.offsetSeconds(), now: ctx.clock.nowSeconds() };
    });
  });
}

function keyState(ctx: IssuerContext) {
  const signing = ctx.keys.signingKey().kid;
  return {
    signing,
    keys: ctx.keys.published().map((key) => ({
      kid: key.kid,
      alg: key.alg,
      publishedAt: Math.floor(key.publishedAt / 1000),
      activeFrom: Math.floor(key.activeFrom / 1000),
      ...(key.removeAt !== undefined && { removeAt: Math.floor(key.removeAt / 1000) }),
    })),
  };
}

/**
 * The authorization endpoint (RFC 6749 §4.1.1) with a real username/password login page, so a
 * browser can drive the authorization_code flow. PKCE with S256 is required (RFC 9700 §2.1.1).
 * Errors about the client or redirect URI are shown to the user, never redirected (§4.1.2.1).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { secretsMatch } from '../client-auth.ts';
import { type IssuerContext, paths } from '../context.ts';
import { readForm } from '../form.ts';
import { grantAudience, grantScope } from '../scope.ts';
import { hashSecretValue, type PendingLogin, randomToken } from '../store.ts';
import { errorPage, loginPage } from './login-page.ts';

const loginTtlSeconds = 600;
const challengeFormat = /^[A-Za-z0-9_-]{43}$/;

export function registerAuthorize(app: FastifyInstance, ctx: IssuerContext): void {
  app.get(paths.authorize, async (request, reply) => {
    securePage(reply);
    const query = request.query as Record<string, unknown>;
    const param = (name: string) => (typeof query[name] === 'string' && query[name] !== '' ? (query[name] as string) : undefined);
    const repeated = Object.entries(query).find(([, value]) => Array.isArray(value));
    const client = ctx.clients.get(param('client_id') ?? '');
    if (!client) return reply.code(400).send(errorPage('Unknown client', 'The client_id is missing or not registered.'));
    const redirectUri = param('redirect_uri');
    if (!redirectUri || !client.redirectUris.includes(redirectUri)) {
      return reply
        .code(400)
        .send(errorPage('Invalid redirect URI', 'The redirect_uri is missing or not registered for this client.'));
    }
    const state = param('state');
    const fail = (error: string, description: string) =>
      redirect(reply, redirectUri, { error, error_description: description, state, iss: ctx.issuer });
    if (repeated) return fail('invalid_request', `parameter ${repeated[0]} is repeated`);
    if (param('response_type') !== 'code') return fail('unsupported_response_type', 'only response_type=code is supported');
    if (!client.grantTypes.includes('authorization_code'))
      return fail('unauthorized_client', 'this client may not use the authorization code flow');
    const challenge = param('code_challenge');
    if (!challenge) return fail('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256');
    if (param('code_challenge_method') !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
    if (!challengeFormat.test(challenge))
      return fail('invalid_request', 'code_challenge must be a base64url SHA-256 (43 characters)');
    let scope: string[];
    let resource: string[];
    try {
      scope = grantScope(param('scope'), client.scopes);
      const requested = query.resource;
      resource = grantAudience(ctx, client, (Array.isArray(requested) ? requested : requested ? [requested] : []).map(String));
    } catch (error) {
      const oauth = error as { error?: string; message: string };
      return fail(oauth.error ?? 'invalid_request', oauth.message);
    }
    const loginId = randomToken();
    const nonce = param('nonce');
    const pending: PendingLogin = {
      clientId: client.id,
      redirectUri,
      codeChallenge: challenge,
      scope,
      resource,
      expiresAt: ctx.clock.nowSeconds() + loginTtlSeconds,
      ...(state !== undefined && { state }),
      ...(nonce !== undefined && { nonce }),
    };
    ctx.store.pendingLogins.set(hashSecretValue(loginId), pending);
    securePage(reply, redirectUri);
    return reply.type('text/html; charset=utf-8').send(loginPage({ loginId, clientId: client.id, scope }));
  });

  app.post(paths.authorize, async (request, reply) => {
    securePage(reply);
    const { params } = readForm(request.body);
    const key = hashSecretValue(params.login_id ?? '');
    const pending = ctx.store.pendingLogins.get(key);
    if (!pending || pending.expiresAt <= ctx.clock.nowSeconds()) {
      return reply
        .code(400)
        .send(errorPage('Login expired', 'This login form is no longer valid. Start again from the application.'));
    }
    securePage(reply, pending.redirectUri);
    const user = ctx.users.get(params.username ?? '');
    // Compare against a dummy for unknown users, so timing does not reveal which names exist.
    const passwordOk = secretsMatch(params.password ?? '', user?.password ?? '\u0000no-such-user');
    if (!user || !passwordOk) {
      return reply
        .code(401)
        .type('text/html; charset=utf-8')
        .send(
          loginPage({
            loginId: params.login_id!,
            clientId: pending.clientId,
            scope: pending.scope,
            error: 'Wrong username or password.',
          }),
        );
    }
    ctx.store.pendingLogins.delete(key);
    const code = randomToken();
    ctx.store.codes.set(hashSecretValue(code), {
      clientId: pending.clientId,
      redirectUri: pending.redirectUri,
      codeChallenge: pending.codeChallenge,
      scope: pending.scope,
      resource: pending.resource,
      sub: user.sub ?? user.username,
      authTime: ctx.clock.nowSeconds(),
      expiresAt: ctx.clock.nowSeconds() + Math.floor(ctx.config.tokens.authorizationCodeTtl / 1000),
      redeemed: false,
      ...(pending.nonce !== undefined && { nonce: pending.nonce }),
    });
    return redirect(reply, pending.redirectUri, { code, state: pending.state, iss: ctx.issuer });
  });
}

function redirect(reply: FastifyReply, redirectUri: string, params: Record<string, string | undefined>) {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return reply.redirect(url.toString(), 302);
}

/**
 * `formRedirectUri`: the login form's answer redirects there, and browsers enforce form-action
 * across redirects (CSP Level 3), so its origin must be allowed next to 'self'.
 */
function securePage(reply: FastifyReply, formRedirectUri?: string): void {
  const target = formRedirectUri === undefined ? undefined : new URL(formRedirectUri);
  // A private-use scheme (com.example.app:/cb) has an opaque origin: allow the scheme instead.
  const formAction = target ? ` ${target.origin === 'null' ? target.protocol : target.origin}` : '';
  reply
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header(
      'content-security-policy',
      `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'${formAction}; frame-ancestors 'none'`,
    )
    .header('referrer-policy', 'no-referrer');
}

// Client authentication for the token, introspection and revocation endpoints (RFC 6749 §2.3.1).
import encoding from 'k6/encoding';
import { type ClientCredentials, config } from './config.ts';

export function clientFor(index: number): ClientCredentials {
  const client = config.clients[index % config.clients.length];
  if (!client) throw new Error('the load configuration has no client');
  return client;
}

function secretOf(client: ClientCredentials): string {
  const secret = client.secret ?? (client.secretEnv ? __ENV[client.secretEnv] : undefined);
  if (!secret) throw new Error(`no secret for client ${client.id} (set ${client.secretEnv ?? 'its secret'})`);
  return secret;
}

export function authenticated(
  client: ClientCredentials,
  form: Record<string, string>,
): { body: Record<string, string>; headers: Record<string, string> } {
  const secret = secretOf(client);
  if (client.auth === 'client_secret_post')
    return { body: { ...form, client_id: client.id, client_secret: secret }, headers: {} };
  // RFC 6749 §2.3.1: form-urlencode id and secret before joining them.
  const basic = encoding.b64encode(`${encodeURIComponent(client.id)}:${encodeURIComponent(secret)}`);
  return { body: form, headers: { authorization: `Basic ${basic}` } };
}

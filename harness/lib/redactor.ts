/**
 * The run's redactor. Every secret and token the run learns (profile secrets, issued tokens,
 * codes, verifiers) is registered, and every string that leaves the process as evidence passes
 * through scrub(): a registered value never appears whole in a report or a log. On top of that,
 * well-known places (Authorization headers, token fields, form secrets) are masked structurally,
 * so even an unregistered token is shown only as a JWS header and claims or a short prefix.
 */
import { redactJwt, redactToken } from './redact.ts';

const jwsPattern = /\b(eyJ[A-Za-z0-9_-]{4,})\.(eyJ[A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{8,})/g;
const secretFields = new Set([
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'code',
  'code_verifier',
  'client_secret',
  'client_assertion',
  'subject_token',
  'actor_token',
  'password',
  'assertion',
  'login_id',
]);
const secretHeaders = new Set(['authorization', 'dpop', 'cookie', 'set-cookie', 'proxy-authorization', 'x-api-key']);

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Registers a value that must never be written out whole. Short values are ignored (too common to scrub). */
  register(value: string | undefined): void {
    if (value && value.length >= 8) this.secrets.add(value);
  }

  /** Replaces registered secrets and any compact JWS signature in free text. */
  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret))
        out = out.split(secret).join(secret.split('.').length === 3 ? redactJwt(secret) : redactToken(secret));
    }
    return out.replace(jwsPattern, (_match, header: string, payload: string) => `${header}.${payload}.[signature redacted]`);
  }

  header(name: string, value: string): string {
    const lower = name.toLowerCase();
    if (!secretHeaders.has(lower)) return this.scrub(value);
    if (lower === 'authorization' || lower === 'proxy-authorization') {
      const [scheme, credential] = value.split(/ +/, 2);
      if (!credential) return '[redacted]';
      if (/^basic$/i.test(scheme ?? '')) {
        const id = Buffer.from(credential, 'base64').toString('utf8').split(':')[0] ?? '';
        return `${scheme} [client ${this.scrub(id)}, secret redacted]`;
      }
      return `${scheme} ${credential.split('.').length === 3 ? redactJwt(credential) : redactToken(credential)}`;
    }
    if (lower === 'dpop') return redactJwt(value);
    return '[redacted]';
  }

  headers(headers: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, this.header(name, value)]));
  }

  /** Masks secret members of a form body or JSON body, whatever its shape. */
  body(body: string, contentType = ''): string {
    if (/x-www-form-urlencoded/i.test(contentType)) {
      const params = new URLSearchParams(body);
      const shown = [...params].map(
        ([name, value]) => `${name}=${secretFields.has(name) ? this.value(value) : this.scrub(value)}`,
      );
      return shown.join('&');
    }
    if (/json/i.test(contentType)) {
      try {
        return JSON.stringify(this.json(JSON.parse(body)));
      } catch {
        // fall through: not JSON after all
      }
    }
    return this.scrub(body.length > 4096 ? `${body.slice(0, 4096)}… [${body.length} bytes]` : body);
  }

  private value(value: string): string {
    return value.split('.').length === 3 ? redactJwt(value) : redactToken(value);
  }

  private json(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.json(item));
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [
          key,
          secretFields.has(key) && typeof item === 'string' ? this.value(item) : this.json(item),
        ]),
      );
    }
    return typeof value === 'string' ? this.scrub(value) : value;
  }
}

/**
 * Reads a parsed application/x-www-form-urlencoded body into single-valued parameters.
 * RFC 6749 §3.1/§3.2: parameters without a value count as omitted, and a parameter must not be
 * repeated, except those that RFC 8707 (`resource`) and RFC 8693 (`audience`) allow more than once.
 */
import { invalidRequest } from '../../oauth/oauth-error.ts';

const repeatable = new Set(['resource', 'audience']);

export interface Form {
  params: Record<string, string>;
  resource: string[];
  audience: string[];
}

export function readForm(body: unknown): Form {
  const form: Form = { params: {}, resource: [], audience: [] };
  if (body === undefined || body === null) return form;
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('the body must be form-encoded parameters');
  for (const [name, raw] of Object.entries(body)) {
    const values = (Array.isArray(raw) ? raw : [raw]).filter((value) => value !== '');
    if (values.some((value) => typeof value !== 'string')) throw invalidRequest(`parameter ${name} is not a string`);
    if (values.length === 0) continue;
    if (name === 'resource' || name === 'audience') form[name] = values as string[];
    else if (values.length > 1 && !repeatable.has(name)) throw invalidRequest(`parameter ${name} is repeated`);
    else form.params[name] = values[0] as string;
  }
  return form;
}

export function requireParam(form: Form, name: string): string {
  const value = form.params[name];
  if (value === undefined) throw invalidRequest(`parameter ${name} is required`);
  return value;
}

/** True for an application/x-www-form-urlencoded content type (parameters allowed). */
export function formBodyType(contentType: string): boolean {
  return /^application\/x-www-form-urlencoded\b/i.test(contentType);
}

/** RFC 6749 §3.2: the token, introspection and revocation endpoints take form bodies only. */
export function requireFormBody(contentType: string | undefined): void {
  if (!formBodyType(contentType ?? '')) throw invalidRequest('the request body must be application/x-www-form-urlencoded');
}

/**
 * Redaction for anything that leaves the process (logs, reports, errors). A token is shown
 * by a short prefix and its length, enough to tell two tokens apart and never enough to use.
 */
export function redactToken(token: string): string {
  if (token.length <= 12) return `[redacted ${token.length} chars]`;
  return `${token.slice(0, 6)}…[redacted ${token.length} chars]`;
}

/** A compact JWS keeps its header and payload readable; the signature is never shown. */
export function redactJwt(jwt: string): string {
  const parts = jwt.split('.');
  if (parts.length !== 3) return redactToken(jwt);
  return `${parts[0]}.${parts[1]}.[signature redacted]`;
}

export function redactSecret(secret: string): string {
  return `[secret redacted, ${secret.length} chars]`;
}

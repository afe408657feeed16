/** Resource-server steps: call the protected URL with a credential and read what it answered. */
import { StepError } from '../runner/verdict.ts';
import type { StepIO } from './io.ts';

export interface ResourceAnswer {
  status: number;
  headers: Headers;
  text: string;
  durationMs: number;
}

export interface CallOptions {
  /** The whole Authorization header value (`Bearer x`, `DPoP x`); absent = no credential. */
  authorization?: string;
  headers?: Record<string, string>;
  method?: string;
  /** Another URL of the RS (a replica, a query-string variant); default resourceServer.url. */
  url?: string;
}

export function resourceServerSteps(io: StepIO) {
  const resourceUrl = (): string => {
    const url = io.target.profile.resourceServer?.url;
    if (!url) throw new StepError('the profile has no resourceServer');
    return url;
  };

  /** One request to the RS; a network failure (reset, timeout) is returned as status 0 with the reason in text. */
  async function call(options: CallOptions = {}): Promise<ResourceAnswer> {
    const started = performance.now();
    try {
      const response = await io.fetch(options.url ?? resourceUrl(), {
        method: options.method ?? 'GET',
        headers: { ...(options.authorization && { authorization: options.authorization }), ...options.headers },
        redirect: 'manual',
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, durationMs: performance.now() - started };
    } catch (error) {
      if (io.signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      return { status: 0, headers: new Headers(), text: cause, durationMs: performance.now() - started };
    }
  }

  /** The RS with a bearer token. */
  const withBearer = (token: string, options: Omit<CallOptions, 'authorization'> = {}) =>
    call({ ...options, authorization: `Bearer ${token}` });

  return { resourceUrl, call, withBearer };
}

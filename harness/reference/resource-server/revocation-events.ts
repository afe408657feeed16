/**
 * The subscription to the issuer's revocation events (server-sent events, see the reference
 * issuer's routes/events.ts). Each `revocation` event for an access token goes into the
 * RevocationList at once. The SSE client resumes with Last-Event-ID after a drop, so events
 * published while the stream was down are replayed from the issuer's backlog.
 */
import { connectSse, type SseConnection } from '../../oauth/sse-client.ts';
import type { RevocationList } from './revocations.ts';

export interface RevocationSubscriptionOptions {
  /** Resolves the stream URL (configured, or from discovery); undefined when the issuer has none. */
  url: () => Promise<string | undefined>;
  revocations: RevocationList;
  idleTimeoutMs: number;
  maxReconnectDelayMs: number;
  onConnected?: (connected: boolean) => void;
  onEvent?: () => void;
  log?: (message: string) => void;
}

export interface RevocationSubscription {
  /** Settles once the first connection attempt has an outcome (or after `waitMs`). */
  ready(waitMs: number): Promise<void>;
  readonly connected: boolean;
  close(): void;
}

export function subscribeRevocationEvents(options: RevocationSubscriptionOptions): RevocationSubscription {
  let connected = false;
  let closed = false;
  let connection: SseConnection | undefined;
  let settleFirst: () => void = () => undefined;
  const firstOutcome = new Promise<void>((resolve) => {
    settleFirst = resolve;
  });
  const setConnected = (value: boolean) => {
    if (connected !== value) options.onConnected?.(value);
    connected = value;
  };

  const start = async () => {
    let delayMs = 250;
    // The URL may need discovery, which fails while the issuer is down: keep trying.
    while (!closed) {
      let url: string | undefined;
      try {
        url = await options.url();
      } catch (error) {
        options.log?.(`revocation events: cannot find the stream yet (${(error as Error).message})`);
        settleFirst();
        await pause(delayMs);
        delayMs = Math.min(delayMs * 2, options.maxReconnectDelayMs);
        continue;
      }
      if (!url) {
        options.log?.('revocation events: the issuer publishes no revocation event stream');
        settleFirst();
        return;
      }
      if (closed) return;
      connection = connectSse(url, {
        idleTimeoutMs: options.idleTimeoutMs,
        reconnect: { initialDelayMs: 250, maxDelayMs: options.maxReconnectDelayMs },
        onOpen: () => {
          setConnected(true);
          settleFirst();
        },
        onError: (error) => {
          setConnected(false);
          settleFirst();
          options.log?.(`revocation events: ${error.message}`);
        },
        onEvent: (event) => {
          if (event.type !== 'revocation') return;
          options.onEvent?.();
          const revocation = parseRevocation(event.data);
          if (revocation) options.revocations.revoke(revocation);
        },
      });
      return;
    }
  };
  void start();

  return {
    async ready(waitMs: number) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([firstOutcome, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    },
    get connected() {
      return connected;
    },
    close() {
      closed = true;
      connection?.close();
      setConnected(false);
    },
  };
}

/** The access-token part of an event; refresh-token and family events need nothing here (their access tokens get events of their own). */
export function parseRevocation(data: string): { jti?: string; tokenHash?: string; exp?: number } | undefined {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof event !== 'object' || event === null) return undefined;
  const { kind, jti, tokenHash, exp } = event as Record<string, unknown>;
  if (kind !== 'access_token') return undefined;
  const revocation = {
    ...(typeof jti === 'string' && { jti }),
    ...(typeof tokenHash === 'string' && { tokenHash }),
    ...(typeof exp === 'number' && Number.isFinite(exp) && { exp }),
  };
  return revocation.jti !== undefined || revocation.tokenHash !== undefined ? revocation : undefined;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

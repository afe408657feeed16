/**
 * Revocation events, pushed to subscribers so resource servers can drop cached tokens at once
 * instead of waiting for a cache TTL. Events are numbered and the last ones kept, so a
 * subscriber that reconnects with `Last-Event-ID` misses nothing.
 */
import { EventEmitter } from 'node:events';

export interface RevocationEvent {
  id: number;
  at: number;
  kind: 'access_token' | 'refresh_token' | 'family';
  clientId: string;
  /** Access tokens: the JWT jti. */
  jti?: string;
  /** Opaque access tokens: base64url SHA-256 of the token, the key an introspection cache uses. */
  tokenHash?: string;
  familyId?: string;
  /** When the token would have expired anyway: a subscriber can forget the event then. */
  exp?: number;
}

export class RevocationEvents {
  private readonly emitter = new EventEmitter();
  private readonly backlog: RevocationEvent[] = [];
  private nextId = 1;
  private readonly backlogSize: number;

  constructor(backlogSize = 10_000) {
    this.backlogSize = backlogSize;
    this.emitter.setMaxListeners(0);
  }

  publish(event: Omit<RevocationEvent, 'id' | 'at'>): RevocationEvent {
    const full: RevocationEvent = { id: this.nextId++, at: Date.now(), ...event };
    this.backlog.push(full);
    if (this.backlog.length > this.backlogSize) this.backlog.shift();
    this.emitter.emit('event', full);
    return full;
  }

  since(lastId: number): RevocationEvent[] {
    return this.backlog.filter((event) => event.id > lastId);
  }

  subscribe(listener: (event: RevocationEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}

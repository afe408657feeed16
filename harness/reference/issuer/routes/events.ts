/**
 * Server-sent events stream of revocations. A subscriber that reconnects sends Last-Event-ID
 * (or ?lastEventId=) and first receives what it missed from the backlog.
 */
import type { FastifyInstance } from 'fastify';
import { type IssuerContext, paths } from '../context.ts';
import type { RevocationEvent } from '../events.ts';

const heartbeatMs = 15_000;

export function registerRevocationEvents(app: FastifyInstance, ctx: IssuerContext): void {
  app.get(paths.revocationEvents, (request, reply) => {
    const query = request.query as { lastEventId?: string };
    const lastId = Number(request.headers['last-event-id'] ?? query.lastEventId ?? Number.NaN);
    reply.hijack();
    const stream = reply.raw;
    stream.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const send = (event: RevocationEvent) =>
      stream.write(`id: ${event.id}\nevent: revocation\ndata: ${JSON.stringify(event)}\n\n`);
    stream.write(': subscribed\n\n');
    if (Number.isInteger(lastId)) for (const event of ctx.events.since(lastId)) send(event);
    const unsubscribe = ctx.events.subscribe(send);
    const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), heartbeatMs);
    heartbeat.unref();
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  });
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@ballast/core';
import { Counter, register, type Registry } from 'prom-client';

export interface EventStreamsOptions {
  /**
   * Bytes written to one client and not yet taken by its socket beyond which the client is
   * dropped. Snapshots go to every client: one that stops reading would otherwise keep every
   * snapshot since in the gateway's memory.
   */
  readonly maxBufferedBytes: number;
  readonly logger: Logger;
  readonly registry?: Registry;
}

function droppedCounter(registry: Registry): Counter {
  const name = 'shop_gateway_event_clients_dropped_total';
  return (
    (registry.getSingleMetric(name) as Counter | undefined) ??
    new Counter({
      name,
      help: 'Dashboard event-stream (SSE) clients dropped because they stopped reading.',
      registers: [registry],
    })
  );
}

/** The dashboard's Server-Sent Events clients: each gets every snapshot, or is dropped. */
export class EventStreams {
  readonly #clients = new Set<ServerResponse>();
  readonly #dropped: Counter;

  constructor(private readonly options: EventStreamsOptions) {
    this.#dropped = droppedCounter(options.registry ?? register);
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Starts an event stream on `res` and sends it `first`. */
  open(req: IncomingMessage, res: ServerResponse, first: string): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    this.#clients.add(res);
    req.once('close', () => this.#clients.delete(res));
    this.#write(res, first);
  }

  /** Sends `data` as one event to every client. */
  send(data: string): void {
    for (const res of this.#clients) this.#write(res, data);
  }

  close(): void {
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }

  #write(res: ServerResponse, data: string): void {
    // writableLength is what the socket has not taken yet: it only grows while the client does not read.
    if (res.writableLength > this.options.maxBufferedBytes) {
      this.#clients.delete(res);
      this.#dropped.inc();
      this.options.logger.warn(
        { bufferedBytes: res.writableLength, limit: this.options.maxBufferedBytes },
        'dashboard event client dropped: it stopped reading',
      );
      res.destroy();
      return;
    }
    res.write(`data: ${data}\n\n`);
  }
}

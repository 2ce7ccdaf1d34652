/**
 * The live stream to open pages, as server-sent events. Bounded both ways: at most `maxClients`
 * pages at once (the next is told to close one), and a page that stops reading (a frozen tab, a
 * suspended laptop) is dropped once `maxBacklogBytes` wait for it, so it can never make the runtime
 * hold an unbounded queue. A dropped page's EventSource reconnects by itself and gets a fresh
 * snapshot. A client leaves the set when its request is aborted or its stream is cancelled.
 */

/** Options of {@link createSseHub}. */
export interface SseHubOptions {
  /** Most open streams at once (default 8). */
  maxClients?: number;
  /** Bytes queued for one stream before it is dropped as too slow (default 1 MiB). */
  maxBacklogBytes?: number;
  /** A comment is sent this often so a dead connection is noticed (default 15 s). */
  keepAliveMs?: number;
}

/** The set of open streams. */
export interface SseHub {
  /**
   * Opens a stream for one request, starting with `first` (the snapshot); null when full.
   * The client leaves when `done` settles (Deno.serve's `info.completed`: the page went away) or
   * its stream is cancelled.
   */
  open(done: Promise<unknown>, first: Array<{ event: string; data: unknown }>): Response | null;
  /** Sends one event to every open stream. */
  broadcast(event: string, data: unknown): void;
  /** Open streams now. */
  readonly clients: number;
  /** Streams dropped because they stopped reading. */
  readonly dropped: number;
  /** Ends every stream. */
  close(): void;
}

const encoder = new TextEncoder();

/** One event in the text/event-stream format (data is JSON, which has no raw newlines). */
export function encodeEvent(event: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
  end(): void;
}

/** Creates the hub. */
export function createSseHub(options: SseHubOptions = {}): SseHub {
  const maxClients = options.maxClients ?? 8;
  const maxBacklog = options.maxBacklogBytes ?? 1 << 20;
  const clients = new Set<Client>();
  let dropped = 0;

  const push = (c: Client, bytes: Uint8Array) => {
    // desiredSize = highWaterMark - queued bytes: below -maxBacklog the page is not reading.
    if ((c.controller.desiredSize ?? 0) < -maxBacklog) {
      dropped++;
      c.end();
      return;
    }
    c.controller.enqueue(bytes);
  };

  const ping = encoder.encode(": keep-alive\n\n");
  const timer = setInterval(() => {
    for (const c of clients) push(c, ping);
  }, options.keepAliveMs ?? 15_000);
  Deno.unrefTimer(timer);

  return {
    open(done, first) {
      if (clients.size >= maxClients) return null;
      let client!: Client;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          let ended = false;
          client = {
            controller,
            end() {
              if (ended) return;
              ended = true;
              clients.delete(client);
              try {
                controller.close();
              } catch { /* already errored by a gone reader */ }
            },
          };
          clients.add(client);
          // Ask the browser to retry after 1 s when the stream ends (the default is 3 s).
          controller.enqueue(encoder.encode("retry: 1000\n\n"));
          for (const e of first) controller.enqueue(encodeEvent(e.event, e.data));
        },
        cancel() {
          client.end();
        },
      }, new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }));
      const leave = () => client.end();
      done.then(leave, leave);
      return new Response(body, {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-store",
          "x-accel-buffering": "no",
        },
      });
    },
    broadcast(event, data) {
      if (clients.size === 0) return;
      const bytes = encodeEvent(event, data);
      for (const c of clients) push(c, bytes);
    },
    get clients() {
      return clients.size;
    },
    get dropped() {
      return dropped;
    },
    close() {
      clearInterval(timer);
      for (const c of [...clients]) c.end();
    },
  };
}

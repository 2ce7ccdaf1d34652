/**
 * The body of a real streamed (SSE) response for the tests' local LLM servers, which must tell
 * whether the client went away: the client dropping the body cancels the stream (`req.signal`
 * also fires after a normal end, so it cannot tell).
 */
export interface SseResponse {
  /** Hand this to `Deno.serve`. */
  response: Response;
  /** Queues text; rejects once the client is gone, which ends a writing script. */
  write(text: string): Promise<void>;
  /** Ends the body (nothing happens once the client is gone). */
  close(): void;
}

/** A `text/event-stream` response; `onGone` runs once if the client drops it before its end. */
export function sseResponse(onGone: () => void): SseResponse {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let gone = false;
  const readable = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel: () => {
      gone = true;
      onGone();
    },
  });
  const enc = new TextEncoder();
  return {
    response: new Response(readable, { headers: { "content-type": "text/event-stream" } }),
    write(text) {
      if (gone) return Promise.reject(new Error("client gone"));
      controller.enqueue(enc.encode(text));
      return Promise.resolve();
    },
    close() {
      if (!gone) controller.close();
    },
  };
}

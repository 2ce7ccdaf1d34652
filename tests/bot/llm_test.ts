/**
 * The LLM stream helper on its own: SSE framing, chunk deltas, and `streamChat` against a real
 * HTTP server on 127.0.0.1 (status errors, timeouts, aborts the server sees). Also the tag filter.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import {
  createSseParser,
  deltaOf,
  fetchTransport,
  LlmError,
  streamChat,
  type StreamDeps,
} from "../../runtime/bot/llm.ts";
import { createTagFilter, parseTagMap, tagCommand } from "../../runtime/bot/tags.ts";
import { sseResponse } from "../llm/sse_response.ts";

Deno.test("SSE: events split anywhere, CRLF/CR/LF, comments and multi-line data", () => {
  const p = createSseParser();
  const text = ": hi\r\ndata: a\r\ndata: b\r\n\r\nevent: error\ndata: x\n\ndata:c\r\r";
  const out = [];
  for (const ch of text) out.push(...p.push(ch));
  out.push(...p.end());
  assertEquals(out, [
    { event: "message", data: "a\nb" },
    { event: "error", data: "x" },
    { event: "message", data: "c" },
  ]);
});

Deno.test("a chunk's text is choices[0].delta.content; an error object is an LlmError", () => {
  assertEquals(deltaOf('{"choices":[{"delta":{"content":"Hi"}}]}'), "Hi");
  assertEquals(deltaOf('{"choices":[{"delta":{"role":"assistant"}}]}'), "");
  let error: unknown;
  try {
    deltaOf('{"error":{"message":"overloaded"}}');
  } catch (e) {
    error = e;
  }
  assert(error instanceof LlmError && /overloaded/.test(error.message), String(error));
});

/** A real SSE server; `handler` writes the body. Returns its base URL and what it saw. */
function serve(
  handler: (req: Request, write: (s: string) => Promise<void>) => Promise<void>,
) {
  const seen = { requests: [] as unknown[], aborted: 0, auth: [] as (string | null)[] };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    seen.requests.push(await req.json());
    seen.auth.push(req.headers.get("authorization"));
    const sse = sseResponse(() => seen.aborted++);
    handler(req, sse.write).then(() => sse.close(), () => {});
    return sse.response;
  });
  const url = `http://127.0.0.1:${server.addr.port}/v1`;
  return { url, seen, close: () => server.shutdown() };
}

const realDeps = (): StreamDeps => ({
  transport: fetchTransport,
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener("abort", () => {
        clearTimeout(t);
        reject(signal.reason);
      }, { once: true });
    }),
  env: () => undefined,
});

const chunk = (s: string) =>
  `data: ${JSON.stringify({ choices: [{ delta: { content: s } }] })}\n\n`;

Deno.test("streamChat yields the tokens a real SSE server sends, with model, messages and key", async () => {
  const srv = serve(async (_req, write) => {
    for (const t of ["Hel", "lo", " there."]) await write(chunk(t));
    await write("data: [DONE]\n\n");
  });
  try {
    const got: string[] = [];
    for await (
      const t of streamChat({
        baseUrl: srv.url,
        model: "m1",
        apiKey: "k",
        messages: [{ role: "user", content: "hi" }],
      }, realDeps())
    ) got.push(t);
    assertEquals(got, ["Hel", "lo", " there."]);
    const body = srv.seen.requests[0] as Record<string, unknown>;
    assertEquals([body.model, body.stream], ["m1", true]);
    assertEquals(body.messages, [{ role: "user", content: "hi" }]);
    assertEquals(srv.seen.auth[0], "Bearer k");
  } finally {
    await srv.close();
  }
});

Deno.test("an HTTP failure is an LlmError with the status, the server's words and a fix", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response('{"error":{"message":"bad key"}}', { status: 401 }),
  );
  try {
    const error = await assertRejects(async () => {
      for await (
        const _ of streamChat({
          baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
          model: "m",
          messages: [],
        }, realDeps())
      ) { /* nothing */ }
    }, LlmError);
    assertEquals([error.code, error.status], ["http", 401]);
    assertMatch(error.message, /answered 401.*bad key.*OPENAI_API_KEY/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a server that stops sending times out and the request is cancelled", async () => {
  const srv = serve(async (_req, write) => {
    await write(chunk("Hi"));
    await new Promise((r) => setTimeout(r, 3000));
  });
  try {
    const got: string[] = [];
    const error = await assertRejects(async () => {
      for await (
        const t of streamChat(
          { baseUrl: srv.url, model: "m", messages: [], timeoutMs: 200 },
          realDeps(),
        )
      ) got.push(t);
    }, LlmError);
    assertEquals(got, ["Hi"]);
    assertEquals(error.code, "timeout");
    assertMatch(error.message, /no data .* within 200 ms/);
    for (let i = 0; i < 100 && srv.seen.aborted === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assertEquals(srv.seen.aborted, 1);
  } finally {
    await srv.close();
  }
});

Deno.test("aborting the signal ends the stream and the server sees the request go", async () => {
  const srv = serve(async (_req, write) => {
    for (let i = 0; i < 50; i++) {
      await write(chunk(`t${i} `));
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  try {
    const ac = new AbortController();
    const got: string[] = [];
    await assertRejects(
      async () => {
        for await (
          const t of streamChat(
            { baseUrl: srv.url, model: "m", messages: [], signal: ac.signal },
            realDeps(),
          )
        ) {
          got.push(t);
          if (got.length === 2) ac.abort(new Error("barge-in"));
        }
      },
      Error,
    );
    assertEquals(got, ["t0 ", "t1 "]);
    for (let i = 0; i < 100 && srv.seen.aborted === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assertEquals(srv.seen.aborted, 1);
  } finally {
    await srv.close();
  }
});

Deno.test("a missing model is a config error naming the variable and the grant", async () => {
  const error = await assertRejects(async () => {
    for await (const _ of streamChat({ messages: [] }, realDeps())) { /* nothing */ }
  }, LlmError);
  assertEquals(error.code, "config");
  assertMatch(error.message, /OPENAI_MODEL.*env: \[OPENAI_MODEL\]/);
});

Deno.test("tags split across chunks are taken out in order; other brackets stay text", () => {
  const f = createTagFilter();
  const pieces = [
    ...f.push("Hi [fa"),
    ...f.push("ce:Joy] there [1] and [x"),
    ...f.push(" y] [motion:wave]"),
    ...f.end(),
  ];
  const text = pieces.map((p) => "text" in p ? p.text : `<${p.kind}:${p.name}>`).join("");
  assertEquals(text, "Hi <face:joy> there [1] and [x y] <motion:wave>");
  assertEquals([...f.push("[face:"), ...f.end()], [{ text: "[face:" }]);
});

Deno.test("the tag map turns a known tag into MOTION_ADD and names a bad entry", () => {
  const map = parseTagMap({
    model: "mei",
    face: { joy: { file: "expression/joy.vmd" } },
    motion: { wave: { file: "motion/wave.vmd", part: "FULL", loop: true, slot: "body" } },
  });
  assertEquals(
    tagCommand(map, "face", "joy"),
    "MOTION_ADD|mei|tag_face|expression/joy.vmd|PART|ONCE|ON|OFF",
  );
  assertEquals(
    tagCommand(map, "motion", "wave"),
    "MOTION_ADD|mei|body|motion/wave.vmd|FULL|LOOP|ON|OFF",
  );
  assertEquals(tagCommand(map, "face", "sad"), undefined);
  let message = "";
  try {
    parseTagMap({ model: "mei", face: { joy: { file: "a|b" } } });
  } catch (e) {
    message = (e as Error).message;
  }
  assertMatch(message, /tags\.json: "face\.joy" needs "file"/);
});

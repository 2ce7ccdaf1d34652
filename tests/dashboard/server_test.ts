/**
 * The dashboard's server over real HTTP on 127.0.0.1, with a source double: a real traffic tap, a
 * refusal feed and the operator guard (the session itself is covered by browser_test.ts). Proves
 * the access rules on every route, the action bodies' checks, the live stream's content and that
 * its memory and clients are bounded.
 */
import { assert, assertEquals, assertIncludes, eventually } from "../assert.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { type Dashboard, serveDashboard } from "../../runtime/dashboard/server.ts";
import { SHOWN_CHARS } from "../../runtime/dashboard/items.ts";
import { createSseHub } from "../../runtime/dashboard/sse.ts";
import { fakeSource } from "./fake_source.ts";

async function withDashboard(
  fn: (d: Dashboard, s: ReturnType<typeof fakeSource>) => Promise<void>,
  opts: { trafficCapacity?: number; maxClients?: number } = {},
) {
  const s = fakeSource();
  const d = await serveDashboard(s.source, { logger: memoryLogger(), pollMs: 50, ...opts });
  try {
    await fn(d, s);
  } finally {
    await d.close();
  }
}

const base = (d: Dashboard) => `http://127.0.0.1:${d.port}`;
const auth = (d: Dashboard) => ({ authorization: `Bearer ${d.token}` });

async function post(
  d: Dashboard,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(base(d) + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth(d), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** Polls an async condition; the bound only catches hangs. */
async function until(cond: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 20_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An HTTP/1.1 request with a Host header of our choosing (fetch sets its own). */
async function rawGet(port: number, path: string, host: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
  );
  let text = "";
  for await (const chunk of conn.readable) text += new TextDecoder().decode(chunk);
  return text;
}

/** Reads server-sent events from a stream until `stop` says enough. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  stop: (events: { event: string; data: unknown }[]) => boolean,
) {
  const events: { event: string; data: unknown }[] = [];
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const deadline = setTimeout(() => reader.cancel(), 20_000);
  try {
    while (!stop(events)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended after ${JSON.stringify(events)}`);
      buf += value;
      let i;
      while ((i = buf.indexOf("\n\n")) !== -1) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  } finally {
    clearTimeout(deadline);
    await reader.cancel().catch(() => {});
  }
  return events;
}

Deno.test("the dashboard listens on 127.0.0.1 only and its URL carries the token", async () => {
  await withDashboard(async (d) => {
    assertEquals(d.url, `http://127.0.0.1:${d.port}/?token=${d.token}`);
    const res = await fetch(d.url);
    assertEquals(res.status, 200);
    const html = await res.text();
    assertIncludes(html, "<title>mmdbot dashboard</title>");
    const csp = res.headers.get("content-security-policy") ?? "";
    assertIncludes(csp, "default-src 'none'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert(nonce && html.includes(`<script nonce="${nonce}">`), "inline script without the nonce");
    assert(!/\bsrc=["']?https?:/.test(html) && !/href=["']?https?:/.test(html), "external asset");
  });
});

Deno.test("every route answers 401 without the token, and the page's query token opens no action", async () => {
  await withDashboard(async (d) => {
    for (const path of ["/", "/events", "/api/state", "/nothing", "/?token="]) {
      const res = await fetch(base(d) + path);
      assertEquals(res.status, 401, path);
      await res.body?.cancel();
    }
    for (const path of ["/api/send", "/api/reload", `/api/send?token=${d.token}`]) {
      const res = await fetch(base(d) + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ line: "MESSAGE|x" }),
      });
      assertEquals(res.status, 401, path);
      await res.body?.cancel();
    }
  });
});

Deno.test("a request naming another Host (DNS rebinding) or Origin is refused even with the token", async () => {
  await withDashboard(async (d, s) => {
    const rebound = await rawGet(d.port, `/?token=${d.token}`, `attacker.example:${d.port}`);
    assert(rebound.startsWith("HTTP/1.1 403"), rebound.split("\r\n")[0]);
    const ok = await rawGet(d.port, `/?token=${d.token}`, `localhost:${d.port}`);
    assert(ok.startsWith("HTTP/1.1 200"), ok.split("\r\n")[0]);
    const r = await post(d, "/api/send", { line: "MESSAGE|x" }, {
      origin: "http://attacker.example",
    });
    assertEquals(r.status, 403);
    assertEquals(s.sent, []);
  });
});

Deno.test("send goes through the operator checks: a dangerous line is refused unless overridden", async () => {
  await withDashboard(async (d, s) => {
    const ok = await post(d, "/api/send", { line: "MOTION_ADD|mei|wave|wave.vmd" });
    assertEquals(ok.body, { status: "written", conn: "test" });
    const refused = await post(d, "/api/send", { line: "EXECUTE|calc.exe" });
    assertEquals(refused.body.status, "refused");
    assertEquals(refused.body.refusal.code, "acl-denied");
    const forced = await post(d, "/api/send", { line: "EXECUTE|calc.exe", allowDangerous: true });
    assertEquals(forced.body.status, "written");
    const badBytes = await post(d, "/api/send", {
      line: "MESSAGE|a\nEXECUTE|x",
      allowDangerous: true,
    });
    assertEquals(badBytes.body.refusal.code, "control-char");
    assertEquals(s.sent, ["MOTION_ADD|mei|wave|wave.vmd", "EXECUTE|calc.exe"]);
  });
});

Deno.test("an action's body must be small JSON of the right shape", async () => {
  await withDashboard(async (d, s) => {
    assertEquals(
      (await post(d, "/api/send", "line=x", { "content-type": "text/plain" })).status,
      415,
    );
    assertEquals((await post(d, "/api/send", "{not json")).status, 400);
    const wrong = await post(d, "/api/send", { line: 5 });
    assertEquals(wrong.status, 400);
    assertIncludes(wrong.body.error, "line");
    assertEquals((await post(d, "/api/send", { line: "x", extra: 1 })).status, 400);
    assertEquals((await post(d, "/api/send", { line: "x".repeat(70_000) })).status, 413);
    assertEquals(s.sent, []);
    const reload = await post(d, "/api/reload", { name: "greeter" });
    assertEquals(reload.body, { results: [{ name: "greeter", ok: true }] });
    assertEquals(s.reloads, ["greeter"]);
  });
});

Deno.test("the live stream starts with a snapshot, then brings traffic, refusals and bot changes", async () => {
  await withDashboard(async (d, s) => {
    s.tap.emit("in", "test", "RECOG_EVENT_STOP|before");
    await until(async () => {
      const r = await fetch(base(d) + "/api/state", { headers: auth(d) });
      return (await r.json()).traffic.length === 1;
    }, "the first line in the ring");
    const res = await fetch(`${base(d)}/events?token=${d.token}`);
    assertEquals(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    let emitted = false;
    const events = await readEvents(res.body!, (evs) => {
      if (evs.length > 0 && !emitted) {
        emitted = true;
        s.tap.emit("in", "test", "RECOG_EVENT_STOP|hello");
        s.tap.emit("out", "test", "SYNTH_START|mei|v|Hi", { bot: "greeter" });
        s.refuse({
          source: "greeter",
          line: "EXECUTE|x",
          refusal: { code: "acl-denied", reason: "dangerous" },
        });
      }
      const lines = evs.filter((e) => e.event === "traffic").flatMap((e) => e.data as unknown[]);
      return lines.length >= 3;
    });
    const snapshot = events[0];
    assertEquals(snapshot.event, "snapshot");
    const snap = snapshot.data as { traffic: { line: string }[]; bots: { name: string }[] };
    assertEquals(snap.traffic.map((t) => t.line), ["RECOG_EVENT_STOP|before"]);
    assertEquals(snap.bots.map((b) => b.name), ["greeter"]);
    const rows = events.filter((e) => e.event === "traffic").flatMap((e) =>
      e.data as Record<string, unknown>[]
    );
    assertEquals(rows.map((r) => [r.dir, r.bot, r.line, (r.refused as { code?: string })?.code]), [
      ["in", undefined, "RECOG_EVENT_STOP|hello", undefined],
      ["out", "greeter", "SYNTH_START|mei|v|Hi", undefined],
      ["out", "greeter", "EXECUTE|x", "acl-denied"],
    ]);
  });
});

Deno.test("recent traffic is a bounded ring and a long line is cut with its real length", async () => {
  await withDashboard(async (d, s) => {
    for (let i = 0; i < 20; i++) s.tap.emit("in", "test", `MESSAGE|${i}`);
    s.tap.emit("in", "test", "MESSAGE|" + "x".repeat(100_000));
    let traffic: { line: string; fullLength?: number }[] = [];
    await until(async () => {
      const r = await fetch(base(d) + "/api/state", { headers: auth(d) });
      traffic = (await r.json()).traffic;
      return traffic.at(-1)?.fullLength !== undefined;
    }, "the long line in the ring");
    assertEquals(traffic.length, 5);
    assertEquals(traffic.slice(0, 4).map((t) => t.line), [
      "MESSAGE|16",
      "MESSAGE|17",
      "MESSAGE|18",
      "MESSAGE|19",
    ]);
    assertEquals(traffic[4].line.length, SHOWN_CHARS);
    assertEquals(traffic[4].fullLength, 100_008);
  }, { trafficCapacity: 5 });
});

Deno.test("live streams are bounded: the one past the limit gets 503, and a closed page frees its slot", async () => {
  await withDashboard(async (d) => {
    const open = () => fetch(`${base(d)}/events?token=${d.token}`);
    const a = await open();
    const b = await open();
    assertEquals([a.status, b.status], [200, 200]);
    await eventually(() => d.clients === 2, "two streams");
    const c = await open();
    assertEquals(c.status, 503);
    await c.body?.cancel();
    await a.body?.cancel();
    await eventually(() => d.clients === 1, "the cancelled stream to be released");
    const e = await open();
    assertEquals(e.status, 200);
    await b.body?.cancel();
    await e.body?.cancel();
    await eventually(() => d.clients === 0, "every stream released");
  }, { maxClients: 2 });
});

Deno.test("a stream that stops reading is dropped once its backlog passes the bound", async () => {
  const hub = createSseHub({ maxBacklogBytes: 10_000 });
  try {
    const res = hub.open(new Promise(() => {}), []);
    assert(res);
    assertEquals(hub.clients, 1);
    // Nobody reads the body: each broadcast queues ~1 KB for it.
    for (let i = 0; i < 200 && hub.clients === 1; i++) hub.broadcast("traffic", "x".repeat(1000));
    assertEquals([hub.clients, hub.dropped], [0, 1]);
    await res.body?.cancel();
  } finally {
    hub.close();
  }
});

Deno.test("a change of the connection becomes a marker row between the lines", async () => {
  const s = fakeSource();
  const fns = new Set<(ev: { state: string; connection?: string; detail?: string }) => void>();
  s.source.onLinkState = (fn) => {
    fns.add(fn);
    return () => fns.delete(fn);
  };
  const d = await serveDashboard(s.source, { logger: memoryLogger() });
  try {
    s.tap.emit("in", "tcp:1", "RECOG_EVENT_STOP|hello");
    fns.forEach((f) => f({ state: "disconnected", detail: "reset by peer" }));
    fns.forEach((f) => f({ state: "connected", connection: "tcp:2" }));
    const r = await fetch(base(d) + "/api/state", { headers: auth(d) });
    const rows = (await r.json()).traffic as { dir: string; line: string }[];
    assertEquals(rows.map((t) => [t.dir, t.line]), [
      ["in", "RECOG_EVENT_STOP|hello"],
      ["link", "disconnected (reset by peer)"],
      ["link", "connected tcp:2"],
    ]);
  } finally {
    await d.close();
  }
  assertEquals(fns.size, 0, "the dashboard unsubscribed at close");
});

/**
 * The control channel over a real Unix socket: a real client against `serveControl` serving a
 * session double whose link is a real TCP connection to a loopback peer.
 */
import { findRuntime, requireRuntime } from "../../runtime/control/client.ts";
import { serveControl } from "../../runtime/control/server.ts";
import type { TrafficRecord } from "../../runtime/record/schema.ts";
import { assert, assertEquals, assertIncludes, assertRejects, eventually } from "../assert.ts";
import { fakeSession, startPeer } from "./fake_session.ts";

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-ctl-" });
  const work = await Deno.makeTempDir({ prefix: "mmdbot-mdf-" });
  const mdf = `${work}/content.mdf`;
  const peer = startPeer();
  await Deno.writeTextFile(
    mdf,
    `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${peer.port}\n`,
  );
  const session = await fakeSession(peer.port);
  await session.connected;
  const server = await serveControl(session, { mdfPath: mdf, dir });
  const t = {
    dir,
    mdf,
    peer,
    session,
    server,
    async cleanup() {
      await t.server.close();
      await session.shutdown();
      await peer.close();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(work, { recursive: true });
    },
  };
  return t;
}

Deno.test("send through the control channel writes each line once, in order, over the session's one connection", async () => {
  const t = await setup();
  try {
    const client = await requireRuntime(t.mdf, { dir: t.dir });
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const line = `MESSAGE|n${i}`;
      sent.push(line);
      const r = await client.send(line);
      assertEquals(r.status, "written", line);
    }
    assertEquals(await t.peer.waitLines(20), sent);
    assertEquals(t.peer.conns.length, 1, "connections the peer saw");
    client.close();
    await client.closed;
  } finally {
    await t.cleanup();
  }
});

Deno.test("a dangerous line is refused with reason and --allow-dangerous fix; the peer never sees it", async () => {
  const t = await setup();
  try {
    const client = await requireRuntime(t.mdf, { dir: t.dir });
    const r = await client.send("EXECUTE|calc.exe");
    assert(r.status === "refused", "refused");
    assertEquals(r.refusal.code, "acl-denied");
    assertIncludes(r.refusal.fix ?? "", "--allow-dangerous");
    const bad = await client.send("MESSAGE|a\rb");
    assert(bad.status === "refused" && bad.refusal.code === "control-char", "CR refused");
    const ok = await client.send("EXECUTE|calc.exe", true);
    assertEquals(ok.status, "written", "operator override");
    assertEquals(await t.peer.waitLines(1), ["EXECUTE|calc.exe"]);
    client.close();
    await client.closed;
  } finally {
    await t.cleanup();
  }
});

Deno.test("tail streams inbound lines as text, or records of both directions as JSON; closing detaches", async () => {
  const t = await setup();
  try {
    const text = await requireRuntime(t.mdf, { dir: t.dir });
    const json = await requireRuntime(t.mdf, { dir: t.dir });
    const textTail = text.tail(false);
    const jsonTail = json.tail(true);
    await eventually(() => t.session.tailers === 2, "two tails attached");
    await json.send("MESSAGE|out1");
    await t.peer.waitLines(1);
    await t.peer.write("MOTION_EVENT_ADD|mei|wave\n");
    const textItems: (string | TrafficRecord)[] = [];
    for await (const item of textTail) {
      textItems.push(item);
      break;
    }
    assertEquals(textItems, ["MOTION_EVENT_ADD|mei|wave"]);
    const records: TrafficRecord[] = [];
    for await (const item of jsonTail) {
      records.push(item as TrafficRecord);
      if (records.length === 2) break;
    }
    assertEquals(records.map((r) => [r.dir, r.line, r.bot]), [
      ["out", "MESSAGE|out1", "operator"],
      ["in", "MOTION_EVENT_ADD|mei|wave", undefined],
    ]);
    assert(records.every((r) => r.conn.startsWith("tcp")), "connection named");
    text.close();
    json.close();
    await text.closed;
    await json.closed;
    await eventually(() => t.session.tailers === 0 && t.server.clients === 0, "tails detached");
    assertEquals(t.peer.conns.length, 1);
    assert(!t.peer.conns[0].closed, "the session's connection stays open");
  } finally {
    await t.cleanup();
  }
});

Deno.test("status and reload reach the session; a bad request gets an error and the connection stays usable", async () => {
  const t = await setup();
  try {
    const client = await requireRuntime(t.mdf, { dir: t.dir });
    const status = await client.status();
    assertEquals(status.pid, Deno.pid);
    assertEquals(status.bots[0].name, "greeter");
    assertEquals(await client.reload("greeter"), ["greeter"]);
    assertEquals(await client.reload(), ["greeter"]);
    assertEquals(t.session.calls.reload, ["greeter", undefined]);

    const raw = await Deno.connect({ transport: "unix", path: t.server.endpoint });
    const enc = new TextEncoder();
    await raw.write(enc.encode('{"id":1,"op":"explode"}\nnot json\n{"id":2,"op":"status"}\n'));
    const reader = raw.readable.getReader();
    let text = "";
    while (text.split("\n").length < 5) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const lines = text.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines[0].hello, "mmdbot-control");
    assertEquals([lines[1].ok, lines[2].ok, lines[3].id, lines[3].ok], [false, false, 2, true]);
    assertIncludes(lines[1].error.message, "bad request");
    reader.releaseLock();
    raw.close();
    client.close();
    await client.closed;
  } finally {
    await t.cleanup();
  }
});

Deno.test("stop is acknowledged, stops the session, and the client returns once the runtime closed", async () => {
  const t = await setup();
  let closedServer = false;
  try {
    // As the real session does: its stop() closes the link and then the control server.
    const target = {
      ...t.session,
      tail: t.session.tail.bind(t.session),
      async stop() {
        await t.session.stop();
        await t.server.close();
        closedServer = true;
      },
    };
    await t.server.close();
    const server = await serveControl(target, { mdfPath: t.mdf, dir: t.dir });
    t.server = server;
    const client = await requireRuntime(t.mdf, { dir: t.dir });
    await client.stop(10_000);
    assert(closedServer, "the session's stop ran to the end");
    assertEquals(t.session.calls.stop, 1);
    assert(await findRuntime(t.mdf, { dir: t.dir }) === undefined, "no runtime after stop");
    await eventually(() => t.peer.conns[0].closed, "the session closed its connection once");
    assertEquals(t.peer.conns.length, 1);
    await client.closed;
  } finally {
    await t.cleanup();
  }
});

Deno.test("the socket is 0600 in a 0700 directory and the discovery file (0600) names pid and .mdf", async () => {
  const t = await setup();
  try {
    const sock = await Deno.lstat(t.server.endpoint);
    assert(sock.isSocket, "a Unix socket");
    assertEquals((sock.mode! & 0o777).toString(8), "600");
    assertEquals(((await Deno.lstat(t.dir)).mode! & 0o777).toString(8), "700");
    const info = await Deno.lstat(t.server.paths.info);
    assertEquals((info.mode! & 0o777).toString(8), "600");
    const data = JSON.parse(await Deno.readTextFile(t.server.paths.info));
    assertEquals([data.pid, data.mdf, data.socket], [
      Deno.pid,
      await Deno.realPath(t.mdf),
      t.server.endpoint,
    ]);
    assert(t.server.paths.name.startsWith("content-"), "named after the .mdf");
  } finally {
    await t.cleanup();
  }
});

Deno.test("a second runtime for the same .mdf is refused while the first serves; close removes the endpoint", async () => {
  const t = await setup();
  try {
    const err = await assertRejects(
      () => serveControl(t.session, { mdfPath: t.mdf, dir: t.dir }),
      /already running/,
    );
    assertIncludes(err.message, "mmdbot stop");
    // The same file by a relative path and through a symlink finds the same runtime.
    const link = `${t.dir}/../${crypto.randomUUID()}.mdf`;
    await Deno.symlink(t.mdf, link);
    try {
      const viaLink = await requireRuntime(link, { dir: t.dir });
      assertEquals(viaLink.paths.socket, t.server.endpoint);
      viaLink.close();
      await viaLink.closed;
    } finally {
      await Deno.remove(link);
    }
    await t.server.close();
    await assertRejects(() => Deno.lstat(t.server.endpoint), /No such file/);
    await assertRejects(() => Deno.lstat(t.server.paths.info), /No such file/);
    await assertRejects(() => requireRuntime(t.mdf, { dir: t.dir }), /no runtime is running/);
  } finally {
    await t.cleanup();
  }
});

Deno.test("a stale socket left by a killed runtime is removed: clients see no runtime, a new one serves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-ctl-" });
  const mdf = `${dir}/../${crypto.randomUUID()}.mdf`;
  await Deno.writeTextFile(mdf, "");
  try {
    const { endpointFor } = await import("../../runtime/control/endpoint.ts");
    const paths = await endpointFor(mdf, { dir });
    // A child binds the socket and is killed with SIGKILL, so nothing removes the file.
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const l = Deno.listen({ transport: "unix", path: ${JSON.stringify(paths.socket)} }); ` +
        `console.log("up"); for await (const c of l) c.close();`,
      ],
      stdout: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read();
    reader.releaseLock();
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel();
    assert((await Deno.lstat(paths.socket)).isSocket, "stale socket still there");
    assert(await findRuntime(mdf, { dir }) === undefined, "no runtime found");
    await assertRejects(() => Deno.lstat(paths.socket), /No such file/);

    const child2 = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const l = Deno.listen({ transport: "unix", path: ${JSON.stringify(paths.socket)} }); ` +
        `console.log("up"); for await (const c of l) c.close();`,
      ],
      stdout: "piped",
    }).spawn();
    const r2 = child2.stdout.getReader();
    await r2.read();
    r2.releaseLock();
    child2.kill("SIGKILL");
    await child2.status;
    await child2.stdout.cancel();
    const peer = startPeer();
    const session = await fakeSession(peer.port);
    const server = await serveControl(session, { mdfPath: mdf, dir });
    const client = await requireRuntime(mdf, { dir });
    assertEquals(client.hello.pid, Deno.pid);
    client.close();
    await client.closed;
    await server.close();
    await session.shutdown();
    await peer.close();
  } finally {
    await Deno.remove(mdf);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unsafe runtime directory is refused: a symlink, or one others can enter", async () => {
  const base = await Deno.makeTempDir({ prefix: "mmdbot-ctl-" });
  try {
    const { runtimeDir } = await import("../../runtime/control/endpoint.ts");
    const real = `${base}/real`;
    await Deno.mkdir(real, { mode: 0o700 });
    await Deno.symlink(real, `${base}/link`);
    await assertRejects(() => runtimeDir(`${base}/link`), /symlink/);
    const open = `${base}/open`;
    await Deno.mkdir(open);
    await Deno.chmod(open, 0o755);
    await assertRejects(() => runtimeDir(open), /mode 755.*chmod 700/);
    const made = await runtimeDir(`${base}/fresh`);
    assertEquals(((await Deno.lstat(made)).mode! & 0o777).toString(8), "700");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a client without permission on the control socket is refused by the kernel", async () => {
  const t = await setup();
  try {
    const isRoot = (await Deno.lstat(t.dir)).uid === 0;
    if (isRoot) {
      // root passes file permissions, so the other user is `nobody`, via setpriv.
      const out = await new Deno.Command("setpriv", {
        args: [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          Deno.execPath(),
          "eval",
          `try { await Deno.connect({ transport: "unix", path: ${
            JSON.stringify(t.server.endpoint)
          } }); console.log("CONNECTED"); } catch (e) { console.log(e.name); }`,
        ],
        env: { DENO_DIR: "/tmp", HOME: "/tmp", NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const said = new TextDecoder().decode(out.stdout).trim();
      assertEquals(said, "PermissionDenied", new TextDecoder().decode(out.stderr));
    } else {
      // Same user: take the permission away and see the connect fail (the mode is the credential).
      await Deno.chmod(t.server.endpoint, 0o000);
      await assertRejects(() => findRuntime(t.mdf, { dir: t.dir }), /permission denied/);
      await Deno.chmod(t.server.endpoint, 0o600);
    }
    const ok = await requireRuntime(t.mdf, { dir: t.dir });
    ok.close();
    await ok.closed;
  } finally {
    await t.cleanup();
  }
});

Deno.test("serving the control channel opens no TCP or UDP listener at all (no network address)", async () => {
  const listeners = async () => {
    const out = await new Deno.Command("ss", { args: ["-ltunpH"], stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout).split("\n")
      .filter((l) => l.includes(`pid=${Deno.pid},`)).map((l) =>
        l.split(/\s+/).slice(0, 5).join(" ")
      )
      .sort();
  };
  const unixListeners = async () => {
    const out = await new Deno.Command("ss", { args: ["-lxpH"], stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout);
  };
  const before = await listeners();
  const t = await setup();
  try {
    const during = await listeners();
    // The peer (stand-in for MMDAgent-EX) listens on 127.0.0.1; the control channel adds nothing.
    assertEquals(during.filter((l) => !l.includes(`:${t.peer.port}`)), before);
    assert(during.every((l) => /127\.0\.0\.1:|\[::1\]:/.test(l)), `only loopback: ${during}`);
    assertIncludes(await unixListeners(), t.server.endpoint, "served on the Unix socket");
  } finally {
    await t.cleanup();
  }
});

/** A raw client: its connection and a reader of its JSON lines. */
async function rawClient(endpoint: string) {
  const conn = await Deno.connect({ transport: "unix", path: endpoint });
  const dec = new TextDecoder();
  let buf = "";
  const chunk = new Uint8Array(65536);
  const next = async (): Promise<Record<string, unknown> | undefined> => {
    for (;;) {
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        return JSON.parse(line);
      }
      const n = await conn.read(chunk);
      if (n === null) return undefined;
      buf += dec.decode(chunk.subarray(0, n), { stream: true });
    }
  };
  const request = (r: unknown) => conn.write(new TextEncoder().encode(JSON.stringify(r) + "\n"));
  return { conn, next, request };
}

Deno.test("control clients and tails are bounded: one client past the cap is told why and closed, a fifth tail on one connection is refused", async () => {
  const { MAX_CONTROL_CLIENTS, MAX_TAILS_PER_CLIENT } = await import(
    "../../runtime/control/server.ts"
  );
  const t = await setup();
  const clients: Awaited<ReturnType<typeof rawClient>>[] = [];
  try {
    for (let i = 0; i < MAX_CONTROL_CLIENTS; i++) {
      const c = await rawClient(t.server.endpoint);
      assertEquals((await c.next())?.hello !== undefined, true);
      clients.push(c);
    }
    await eventually(() => t.server.clients === MAX_CONTROL_CLIENTS, "all clients served");
    const extra = await rawClient(t.server.endpoint);
    const refused = await extra.next();
    assertIncludes(
      String((refused?.error as { message?: string })?.message),
      "too many control clients",
    );
    assertEquals(await extra.next(), undefined); // closed
    extra.conn.close();
    const c = clients[0];
    for (let i = 1; i <= MAX_TAILS_PER_CLIENT + 1; i++) {
      await c.request({ id: i, op: "tail", json: true });
    }
    const reply = await c.next();
    assertEquals(reply?.id, MAX_TAILS_PER_CLIENT + 1);
    assertIncludes(String((reply?.error as { message?: string })?.message), "tails per connection");
    await eventually(() => t.session.tailers === MAX_TAILS_PER_CLIENT, "four tails attached");
  } finally {
    for (const c of clients) c.conn.close();
    await t.cleanup();
  }
});

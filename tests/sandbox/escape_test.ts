/**
 * The escape suite: every hostile bot in tests/sandbox/hostile/ is started exactly as the host
 * starts a bot (buildLaunch, cleared environment) and tries one escape. At the OS level
 * (bubblewrap) every escape must be denied and contained; at the Deno-permissions level every
 * escape but the documented exceptions must be; with the permission granted, the same fixtures
 * succeed. The table of outcomes is printed for the issue note.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { type DetectedSandbox, detectSandbox } from "../../runtime/sandbox/detect.ts";
import { isGone, processTree, procStat } from "../../runtime/sandbox/proc.ts";
import {
  fixtureCommand,
  fixturePlan,
  HOSTILE,
  REPO,
  runFixture,
  type RunOptions,
  verdictsOf,
} from "./run_fixture.ts";

const strong = await detectSandbox();
const weak: DetectedSandbox = await detectSandbox({ force: "deno" });
const STRONG_IGNORED = strong.level !== "os";
const strongName = STRONG_IGNORED
  ? `(ignored: OS sandbox unavailable here: ${strong.os.why})`
  : "(bubblewrap)";

/** Planted in this process's environment; no bot may ever print it. */
const SECRET = `MMDBOT-ESCAPE-SECRET-${crypto.randomUUID()}`;
Deno.env.set("MMDBOT_ESCAPE_SECRET", SECRET);

/** What the content of each read target looks like, to detect a leak in any output. */
const MARKERS: Record<string, RegExp> = {
  passwd: /root:[^:\n]*:0:0:/,
  runtime: /@mmdbot\/mmdbot/,
  "other-bot": /VICTIM-SECRET-7f3a91/,
};

/**
 * Escapes that work at the weaker (Deno-permissions-only) level on Deno 2.9.6, as `escape:target`.
 * Deno loads statically analysable `import()` specifiers while building the module graph, before
 * any permission check, so text and JSON imports return file contents and a failed JavaScript
 * import quotes the file in its parse error. The OS level closes all of them (the files are not
 * in the bot's mount namespace). If Deno closes one, this test fails: remove it from the list.
 */
const WEAKER_LEVEL_EXCEPTIONS = [
  "import-error:passwd",
  "import-json:other-bot",
  "import-json:runtime",
  "import-text:other-bot",
  "import-text:passwd",
  "import-text:runtime",
];

/** Fixtures that try one read technique on every target in {@link MARKERS}. */
const READ_FIXTURES = ["read-api", "import-text", "import-json", "import-bytes", "import-error"];

/** Loopback services the network escapes aim at, counting what reaches them. */
interface Services {
  port: number;
  tcpPort: number;
  hits: () => number;
  accepted: () => number;
  close: () => Promise<void>;
}

function startServices(): Services {
  let hits = 0;
  let accepted = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    hits++;
    const path = new URL(request.url).pathname;
    if (path === "/ws") {
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onerror = () => {};
      return response;
    }
    if (path === "/mod.js") {
      return new Response('export default "remote code ran";', {
        headers: { "content-type": "application/javascript" },
      });
    }
    return new Response("fetched");
  });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const acceptLoop = (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.close();
    }
  })();
  return {
    port: server.addr.port,
    tcpPort: (listener.addr as Deno.NetAddr).port,
    hits: () => hits,
    accepted: () => accepted,
    close: async () => {
      listener.close();
      await acceptLoop.catch(() => {});
      await server.shutdown();
    },
  };
}

/** One escape attempt's outcome. */
interface Outcome {
  id: string;
  leaked: boolean;
  detail: string;
}

/** Runs every hostile fixture (with no permissions) and judges each attempt. */
async function runEscapes(detected: DetectedSandbox, scratch: string): Promise<Outcome[]> {
  const services = startServices();
  const outcomes: Outcome[] = [];
  const cfg = { port: services.port, tcpPort: services.tcpPort };
  const run = (name: string, options: RunOptions = {}) =>
    runFixture(name, detected, { ...options, cfg: { ...cfg, ...options.cfg } });
  try {
    for (const name of READ_FIXTURES) {
      const result = await run(name);
      for (const target of Object.keys(MARKERS)) {
        const verdict = result.verdicts.find((v) => v.target === target);
        assert(verdict, `${name} printed no verdict for ${target}: ${result.stderr}`);
        const leaked = verdict.ok || MARKERS[target].test(verdict.detail);
        outcomes.push({ id: `${name}:${target}`, leaked, detail: verdict.detail });
      }
      for (const [target, marker] of Object.entries(MARKERS)) {
        assert(!marker.test(result.stderr), `${name} leaked ${target} on stderr`);
      }
    }

    const single = async (
      name: string,
      leakedBy: (out: string) => boolean,
      options: RunOptions = {},
    ) => {
      const result = await run(name, options);
      assert(result.verdicts.length > 0, `${name} did not run: ${result.stderr}`);
      const out = result.stdout + result.stderr;
      outcomes.push({
        id: name,
        leaked: result.verdicts.some((v) => v.ok) || leakedBy(out),
        detail: result.verdicts.map((v) => v.detail).join(" | "),
      });
    };
    const outside = join(scratch, "outside.txt");
    await single("eval-import", (out) => MARKERS.passwd.test(out), {
      cfg: { target: "/etc/passwd" },
    });
    await single("write", () => exists(outside), { cfg: { target: outside } });
    let before = services.hits();
    await single("fetch", () => services.hits() > before);
    before = services.hits();
    await single("websocket", () => services.hits() > before);
    before = services.hits();
    await single("remote-import", () => services.hits() > before);
    const acceptedBefore = services.accepted();
    await single("connect", () => services.accepted() > acceptedBefore);
    await single("dns", () => false);
    await single("subprocess", (out) => out.includes("pwned\n"));
    await single("ffi", (out) => out.includes("getpid() ="));
    await single("env", (out) => out.includes(SECRET), {
      cfg: { name: "MMDBOT_ESCAPE_SECRET" },
    });
    await single("proc-environ", (out) => out.includes(SECRET) || out.includes("ESCAPE_SECRET"), {
      parentEnv: { MMDBOT_ESCAPE_SECRET: SECRET },
    });
    await single("worker", (out) => MARKERS.passwd.test(out));
    // Contained means nothing was downloaded into the bot's cache (visible on the host at the
    // deno level; at the OS level the cache is a tmpfs that vanishes with the bot).
    const npmCache = join(detected.tmpDir, "mmdbot-bot-npm-import");
    await single("npm-import", () => hasEntry(npmCache, "left-pad"));
  } finally {
    await services.close();
  }
  return outcomes;
}

/** Whether a file or folder named `name` exists anywhere below `dir`. */
function hasEntry(dir: string, name: string): boolean {
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.name.includes(name)) return true;
      if (entry.isDirectory && hasEntry(join(dir, entry.name), name)) return true;
    }
  } catch {
    // not there
  }
  return false;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A weaker-level detection whose per-bot caches live in `dir` (removed by the test). */
function weakIn(dir: string): DetectedSandbox {
  return { ...weak, tmpDir: dir };
}

function printTable(level: string, outcomes: Outcome[]): void {
  const lines = outcomes.map((o) =>
    `  ${o.id.padEnd(24)} ${
      o.leaked ? "NOT DENIED (documented weaker-level exception)" : "denied"
    }  ${o.detail.replace(/\s+/g, " ").slice(0, 90)}`
  );
  console.log(`escape suite at the ${level} level:\n${lines.join("\n")}`);
}

Deno.test({
  name: `at the OS level every hostile bot is denied and contained ${strongName}`,
  ignore: STRONG_IGNORED,
  fn: async () => {
    const scratch = await Deno.makeTempDir({ prefix: "mmdbot-escape-" });
    try {
      const outcomes = await runEscapes(strong, scratch);
      printTable("os", outcomes);
      assertEquals(outcomes.filter((o) => o.leaked).map((o) => o.id), []);
      assert(outcomes.length >= 25);
    } finally {
      await Deno.remove(scratch, { recursive: true });
    }
  },
});

Deno.test("at the Deno level every escape is denied except the documented import() read hole", async () => {
  const scratch = await Deno.makeTempDir({ prefix: "mmdbot-escape-" });
  try {
    const outcomes = await runEscapes(weakIn(scratch), scratch);
    printTable("deno", outcomes);
    const leaked = outcomes.filter((o) => o.leaked).map((o) => o.id).sort();
    assertEquals(leaked, WEAKER_LEVEL_EXCEPTIONS);
    const plan = fixturePlan("import-text", weakIn(scratch));
    assertMatch(plan.why, /^WEAKER: /);
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
});

for (
  const [level, detectedOf, ignore] of [
    ["os", () => strong, STRONG_IGNORED],
    ["deno", (dir: string) => weakIn(dir), false],
  ] as const
) {
  Deno.test({
    name: `at the ${level} level the same fixtures succeed when the manifest grants the permission`,
    ignore,
    fn: async () => {
      const scratch = await Deno.makeTempDir({ prefix: "mmdbot-granted-" });
      const services = startServices();
      const detected = detectedOf(scratch);
      const cfg = { port: services.port, tcpPort: services.tcpPort };
      try {
        const read = {
          read: ["/etc/passwd", join(REPO, "deno.json"), join(HOSTILE, "victim")],
        };
        for (const name of ["read-api", "import-text", "import-json"]) {
          const result = await runFixture(name, detected, { permissions: read });
          const ok = result.verdicts.filter((v) => v.ok).map((v) => v.target);
          assertEquals(
            ok,
            name === "import-json" ? ["runtime", "other-bot"] : ["passwd", "runtime", "other-bot"],
            `${name}: ${result.stdout}${result.stderr}`,
          );
        }

        const outside = join(scratch, "granted.txt");
        const write = await runFixture("write", detected, {
          cfg: { target: outside },
          permissions: { write: [scratch] },
        });
        assert(write.verdicts[0]?.ok, write.stdout + write.stderr);
        assertEquals(await Deno.readTextFile(outside), "pwned by a bot\n");

        const net = { net: [`127.0.0.1:${services.port}`, `127.0.0.1:${services.tcpPort}`] };
        for (const name of ["fetch", "websocket", "connect"]) {
          const hits = services.hits() + services.accepted();
          const result = await runFixture(name, detected, { cfg, permissions: net });
          assert(result.verdicts[0]?.ok, `${name}: ${result.stdout}${result.stderr}`);
          assert(services.hits() + services.accepted() > hits, `${name} reached nothing`);
        }

        const dns = await runFixture("dns", detected, { permissions: { net: true } });
        assert(dns.verdicts.length === 1, dns.stderr);
        assert(!/NotCapable/.test(dns.verdicts[0].detail), dns.verdicts[0].detail);

        const run = await runFixture("subprocess", detected, { permissions: { run: ["/bin/sh"] } });
        assertEquals(run.verdicts[0]?.detail, "pwned\n", run.stdout + run.stderr);

        const env = await runFixture("env", detected, {
          cfg: { name: "MMDBOT_ESCAPE_SECRET" },
          permissions: { env: ["MMDBOT_ESCAPE_SECRET"] },
          hostEnv: Deno.env.toObject(),
        });
        assert(env.verdicts[0]?.ok && env.verdicts[0].detail.includes(SECRET), env.stdout);
      } finally {
        await services.close();
        await Deno.remove(scratch, { recursive: true });
      }
    },
  });

  Deno.test({
    name: `at the ${level} level a CPU-time limit kills a spinning bot by itself`,
    ignore,
    fn: async () => {
      const scratch = await Deno.makeTempDir({ prefix: "mmdbot-cpu-" });
      try {
        const result = await runFixture("cpu-spin", detectedOf(scratch), {
          cpuSeconds: 1,
          timeoutMs: 60_000,
        });
        assertEquals(result.verdicts[0]?.detail, "spinning");
        // SIGXCPU (24) at the soft limit; bwrap reports a signalled child as 128 + signal.
        assert(
          result.signal === "SIGXCPU" || result.code === 128 + 24 ||
            result.signal === "SIGKILL" || result.code === 128 + 9,
          `expected death by the CPU limit, got code ${result.code} signal ${result.signal}`,
        );
      } finally {
        await Deno.remove(scratch, { recursive: true });
      }
    },
  });

  Deno.test({
    name: `at the ${level} level a spinning bot killed by the host leaves no process and no CPU ` +
      "use, while a normal bot keeps answering",
    ignore,
    fn: async () => {
      const scratch = await Deno.makeTempDir({ prefix: "mmdbot-spin-" });
      const detected = detectedOf(scratch);
      const child = fixtureCommand(fixturePlan("cpu-spin", detected), {}, {
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      try {
        let seen = "";
        while (!seen.includes("spinning")) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`cpu-spin ended early: ${seen}`);
          seen += value;
        }
        const tree = await processTree(child.pid);
        const bot = tree[tree.length - 1];
        assert(bot && tree.length >= 1, "the spinning bot's process was not found");
        const start = (await procStat(bot.pid))?.cpuTicks ?? 0;
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert(((await procStat(bot.pid))?.cpuTicks ?? 0) > start, "the fixture is not spinning");
        if (level === "os") {
          const status = new TextDecoder().decode(
            (await new Deno.Command("cat", { args: [`/proc/${bot.pid}/status`] }).output()).stdout,
          );
          assertMatch(status, /CapEff:\s+0+\n/, "the sandboxed bot kept capabilities");
          assertMatch(status, /NoNewPrivs:\s+1/);
        }

        const normal = await runFixture("victim", detected);
        assertEquals(normal.verdicts[0]?.ok, true, `normal bot: ${normal.stderr}`);

        child.kill("SIGKILL");
        await child.status;
        const allGone = async () =>
          (await Promise.all(tree.map((p) => isGone(p.pid)))).every(Boolean);
        for (let i = 0; i < 100 && !(await allGone()); i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        for (const p of tree) assert(await isGone(p.pid), `pid ${p.pid} still runs after the kill`);
      } finally {
        await reader.cancel().catch(() => {});
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
        await child.status;
        await Deno.remove(scratch, { recursive: true });
      }
    },
  });

  Deno.test({
    name: `at the ${level} level a memory bomb dies at its heap cap and the host is unaffected`,
    ignore,
    fn: async () => {
      const scratch = await Deno.makeTempDir({ prefix: "mmdbot-oom-" });
      try {
        const detected = detectedOf(scratch);
        const bomb = await runFixture("memory-bomb", detected, { heapMb: 32, timeoutMs: 60_000 });
        assertEquals(bomb.verdicts[0]?.detail, "allocating");
        assert(bomb.code !== 0, "the memory bomb exited normally");
        assertMatch(bomb.stderr, /heap out of memory|Fatal JavaScript|out of memory/i);
        const normal = await runFixture("victim", detected);
        assertEquals(normal.verdicts[0]?.ok, true, `normal bot: ${normal.stderr}`);
      } finally {
        await Deno.remove(scratch, { recursive: true });
      }
    },
  });
}

Deno.test("the verdict parser reads only the JSON verdict lines of a fixture's output", () => {
  assertEquals(verdictsOf('{"escape":"x","ok":false,"detail":"d"}\nnoise\n').length, 1);
});

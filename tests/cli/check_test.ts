import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { buildCheckReport, formatCheckReport } from "../../runtime/cli/check.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI: `deno run -A runtime/cli/main.ts check --no-bots …`. These tests are about the
 * `.mdf`; the bots section has its own tests (tests/cli/check_bots_test.ts).
 */
async function check(...args: string[]): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", "runtime/cli/main.ts", "check", "--no-bots", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("check examples/tcp-server.mdf: MMDAgent-EX listens on 50001, mmdbot connects to 127.0.0.1:50001", async () => {
  const r = await check("examples/tcp-server.mdf");
  equal(r.code, 0, r.stdout + r.stderr);
  ok(r.stdout.includes("MMDAgent-EX listens: TCP server on port 50001"), r.stdout);
  ok(r.stdout.includes("mmdbot connects: TCP client to 127.0.0.1:50001"), r.stdout);
  ok(r.stdout.includes("OK: 0 errors"));
});

Deno.test("check examples/tcp-client.mdf: MMDAgent-EX connects to localhost:50001, mmdbot listens on loopback", async () => {
  const r = await check("examples/tcp-client.mdf");
  equal(r.code, 0, r.stdout + r.stderr);
  ok(r.stdout.includes("MMDAgent-EX connects: TCP client to localhost:50001"), r.stdout);
  ok(r.stdout.includes("mmdbot listens: TCP server on 127.0.0.1:50001 (loopback only)"), r.stdout);
  ok(r.stdout.includes("Plugin_Remote_RetryCount=120"), r.stdout);
});

Deno.test("check examples/websocket.mdf: mmdbot serves ws on 127.0.0.1:9001 path /chat without TLS", async () => {
  const r = await check("examples/websocket.mdf");
  equal(r.code, 0, r.stdout + r.stderr);
  ok(r.stdout.includes("WebSocket client to ws://localhost:9001/chat"), r.stdout);
  ok(r.stdout.includes("mmdbot listens: WebSocket server on 127.0.0.1:9001"), r.stdout);
  ok(r.stdout.includes("path /chat"), r.stdout);
  ok(r.stdout.includes("TLS: no"), r.stdout);
});

Deno.test("check examples/both.mdf fails with exit 1 and explains why TCP + WebSocket misbehaves", async () => {
  const r = await check("examples/both.mdf");
  equal(r.code, 1, r.stdout + r.stderr);
  const line = r.stdout.split("\n").find((l) => l.startsWith("examples/both.mdf:5: error: "));
  ok(line, r.stdout);
  ok(line.includes("select()"));
  ok(line.includes("whole network thread ends"));
  ok(line.includes("(fix: keep only one transport"));
  ok(r.stdout.includes("FAILED: 1 error"));
});

Deno.test("check examples/anyscript.mdf says MMDAgent-EX starts mmdbot with start --stdio", async () => {
  const r = await check("examples/anyscript.mdf");
  equal(r.code, 0, r.stdout + r.stderr);
  ok(r.stdout.includes("MMDAgent-EX starts mmdbot itself: Plugin_AnyScript_Command"), r.stdout);
  ok(r.stdout.includes("→ starts mmdbot (`start --stdio`)"), r.stdout);
  equal(r.stdout.includes("anyscript-missing-path"), false);
  equal(r.stdout.includes("does not exist"), false, "the example's relative path is right");
});

Deno.test("check --json prints the plan and findings as data", async () => {
  const r = await check("examples/websocket.mdf", "--json");
  equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  deepEqual(report.plan, {
    mode: "ws-server",
    bind: "127.0.0.1",
    port: 9001,
    path: "/chat",
    tls: false,
    retryCount: 120,
    origin: { file: "examples/websocket.mdf", line: 3 },
  });
  equal(report.ok, true);
  deepEqual(report.findings, []);
});

Deno.test("check --host and --bind change the plan", async () => {
  const host = JSON.parse(
    (await check("examples/tcp-server.mdf", "--json", "--host", "10.1.2.3")).stdout,
  );
  equal(host.plan.host, "10.1.2.3");
  const bind = JSON.parse(
    (await check("examples/tcp-client.mdf", "--json", "--bind", "0.0.0.0")).stdout,
  );
  equal(bind.plan.bind, "0.0.0.0");
});

Deno.test("check --system-mdf layers the system file under the content file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      join(dir, "sys.mdf"),
      "Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=1\n",
    );
    await Deno.writeTextFile(join(dir, "c.mdf"), "Plugin_Remote_ListenPort=50009\n");
    const r = await check(join(dir, "c.mdf"), "--system-mdf", join(dir, "sys.mdf"), "--json");
    const report = JSON.parse(r.stdout);
    equal(report.plan.mode, "tcp-client");
    equal(report.plan.port, 50009);
    equal(report.plan.origin.file, join(dir, "sys.mdf"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check prints each finding as file:line: severity: message (fix: …)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = join(dir, "c.mdf");
    await Deno.writeTextFile(f, "Plugin_Remote_EnableServer=no\nPlugin_Remote_Listenport=50001\n");
    const r = await check(f);
    equal(r.code, 0, "warnings alone do not fail");
    ok(
      r.stdout.includes(
        `${f}:1: warning: MMDAgent-EX reads \`Plugin_Remote_EnableServer=no\` as ON`,
      ),
      r.stdout,
    );
    ok(r.stdout.includes(`${f}:2: warning: \`Plugin_Remote_Listenport\` is not read`), r.stdout);
    ok(r.stdout.includes("(fix: write `Plugin_Remote_ListenPort`)"), r.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check without an .mdf says console mode would be used", async () => {
  const r = await check();
  equal(r.code, 0, r.stderr);
  ok(r.stdout.includes("console mode"), r.stdout);
});

Deno.test("check on a missing file exits 1 with the path and a fix", async () => {
  const r = await check("no/such.mdf");
  equal(r.code, 1);
  ok(r.stdout.includes("no/such.mdf: error: cannot read the .mdf: no such file (fix: "), r.stdout);
});

Deno.test("check --help teaches with examples", async () => {
  const r = await check("--help");
  equal(r.code, 0);
  ok(r.stdout.includes("Examples:"));
  ok(r.stdout.includes("check examples/both.mdf"));
  ok(r.stdout.includes("--system-mdf"));
});

Deno.test("the report takes extra sections (e.g. bots) whose errors fail the check", () => {
  const report = buildCheckReport({
    mdf: "a.mdf",
    sections: [{
      title: "Bots",
      lines: ["greeter: ok"],
      findings: [{
        severity: "error",
        file: "bots/bots.yaml",
        line: 4,
        code: "x",
        message: "bad",
        fix: "fix it",
      }],
    }],
  });
  equal(report.ok, false);
  deepEqual(report.counts, { error: 1, warning: 0, info: 0 });
  const mixed = buildCheckReport({
    mdf: "a.mdf",
    analysis: {
      plan: { mode: "none", reason: "x" },
      anyScript: [],
      findings: [{ severity: "info", file: "a.mdf", line: 9, code: "y", message: "m", fix: "" }],
    },
    sections: report.sections,
  });
  deepEqual(mixed.findings.map((f) => f.file), ["a.mdf", "bots/bots.yaml"], "the .mdf comes first");
  const text = formatCheckReport(report);
  ok(text.includes("Bots:\n  greeter: ok"));
  ok(text.includes("bots/bots.yaml:4: error: bad (fix: fix it)"));
});

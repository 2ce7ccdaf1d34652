/**
 * Issue 8 item 5: every answers.md §9 crash trigger (one fixture, `fixtures/crash_lines.ts`) is
 * refused from every path that can write toward MMDAgent-EX, with a reason that names the trigger,
 * and nothing of it reaches the peer: a bot in a real session (send and setup lines), the control
 * channel (in process and through the real CLI), `send --direct` with no runtime, the test kit and
 * replay. `--allow-dangerous` is the only override, and only the operator has it.
 *
 * The peer is the emulator's MMDAgent-EX TCP server side on a real loopback socket; what it
 * received is read at its `receive` (the bytes its Plugin_Remote reader got).
 */
import { assert, assertEquals, assertIncludes, assertRejects } from "../assert.ts";
import { Emulator } from "../../runtime/emulator/core.ts";
import { serveTcp, type TcpServerSide } from "../../runtime/emulator/tcp_server.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { loadManifest } from "../../runtime/manifest/load.ts";
import { replay } from "../../runtime/session/replay.ts";
import type { TrafficRecord } from "../../runtime/record/schema.ts";
import { type Session, startSession } from "../../runtime/session/session.ts";
import { createTestRuntime } from "../../runtime/session/test_runtime.ts";
import { CRASH_LINES, TRIGGER_TYPES } from "./fixtures/crash_lines.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;
const MAIN = new URL("../../runtime/cli/main.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

/** Commands of the fixture that the dangerous set also lists: a grant lifts only the ACL. */
const GRANTS = ["FST_LOAD", "SUBFST_START", "SUBFST_START_IF", "VALUE_UNSET"];

/**
 * A bot that sends the line of `TEST|send|<bot>|<id>|<line>` and reports the outcome as
 * `MESSAGE|sent|<bot>|<id>` or `MESSAGE|refused|<bot>|<id>|<code>|<reason>`; `TEST|setup|<bot>|<json>`
 * sets its per-connection setup lines.
 */
function senderBot(name: string): string {
  return `import { createBot } from "${MOD}";
const bot = createBot();
bot.hear(/^TEST\\|send\\|${name}\\|(\\d+)\\|(.*)$/, async (ctx) => {
  const [, id, line] = ctx.match!;
  try {
    await ctx.sendRaw(line);
    await ctx.sendRaw("MESSAGE|sent|${name}|" + id);
  } catch (e) {
    const r = (e as { refusal?: { code: string; reason: string } }).refusal;
    await ctx.sendRaw("MESSAGE|refused|${name}|" + id + "|" + (r?.code ?? String(e)) + "|" +
      (r?.reason ?? ""));
  }
});
bot.hear(/^TEST\\|setup\\|${name}\\|(.*)$/, async (ctx) => {
  ctx.setup(JSON.parse(ctx.match![1]));
  await ctx.sendRaw("MESSAGE|setup-done|${name}");
});
export default bot;
`;
}

/** A bots folder with `sender` (no grants) and `granted` (allowed the fixture's dangerous commands). */
async function makeBots(): Promise<{ dir: string; manifest: string }> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-crash-paths-" });
  for (const name of ["sender", "granted"]) {
    await Deno.mkdir(`${dir}/bots/${name}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/bots/${name}/bot.ts`, senderBot(name));
  }
  const budgets = "budgets: { messages_per_second: 1000, burst: 1000 }";
  await Deno.writeTextFile(
    `${dir}/bots/bots.yaml`,
    `bots:\n  sender:\n    ${budgets}\n  granted:\n    ${budgets}\n    allow: [${
      GRANTS.join(", ")
    }]\n`,
  );
  return { dir, manifest: `${dir}/bots/bots.yaml` };
}

/** An emulator behind its TCP server side, with every line its reader received. */
function peer(): {
  emu: Emulator;
  side: TcpServerSide;
  received: string[];
  close(): Promise<void>;
} {
  const emu = new Emulator({ currentTime: false });
  const received: string[] = [];
  let partial = "";
  const decoder = new TextDecoder();
  const receive = emu.receive.bind(emu);
  emu.receive = (chunk, conn) => {
    partial += decoder.decode(chunk, { stream: true });
    const parts = partial.split("\n");
    partial = parts.pop()!;
    received.push(...parts);
    return receive(chunk, conn);
  };
  const side = serveTcp(emu, { port: 0 });
  return {
    emu,
    side,
    received,
    async close() {
      await side.close();
      emu.close();
    },
  };
}

function mdfFor(dir: string, port: number): string {
  const mdf = `${dir}/content.mdf`;
  Deno.writeTextFileSync(
    mdf,
    `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${port}\n`,
  );
  return mdf;
}

async function until(cond: () => boolean, what: string, detail = () => "", ms = 20_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Asserts nothing of a trigger reached the peer: every line it got is one the test allows. */
function assertNoTrigger(received: readonly string[], allowed: (line: string) => boolean) {
  for (const line of received) {
    assert(allowed(line), `the peer received a line it should not have: ${JSON.stringify(line)}`);
  }
  for (const { line } of CRASH_LINES) {
    assert(!received.includes(line), `trigger reached the peer: ${line}`);
  }
}

function runCli(args: string[], runtimeDir: string) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", MAIN, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MMDBOT_RUNTIME_DIR: runtimeDir },
  }).output();
}

/** `send`'s stderr block for one refused line (formatRefusal: the JSON-escaped line). */
/**
 * The code an operator line meets: operator lines take the bots' outbound path in the same order
 * (ACL, then guard), so a dangerous trigger meets the ACL first, as for a bot without the grant.
 */
function operatorCode(trigger: string): string {
  return GRANTS.includes(trigger) ? "acl-denied" : "crash-trigger";
}

function refusedBlock(line: string, trigger: string): string {
  return `mmdbot send: refused (${operatorCode(trigger)}): ${JSON.stringify(line).slice(1, -1)}`;
}

Deno.test("fixture: every §9 trigger command appears, plain, wrapped in __AV_MESSAGE, and nested", () => {
  const lines = CRASH_LINES.map((c) => c.line);
  for (const type of TRIGGER_TYPES) {
    assert(CRASH_LINES.some((c) => c.trigger === type && c.line.startsWith(type)), type);
    assert(CRASH_LINES.some((c) => c.trigger === type && c.line.startsWith("__AV_MESSAGE,")), type);
  }
  for (const exact of ["TEXTAREA_SET|ta1|", "TEXTAREA_SET|ta1", "FST_LOAD|x.fst"]) {
    assert(lines.includes(exact), exact);
  }
  assert(lines.some((l) => l.startsWith("MENU|SETITEM|") && l.includes("|TEXTAREA_SET|")));
  assert(lines.some((l) => l.startsWith("BUTTON_ADD|") && l.includes("|message,FST_LOAD|")));
});

Deno.test("session paths: a bot's sends and setup lines, the control channel and the real CLI refuse every crash trigger, naming it; the peer gets none and no fault", async () => {
  const { dir, manifest } = await makeBots();
  const p = peer();
  const mdf = mdfFor(dir, p.side.port);
  const runtimeDir = `${dir}/run`;
  const log = memoryLogger("debug");
  let session: Session | undefined;
  try {
    session = await startSession({
      mdf,
      manifest,
      logger: log,
      watch: false,
      controlDir: runtimeDir,
    });
    const s = session;
    await until(() => p.emu.peers === 1, "the session to connect");
    await until(
      () => s.host.status().every((b) => b.state === "running"),
      "both bots to run",
      () => JSON.stringify(s.host.status()),
    );

    // (a) A bot's sends: the same fixture through each bot.
    const reports = () => p.received.filter((l) => /^MESSAGE\|(sent|refused)\|/.test(l));
    for (const bot of ["sender", "granted"]) {
      CRASH_LINES.forEach(({ line }, i) => p.emu.inject("TEST", `send|${bot}|${i}|${line}`));
    }
    // Proof that the path is live: a harmless line from the same bot is written.
    p.emu.inject("TEST", `send|sender|999|MESSAGE|harmless`);
    await until(
      () => reports().length === 2 * CRASH_LINES.length + 1,
      "every report",
      () => p.received.join("\n"),
    );
    assert(p.received.includes("MESSAGE|harmless"), "the live-path control line did not arrive");
    assert(p.received.includes("MESSAGE|sent|sender|999"));
    for (const bot of ["sender", "granted"]) {
      CRASH_LINES.forEach(({ line, trigger }, i) => {
        const report = reports().find((l) => l.startsWith(`MESSAGE|refused|${bot}|${i}|`));
        assert(report, `${bot} got no refusal for ${line}; reports:\n${reports().join("\n")}`);
        const [, , , , code, ...reason] = report.split("|");
        // A bot without the grant meets the ACL first; the granted one meets the guard.
        const codes = bot === "granted" || !GRANTS.includes(trigger)
          ? ["crash-trigger"]
          : ["acl-denied"];
        assert(codes.includes(code), `${bot} ${line}: code ${code}, wanted ${codes}`);
        assertIncludes(reason.join("|"), trigger, `${bot} ${line}: reason does not name it`);
      });
    }

    // (a') Setup lines (sent by the link on every connect) pass the same check.
    const setup = CRASH_LINES.map((c) => c.line);
    p.emu.inject("TEST", `setup|granted|${JSON.stringify([...setup, "MESSAGE|setup-ok"])}`);
    await until(() => p.received.includes("MESSAGE|setup-done|granted"), "the setup call");
    await until(() => p.received.includes("MESSAGE|setup-ok"), "the harmless setup line");
    const setupRefusals = log.records.filter((r) => r.msg.startsWith("setup line refused"));
    for (const { trigger } of CRASH_LINES) {
      assert(setupRefusals.some((r) => r.msg.includes(trigger)), `no setup refusal for ${trigger}`);
    }

    // (b) The control channel, in process: refused, code and reason.
    for (const { line, trigger } of CRASH_LINES) {
      const r = await s.send(line, { allowDangerous: false });
      assert(r.status === "refused", `control channel let through ${line}: ${JSON.stringify(r)}`);
      assertEquals(r.refusal.code, operatorCode(trigger), line);
      assertIncludes(r.refusal.reason, trigger, line);
    }
    assertEquals(s.status().refusedLines, CRASH_LINES.length);

    // (b) The real CLI through this running runtime: one call with every line, one with a
    // single trigger, and a harmless one that exits 0 (the path is live, the connection stays).
    const all = await runCli(["send", mdf, ...CRASH_LINES.map((c) => c.line)], runtimeDir);
    const stderr = new TextDecoder().decode(all.stderr);
    assertEquals(all.code, 1, stderr);
    for (const { line, trigger } of CRASH_LINES) {
      assertIncludes(stderr, refusedBlock(line, trigger));
      assertIncludes(stderr.slice(stderr.indexOf(refusedBlock(line, trigger))), trigger);
    }
    assert(!stderr.includes("own connection"), `send did not use the runtime:\n${stderr}`);
    const one = await runCli(["send", mdf, "TEXTAREA_SET|ta1|"], runtimeDir);
    assertEquals(one.code, 1);
    assertIncludes(new TextDecoder().decode(one.stderr), "TEXTAREA_SET|ta1 has an empty");
    const ok = await runCli(["send", mdf, "MESSAGE|cli-ok"], runtimeDir);
    assertEquals(ok.code, 0, new TextDecoder().decode(ok.stderr));
    await until(() => p.received.includes("MESSAGE|cli-ok"), "the CLI's harmless line");

    assertNoTrigger(p.received, (l) => l.startsWith("MESSAGE|"));
    assertEquals(p.emu.faults, []);
    assertEquals(p.emu.peers, 1);
    assertEquals(p.emu.status, "running");
  } finally {
    await session?.stop();
    await p.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("send --direct with no runtime refuses every crash trigger with exit 1; the peer gets only the harmless line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-crash-direct-" });
  const p = peer();
  try {
    const mdf = mdfFor(dir, p.side.port);
    const out = await runCli(
      ["send", "--direct", mdf, ...CRASH_LINES.map((c) => c.line), "MESSAGE|direct-ok"],
      `${dir}/run`,
    );
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 1, stderr);
    for (const { line, trigger } of CRASH_LINES) {
      assertIncludes(stderr, refusedBlock(line, trigger));
      assertIncludes(stderr.slice(stderr.indexOf(refusedBlock(line, trigger))), trigger);
    }
    assertIncludes(new TextDecoder().decode(out.stdout), "delivered  MESSAGE|direct-ok");
    await until(() => p.received.includes("MESSAGE|direct-ok"), "the harmless line");
    assertNoTrigger(p.received, (l) => l === "MESSAGE|direct-ok");
    assertEquals(p.emu.faults, []);
  } finally {
    await p.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("test kit and replay: a bot's crash triggers never appear in sent() or in the replayed lines", async () => {
  const { dir, manifest } = await makeBots();
  try {
    const inbound = CRASH_LINES.map(({ line }, i) => `TEST|send|granted|${i}|${line}`);
    const rt = await createTestRuntime({ bots: manifest });
    try {
      for (const l of inbound) await rt.inject(l);
      await rt.inject("TEST|send|granted|999|MESSAGE|kit-ok");
      const sent = rt.sent();
      assert(sent.includes("MESSAGE|kit-ok"), `the live-path control line is missing: ${sent}`);
      CRASH_LINES.forEach(({ line, trigger }, i) => {
        assert(!sent.includes(line), `test kit sent ${line}`);
        const report = sent.find((l) => l.startsWith(`MESSAGE|refused|granted|${i}|`));
        assert(report, `no refusal for ${line}`);
        assertIncludes(report, `|crash-trigger|`);
        assertIncludes(report.split("|").slice(5).join("|"), trigger, line);
      });
      for (const l of sent) assert(l.startsWith("MESSAGE|"), `unexpected line sent: ${l}`);
    } finally {
      await rt.close();
    }

    // Replay: a recording whose inbound side asks the bot for every trigger.
    const records: TrafficRecord[] = inbound.map((line, t) => ({
      time: new Date(0).toISOString(),
      t,
      dir: "in",
      conn: "rec",
      line,
    }));
    const result = await replay(records, { manifest });
    const actual = result.actual.map((o) => o.line);
    assertEquals(actual.length, CRASH_LINES.length, actual.join("\n"));
    for (const { line } of CRASH_LINES) assert(!actual.includes(line), `replay sent ${line}`);
    for (const l of actual) assert(l.startsWith("MESSAGE|refused|granted|"), l);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--allow-dangerous is the operator's only override: it puts a trigger on the wire from the CLI, while bots have no way to", async () => {
  // Bots: no manifest key lifts the guard, and a grant of every trigger command lifts only the ACL
  // (the session test above shows the granted bot still refused with crash-trigger).
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-crash-override-" });
  const p = peer();
  try {
    await Deno.mkdir(`${dir}/bots/b`, { recursive: true });
    await Deno.writeTextFile(`${dir}/bots/b/bot.ts`, senderBot("b"));
    for (const key of ["allow_dangerous: true", "allowDangerous: true"]) {
      await Deno.writeTextFile(`${dir}/bots/bots.yaml`, `bots:\n  b:\n    ${key}\n`);
      await assertRejects(() => loadManifest(`${dir}/bots/bots.yaml`), /allow/);
    }
    const help = await runCli(["send", "--help"], `${dir}/run`);
    assertIncludes(new TextDecoder().decode(help.stdout), "--allow-dangerous");

    // The operator: the same trigger, refused without the flag, written with it.
    const mdf = mdfFor(dir, p.side.port);
    const line = "TEXTAREA_SET|ta1|";
    const refused = await runCli(["send", "--direct", mdf, line], `${dir}/run`);
    assertEquals(refused.code, 1);
    const allowed = await runCli(
      ["send", "--direct", "--allow-dangerous", mdf, line],
      `${dir}/run`,
    );
    assertEquals(allowed.code, 0, new TextDecoder().decode(allowed.stderr));
    await until(() => p.received.includes(line), "the overridden line");
    assertEquals(p.received.filter((l) => l === line).length, 1);
  } finally {
    await p.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The host-side escape suite: hostile bots written with the real bot API
 * (tests/sandbox/hostile_host/) run in a real console-mode session (startSession: sandboxed bot
 * processes, the host's outbound path, the in-process emulator in crash mode) beside a normal bot.
 * On KEY|go each tries ONE way past the host: a dangerous command (direct, or nested in
 * `__AV_MESSAGE,`, a menu item or a button action), a line crafted to wedge MMDAgent-EX, an
 * oversized line, a flood, output spam on stderr and on the IPC pipe, a forged IPC message,
 * dangerous setup lines. Per escape the test proves it is denied (the bot's send rejected with the
 * right refusal code, or rate-limited), contained (nothing of it reached MMDAgent-EX, which saw no
 * fault), and logged (a record names the bot and the reason), while the normal bot answers every
 * utterance throughout. It runs at the OS level and at the weaker Deno level (MMDBOT_SANDBOX=deno,
 * which must log the weaker-level warning); host-side guarantees do not depend on the level, so
 * neither level has an exception here. The per-escape
 * table is printed for the issue note.
 */
import { assert, assertEquals, eventually } from "../assert.ts";
import { type LogRecord, memoryLogger } from "../../runtime/log/logger.ts";
import { DEFAULTS } from "../../runtime/manifest/schema.ts";
import { OUTPUT_BURST, OUTPUT_LINES_PER_SECOND } from "../../runtime/host/output_log.ts";
import { detectSandbox } from "../../runtime/sandbox/detect.ts";
import { type Session, startSession } from "../../runtime/session/session.ts";

const MANIFEST = new URL("./hostile_host/bots.yaml", import.meta.url).pathname;
const strong = await detectSandbox();
const STRONG_IGNORED = strong.level !== "os";

/** Every dangerous command the nested bots hide (the direct bots send one each). */
const DANGEROUS = [
  "EXECUTE",
  "KEY_POST",
  "NETWORK_GET",
  "OPEN_CONTENT",
  "PLUGIN_DISABLE",
  "FST_LOAD",
  "KEYVALUE_SET",
  "BUTTON_ADD",
  "VALUE_UNSET",
  "REMOTEKEY_CHAR",
  "AVATAR_LOGSAVE_START",
  "MOTIONCAPTURE_START",
];

/** Escapes that send one line through the bot API, with the refusal code the bot must get. */
const REFUSED: Record<string, string> = {
  "execute": "acl-denied",
  "key-post": "acl-denied",
  "network-get": "acl-denied",
  "open-content": "acl-denied",
  "plugin-disable": "acl-denied",
  "fst-load": "acl-denied",
  "keyvalue-plugin": "acl-denied",
  "button-open": "acl-denied",
  "value-unset": "acl-denied",
  "remotekey-char": "acl-denied",
  "avatar-logsave": "acl-denied",
  "motioncapture": "acl-denied",
  "wedge-lf": "control-char",
  "wedge-cr": "control-char",
  "wedge-nul": "control-char",
  "wedge-surrogate": "invalid-utf8",
  "wedge-avfoo": "unknown-avatar-command",
  "wedge-sndx": "snd-prefix",
  "wedge-short-s": "short-s-line",
  "oversized": "too-long",
};
for (const nest of ["nested-av-message", "nested-menu-item"]) {
  for (const type of DANGEROUS) REFUSED[`${nest}:${type}`] = "acl-denied";
}
// A button action is one field: KEYVALUE_SET and BUTTON_ADD need their arguments to do harm, so
// they are tried as the `setkeyvalue,` action and replaced by the `play,` action (OPEN_CONTENT).
for (const type of DANGEROUS.filter((t) => t !== "KEYVALUE_SET" && t !== "BUTTON_ADD")) {
  REFUSED[`nested-button-action:${type}`] = "acl-denied";
}
REFUSED["nested-button-action:setkeyvalue"] = "acl-denied";
REFUSED["nested-button-action:play"] = "acl-denied";

/** The other escapes, each judged by its own rule below. */
const SPECIAL = [
  "flood",
  "stderr-spam",
  "stdout-spam",
  "forged-ipc",
  "setup-line",
  "oversized-ipc",
];

/** One row of the report. */
interface Row {
  escape: string;
  denied: boolean;
  contained: boolean;
  logged: boolean;
  detail: string;
}

interface Verdict {
  escape: string;
  outcome: unknown;
}

const botOf = (escape: string) => escape.split(":")[0];
const inScope = (r: LogRecord, bot: string) => r.scope.endsWith(`bot:${bot}`);
const fieldsOf = (r: LogRecord) => (r.fields ?? {}) as Record<string, unknown>;

/** Starts a console session on the hostile manifest with the given environment overrides. */
async function startHostile(
  env: Record<string, string>,
): Promise<{ session: Session; log: ReturnType<typeof memoryLogger> }> {
  const log = memoryLogger("debug");
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  try {
    const session = await startSession({
      manifest: MANIFEST,
      logger: log,
      watch: false,
      control: false,
      emulator: { mode: "crash", currentTime: false },
    });
    return { session, log };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

/** Runs every escape with the normal bot answering throughout; returns the report rows. */
async function runSuite(level: "os" | "deno", scratch: string): Promise<Row[]> {
  const env: Record<string, string> = level === "deno"
    ? { MMDBOT_SANDBOX: "deno", TMPDIR: scratch }
    : {};
  const { session, log } = await startHostile(env);
  const emulator = session.emulator!;
  // What reached MMDAgent-EX: every byte the link hands the emulator, as text lines.
  const wire: string[] = [];
  const receive = emulator.receive.bind(emulator);
  emulator.receive = (chunk, conn) => {
    wire.push(...new TextDecoder().decode(chunk).split("\n").filter((l) => l !== ""));
    return receive(chunk, conn);
  };
  // Who sent what, as the session's traffic tap attributes it.
  const out: { bot?: string; line: string }[] = [];
  session.tap.onRecord((r) => {
    if (r.dir === "out") out.push({ bot: r.bot, line: r.line });
  });
  const verdicts = () =>
    log.records.flatMap((r): Verdict[] =>
      r.msg.startsWith("VERDICT ") ? [JSON.parse(r.msg.slice(8))] : []
    );

  try {
    // start returns before the bots have loaded (a slow bot cannot hold up the connection).
    await session.host.settled();
    // The level every bot runs at, and the warning the weaker one must give.
    const status = session.host.status();
    assertEquals(status.filter((b) => b.state !== "running").map((b) => b.name), []);
    assertEquals([...new Set(status.map((b) => b.level))], [level]);
    const warned = log.records.some((r) =>
      r.level === "warn" && r.msg.startsWith("WARNING: bots run with WEAKER isolation")
    );
    assertEquals(warned, level === "deno", "the weaker-level warning is logged iff deno level");
    assertEquals(session.sandbox.level, level);

    let pings = 0;
    const ping = async () => {
      const text = `ping-${pings++}`;
      emulator.inject("RECOG_EVENT_STOP", text);
      await eventually(() => wire.includes(`PONG|${text}`), `the normal bot to answer ${text}`);
    };
    await ping();

    const go = performance.now();
    emulator.inject("KEY", "go");
    const expected = [...Object.keys(REFUSED), ...SPECIAL];
    const done = () => {
      const seen = new Set(verdicts().map((v) => v.escape));
      const suppressed = ["stderr-spam", "stdout-spam"].every((bot) =>
        log.records.some((r) => inScope(r, bot) && /lines of output suppressed/.test(r.msg))
      );
      return expected.every((e) => seen.has(e)) && suppressed;
    };
    // The normal bot must answer every utterance while the attacks run.
    const deadline = performance.now() + 60_000;
    while (!done()) {
      assert(performance.now() < deadline, `escapes unfinished: ${JSON.stringify(verdicts())}`);
      await ping();
      await new Promise((r) => setTimeout(r, 100));
    }
    await ping();
    const elapsedS = (performance.now() - go) / 1000;

    const byEscape = new Map(verdicts().map((v) => [v.escape, v.outcome]));
    const hostWarn = (bot: string, code: string, line?: (l: string) => boolean) =>
      log.records.some((r) => {
        const f = fieldsOf(r);
        return f.bot === bot && f.code === code && (!line || line(String(f.line)));
      });
    const fromBot = (bot: string) => out.filter((o) => o.bot === bot).map((o) => o.line);
    const rows: Row[] = [];

    for (const [escape, code] of Object.entries(REFUSED)) {
      const bot = botOf(escape);
      const type = escape.split(":")[1];
      const outcome = byEscape.get(escape);
      rows.push({
        escape,
        denied: outcome === code,
        contained: fromBot(bot).length === 0,
        logged: hostWarn(bot, code, type ? (l) => l.includes(type) : undefined),
        detail: `refused: ${outcome}`,
      });
    }

    // Flood: the rate limit lets at most the burst plus the refill through; the rest is refused.
    const { messages_per_second: rate, burst } = DEFAULTS.budgets;
    const flood = byEscape.get("flood") as Record<string, number>;
    const floodWire = wire.filter((l) => l.startsWith("FLOOD|")).length;
    const floodMax = burst + rate * elapsedS + 1;
    rows.push({
      escape: "flood",
      denied: (flood["rate-limit"] ?? 0) > 0 && (flood.sent ?? 0) <= floodMax &&
        (flood.sent ?? 0) + flood["rate-limit"] === 5000,
      contained: floodWire === (flood.sent ?? 0) && floodWire <= floodMax,
      logged: log.records.some((r) =>
        fieldsOf(r).bot === "flood" && /rate limit tripped/.test(r.msg)
      ),
      detail: `${flood.sent ?? 0} of 5000 written (limit ${Math.floor(floodMax)}), ` +
        `${flood["rate-limit"] ?? 0} rate-limited`,
    });

    // Output spam: logged under the bot's name at a bounded rate, never on the wire.
    for (const bot of ["stderr-spam", "stdout-spam"]) {
      const marker = bot === "stderr-spam" ? "STDERR-SPAM|" : "STDOUT-SPAM|";
      const logged = log.records.filter((r) => inScope(r, bot) && r.msg.startsWith(marker));
      const max = OUTPUT_BURST + OUTPUT_LINES_PER_SECOND * elapsedS + 1;
      rows.push({
        escape: bot,
        denied: logged.length <= max && logged.length < 5000,
        contained: !wire.some((l) => l.includes(marker)) && fromBot(bot).length === 0,
        logged: log.records.some((r) =>
          inScope(r, bot) && r.level === "warn" && /lines of output suppressed/.test(r.msg)
        ),
        detail: `${logged.length} of 5020 lines logged (limit ${Math.floor(max)})`,
      });
    }

    // A forged IPC message gets exactly the checks of a real one.
    rows.push({
      escape: "forged-ipc",
      denied: hostWarn("forged-ipc", "acl-denied", (l) => l === "EXECUTE|calc.exe") &&
        log.records.some((r) =>
          fieldsOf(r).bot === "forged-ipc" && /^setup line refused/.test(r.msg)
        ),
      contained: fromBot("forged-ipc").length === 0,
      logged: hostWarn("forged-ipc", "acl-denied"),
      detail: "forged send and setup refused (acl-denied)",
    });

    // Setup lines pass the same ACL and guard as sends, now and at every reconnect.
    const setupRefused = log.records.filter((r) =>
      fieldsOf(r).bot === "setup-line" && /^setup line refused/.test(r.msg)
    ).map((r) => String(fieldsOf(r).line));
    rows.push({
      escape: "setup-line",
      denied: setupRefused.includes("EXECUTE|calc.exe") && setupRefused.includes("A|1\nB|2"),
      contained: fromBot("setup-line").length === 0,
      logged: hostWarn("setup-line", "acl-denied") && hostWarn("setup-line", "control-char"),
      detail: "setup lines refused (acl-denied, control-char)",
    });

    // A request bigger than an IPC message may be is refused before it is written (so it
    // settles, never hangs), logged under the bot's name, and never acted on.
    const ipc = byEscape.get("oversized-ipc");
    rows.push({
      escape: "oversized-ipc",
      denied: ipc === "too-long",
      contained: !wire.some((l) => l.includes("yyyy")) && fromBot("oversized-ipc").length === 0,
      logged: log.records.some((r) =>
        inScope(r, "oversized-ipc") && r.level === "warn" && /too-long/.test(r.msg)
      ),
      detail: `refused: ${ipc}`,
    });

    printReport(level, rows, pings);

    // Nothing but the normal bot's answers and the flood's allowance reached MMDAgent-EX, and
    // it saw no fault (in crash mode a fault would have killed or hung it).
    const stray = out.filter((o) =>
      !(o.bot === "normal" && o.line.startsWith("PONG|")) &&
      !(o.bot === "flood" && /^FLOOD\|\d+$/.test(o.line))
    );
    assertEquals(stray, []);
    assertEquals(wire.filter((l) => !/^(PONG|FLOOD)\|/.test(l)), []);
    assertEquals(emulator.faults, []);
    assertEquals(emulator.status, "running");
    // The hostile bots are all still up: denial did not cost anyone a restart.
    assertEquals(
      session.host.status().filter((b) => b.state !== "running" || b.restarts > 0).map((b) =>
        b.name
      ),
      [],
    );
    assert(pings >= 3, `the normal bot was asked only ${pings} times`);
    return rows;
  } finally {
    await session.stop();
  }
}

function printReport(level: string, rows: Row[], pings: number): void {
  const lines = rows.map((r) => {
    const ok = r.denied && r.contained && r.logged;
    const verdict = ok
      ? "denied"
      : `NOT DENIED (${
        [!r.denied && "denied", !r.contained && "contained", !r.logged && "logged"]
          .filter(Boolean).join(", ")
      } failed)`;
    return `  ${r.escape.padEnd(42)} ${verdict.padEnd(8)}  ${r.detail}`;
  });
  console.log(
    `host-side escape suite at the ${level} level (the normal bot answered all ${pings} ` +
      `utterances):\n${lines.join("\n")}`,
  );
}

for (const level of ["os", "deno"] as const) {
  const ignore = level === "os" && STRONG_IGNORED;
  Deno.test({
    name: `at the ${level} level every host-side escape (dangerous commands direct and nested, ` +
      "wedge and oversized lines, flood, output spam, forged IPC, setup lines) is denied, " +
      "contained and logged while a normal bot keeps answering" +
      (ignore ? ` (ignored: OS sandbox unavailable here: ${strong.os.why})` : ""),
    ignore,
    fn: async () => {
      const scratch = await Deno.makeTempDir({ prefix: "mmdbot-host-escape-" });
      try {
        const rows = await runSuite(level, scratch);
        assertEquals(rows.length, Object.keys(REFUSED).length + SPECIAL.length);
        // Host-side guarantees hold at both levels: no documented exception here.
        assertEquals(
          rows.filter((r) => !(r.denied && r.contained && r.logged)).map((r) => r.escape),
          [],
        );
      } finally {
        await Deno.remove(scratch, { recursive: true });
      }
    },
  });
}

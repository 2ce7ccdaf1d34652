/**
 * `mmdbot check [mdf]`: reads an `.mdf` as MMDAgent-EX does and prints, in plain words, who listens
 * and who connects (host, port, path, TLS, retries, bind address), the Plugin_AnyScript commands,
 * and every lint finding as `file:line: severity: message (fix: …)`. Exit code 1 on any error.
 *
 * With the bot manifest (`--bots`, default `bots/bots.yaml`) it also validates every bot: the
 * manifest's problems at `file:line:col`, each bot's isolation level on this machine (or why it
 * would be refused), a type check of its module and a real load in its sandbox
 * ({@link checkBotsSection}).
 *
 * The report is built from parts ({@link buildCheckReport}) and formatted separately
 * ({@link formatCheckReport}), so other parts of the CLI can add sections (e.g. bots).
 */
import type { Command } from "commander";
import { fail } from "./program.ts";
import type { ConnectionPlan, Origin } from "../mdf/plan_types.ts";
import { type Finding, formatFinding } from "../mdf/finding.ts";
import type { MmdagentSide } from "../mdf/plan.ts";
import type { AnyScriptCommand } from "../mdf/anyscript.ts";
import { analyseMdf, type MdfAnalysis } from "../mdf/analyse.ts";
import { loadManifest, ManifestError } from "../manifest/load.ts";
import { lintBots } from "../manifest/lint_bots.ts";
import type { Manifest } from "../manifest/types.ts";
import { detectSandbox, weakerWarning } from "../sandbox/detect.ts";
import type { IsolationLevel } from "../sandbox/types.ts";
import { type BotCheck, validateBots } from "../host/validate_bots.ts";
import type { Logger } from "../log/logger.ts";
import { loggerFor } from "./program.ts";
import { resolve } from "node:path";
import { DEFAULT_MANIFEST, manifestPath } from "../paths/project.ts";
import { mmdbotCommand } from "../paths/invocation.ts";

export { analyseMdf, type MdfAnalysis } from "../mdf/analyse.ts";

/** A finding that may also name a column (manifest and bot problems do). */
export type CheckFinding = Finding & { col?: number };

/** One bot as the report's bots section shows it (in `--json`). */
export interface CheckedBot {
  name: string;
  /** Undefined when the bot would be refused (e.g. `isolation: os` without the OS layer). */
  level?: IsolationLevel;
  typeChecked?: boolean;
  loaded?: boolean;
}

/** An extra block of the report (e.g. the bots a manifest lists), with its own findings. */
export interface CheckSection {
  title: string;
  lines: string[];
  findings: CheckFinding[];
  /** Per-bot results, for the bots section. */
  bots?: CheckedBot[];
}

/** Everything `check` found, as data (this is what `--json` prints). */
export interface CheckReport {
  /** The content `.mdf`, or undefined when none was given (console mode). */
  mdf?: string;
  systemMdf?: string;
  plan: ConnectionPlan;
  /** What MMDAgent-EX does with its keys; undefined when the file could not be read. */
  mmdagent?: MmdagentSide;
  anyScript: AnyScriptCommand[];
  /** The connection plan in plain words. */
  summary: string[];
  sections: CheckSection[];
  /** All findings (the sections' included), sorted by file and line. */
  findings: CheckFinding[];
  counts: { error: number; warning: number; info: number };
  ok: boolean;
}

/** Builds the report from its parts; without `analysis` it describes console mode (no `.mdf`). */
export function buildCheckReport(parts: {
  mdf?: string;
  systemMdf?: string;
  analysis?: MdfAnalysis;
  sections?: CheckSection[];
}): CheckReport {
  const a: MdfAnalysis = parts.analysis ?? {
    plan: { mode: "none", reason: "no .mdf given" },
    anyScript: [],
    findings: [],
  };
  const sections = parts.sections ?? [];
  // System file first, then the content file, then the others in the order they first appear
  // (the manifest, then each bot's files in manifest order).
  const all: CheckFinding[] = [...a.findings, ...sections.flatMap((s) => s.findings)];
  const fileOrder: (string | undefined)[] = [parts.systemMdf, parts.mdf];
  for (const f of all) if (!fileOrder.includes(f.file)) fileOrder.push(f.file);
  const rank = (file: string) => fileOrder.indexOf(file);
  const findings = all
    .map((f, i) => ({ f, i }))
    .sort((x, y) =>
      (rank(x.f.file) - rank(y.f.file)) ||
      (x.f.line - y.f.line) || ((x.f.col ?? 0) - (y.f.col ?? 0)) || (x.i - y.i)
    )
    .map((x) => x.f);
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return {
    mdf: parts.mdf,
    systemMdf: parts.systemMdf,
    plan: a.plan,
    mmdagent: a.mmdagent,
    anyScript: a.anyScript,
    summary: describePlan(a.plan, a.mmdagent, parts.mdf !== undefined, a.anyScript),
    sections,
    findings,
    counts,
    ok: counts.error === 0,
  };
}

const at = (o?: Origin) => (o ? ` (${o.file}:${o.line})` : " (default)");

function retries(n: number): string {
  return n <= 0
    ? `1 try, then it gives up (Plugin_Remote_RetryCount=${n})`
    : `${1 + n} tries, 0.5 s apart, then it gives up (Plugin_Remote_RetryCount=${n})`;
}

const listens = (bind: string) =>
  bind === "0.0.0.0" ? " (all interfaces)" : bind === "127.0.0.1" ? " (loopback only)" : "";

/** The connection plan in plain words, one sentence per line. */
export function describePlan(
  plan: ConnectionPlan,
  side: MmdagentSide | undefined,
  hadMdf: boolean,
  anyScript: AnyScriptCommand[] = [],
): string[] {
  switch (plan.mode) {
    case "tcp-client": {
      const s = side?.tcpServer;
      return [
        `MMDAgent-EX listens: TCP server on port ${plan.port}${at(s?.port.origin)}, all ` +
        `interfaces; server mode is on at ${s ? `${s.origin.file}:${s.origin.line}` : "?"}.`,
        `mmdbot connects: TCP client to ${plan.host}:${plan.port}` +
        (plan.host === "127.0.0.1" ? " (use --host if MMDAgent-EX runs on another machine)" : "") +
        ". It reconnects with backoff whenever the connection drops.",
      ];
    }
    case "tcp-server": {
      const c = side?.tcpClient;
      return [
        `MMDAgent-EX connects: TCP client to ${c?.host.value ?? "?"}:${plan.port}${
          at(c?.origin)
        }, ` +
        `${retries(plan.retryCount)}.`,
        `mmdbot listens: TCP server on ${plan.bind}:${plan.port}${listens(plan.bind)}.`,
        "Start mmdbot before MMDAgent-EX.",
      ];
    }
    case "ws-server": {
      const w = side?.websocket;
      const scheme = plan.tls ? "wss" : "ws";
      return [
        `MMDAgent-EX connects: WebSocket client to ${scheme}://${
          w?.host.value ?? "?"
        }:${plan.port}` +
        `${plan.path}${at(w?.origin)}, ${retries(plan.retryCount)}.`,
        `mmdbot listens: WebSocket server on ${plan.bind}:${plan.port}${listens(plan.bind)}, ` +
        `path ${plan.path} (other paths, e.g. ${plan.path}-1 after a 429, are accepted and logged), ` +
        `TLS: ${plan.tls ? "yes (wss, needs --cert and --key)" : "no (plain ws)"}.`,
        "Start mmdbot before MMDAgent-EX.",
      ];
    }
    case "stdio":
      return [
        "mmdbot is a Plugin_AnyScript child: MMDAgent-EX's messages on stdin, its lines on stdout.",
      ];
    case "none": {
      const starter = anyScript.find((c) => c.startsMmdbot);
      if (starter) {
        return [
          `MMDAgent-EX starts mmdbot itself: ${starter.key}${at(starter.origin)} runs ` +
          "`start --stdio` as a Plugin_AnyScript child (stdin/stdout, no socket), in the .mdf's folder.",
          "There is no Plugin_Remote transport; do not also run `mmdbot start` for this .mdf.",
        ];
      }
      if (!hadMdf) {
        return [
          "No .mdf given: `mmdbot start` would use console mode: you type, the bots answer, " +
          "against the built-in MMDAgent-EX emulator.",
          "Give the content's .mdf to see how mmdbot would connect to a real MMDAgent-EX.",
        ];
      }
      if (!side) return ["The .mdf could not be read; see the finding below."];
      return [
        `No connection: ${plan.reason}.`,
        "`mmdbot start` with this .mdf would use console mode (built-in emulator).",
      ];
    }
  }
}

/** The report as text for a terminal. */
export function formatCheckReport(r: CheckReport): string {
  const out: string[] = [];
  out.push(
    r.mdf
      ? `Checking ${r.mdf}${r.systemMdf ? ` (system .mdf: ${r.systemMdf})` : ""}`
      : "mmdbot check",
  );
  out.push("", "Connection:");
  for (const l of r.summary) out.push(`  ${l}`);
  if (r.anyScript.length > 0) {
    out.push("", "Plugin_AnyScript:");
    for (const c of r.anyScript) {
      const what = c.startsMmdbot
        ? "starts mmdbot (`start --stdio`)"
        : c.mentionsMmdbot
        ? "runs mmdbot, but not with `start --stdio`"
        : "another program";
      out.push(`  ${c.key}${at(c.origin)}: \`${c.command}\` → ${what}`);
    }
  }
  for (const s of r.sections) {
    out.push("", `${s.title}:`);
    for (const l of s.lines) out.push(`  ${l}`);
  }
  out.push("");
  if (r.findings.length === 0) out.push("No findings.");
  else {
    out.push("Findings:");
    for (const f of r.findings) out.push(formatCheckFinding(f));
  }
  const { error, warning, info } = r.counts;
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? "" : "s"}`;
  out.push(
    "",
    `${r.ok ? "OK" : "FAILED"}: ${n(error, "error")}, ${n(warning, "warning")}, ${
      n(info, "note")
    }.`,
  );
  return out.join("\n");
}

/** `file:line:col: severity: message (fix: …)`; the column only when the finding has one. */
export function formatCheckFinding(f: CheckFinding): string {
  if (!f.col || f.line <= 0) return formatFinding(f);
  return formatFinding({ ...f, line: 0, file: `${f.file}:${f.line}:${f.col}` });
}

/**
 * The manifest `start` would load for this `.mdf`: `--bots` when given (relative to the working
 * directory), else the `--bots` of the AnyScript line that starts mmdbot (relative to the
 * `.mdf`'s folder, which is that child's working directory), else the project's own.
 */
export function manifestFor(given: string | undefined, analysis?: MdfAnalysis): string {
  if (given !== undefined) return manifestPath(given);
  const starter = analysis?.anyScript.find((c) => c.startsMmdbot);
  const at = starter?.words.indexOf("--bots") ?? -1;
  if (starter && at >= 0 && starter.words[at + 1] && analysis?.doc) {
    return resolve(analysis.doc.dir, starter.words[at + 1]);
  }
  return DEFAULT_MANIFEST;
}

/** Options of {@link checkBotsSection}. */
export interface BotsSectionOptions {
  /** Whether the user named the manifest (then a missing one is an error, not a note). */
  explicit: boolean;
  /** Force the weaker level (`MMDBOT_SANDBOX=deno` does the same). */
  forceDeno?: boolean;
  /** Bots checked at once (default 2). */
  concurrency?: number;
  /** Receives the bot processes' output while they load. */
  logger?: Logger;
}

/**
 * The report's "Bots" section: the manifest's problems, then for each bot its isolation level
 * here (with the loud warning once at the weaker level), its type check and its load in the
 * sandbox, every failure as an error finding at `file:line:col` with a fix.
 */
export async function checkBotsSection(
  manifestPath: string,
  options: BotsSectionOptions,
): Promise<CheckSection> {
  const title = `Bots (${manifestPath})`;
  const exists = await Deno.stat(manifestPath).then(() => true, () => false);
  if (!exists && !options.explicit) {
    return {
      title,
      lines: ["No bot manifest: nothing to check."],
      findings: [{
        severity: "info",
        file: manifestPath,
        line: 0,
        code: "bots-manifest-missing",
        message: "no bot manifest here, so `start` would run no bots",
        fix: `create a bot with \`${mmdbotCommand("new <name>")}\`, or pass --bots <manifest> ` +
          "(--no-bots to skip)",
      }],
    };
  }
  let manifest: Manifest;
  try {
    manifest = await loadManifest(manifestPath);
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    return {
      title,
      lines: [
        `The manifest has ${e.problems.length} problem${
          e.problems.length === 1 ? "" : "s"
        }; no bot was checked.`,
      ],
      findings: e.problems.map((p) => ({
        severity: "error" as const,
        file: p.file,
        line: p.line,
        col: p.col,
        code: "bots-manifest",
        message: p.message,
        fix: p.fix,
      })),
    };
  }
  const mistakes = await lintBots(manifest);
  const force = options.forceDeno || Deno.env.get("MMDBOT_SANDBOX") === "deno";
  const detected = await detectSandbox({ force: force ? "deno" : undefined });
  const checks = await validateBots(manifest, {
    detected,
    concurrency: options.concurrency,
    logger: options.logger,
  });
  const lines: string[] = [];
  if (detected.level === "deno" && checks.length > 0) {
    lines.push(...weakerWarning(detected).split("\n"));
  }
  if (checks.length === 0) lines.push("The manifest lists no bots.");
  for (const c of checks) lines.push(c.line);
  const failed = checks.filter((c) => c.problems.length > 0).map((c) => c.name);
  if (checks.length > 0) {
    lines.push(
      failed.length === 0
        ? `All ${checks.length} bot${checks.length === 1 ? "" : "s"} type-check and load.`
        : `Failed: ${failed.join(", ")} (see the findings).`,
    );
  }
  return {
    title,
    lines,
    findings: [
      ...checks.flatMap((c) =>
        c.problems.map((p) => ({
          severity: "error" as const,
          file: p.file,
          line: p.line,
          col: p.col,
          code: `bot-${p.code}`,
          message: `${c.name}: ${p.message}`,
          fix: p.fix,
        }))
      ),
      ...mistakes,
    ],
    bots: checks.map(toCheckedBot),
  };
}

function toCheckedBot(c: BotCheck): CheckedBot {
  return { name: c.name, level: c.level, typeChecked: c.typeChecked, loaded: c.loaded };
}

interface CheckOptions {
  host?: string;
  bind?: string;
  systemMdf?: string;
  json?: boolean;
  /** The manifest, or false for `--no-bots` (undefined: the one `start` would use). */
  bots?: string | false;
}

const helpAfter = () => `
What it tells you:
  How MMDAgent-EX will use its Plugin_Remote keys, which role mmdbot takes (the opposite one),
  and every line MMDAgent-EX reads differently from what you probably meant. It reads the file
  byte for byte as MMDAgent-EX does: '#' is a comment only in column 1, no trailing comments,
  keys are case-sensitive, spaces before '=' belong to the key, the last occurrence wins,
  %ENV{NAME} is expanded (with this shell's environment).

Examples:
  $ mmdbot check examples/tcp-server.mdf     MMDAgent-EX listens on 50001, mmdbot connects
  $ mmdbot check examples/tcp-client.mdf     MMDAgent-EX connects to localhost:50001, mmdbot listens
  $ mmdbot check examples/websocket.mdf      mmdbot serves ws://localhost:9001/chat
  $ mmdbot check examples/anyscript.mdf      MMDAgent-EX starts mmdbot itself (start --stdio)
  $ mmdbot check examples/both.mdf           fails: TCP and WebSocket in one .mdf
  $ mmdbot check content.mdf --host 192.168.1.20
                                            MMDAgent-EX runs on another machine
  $ mmdbot check content.mdf --system-mdf /opt/MMDAgent-EX/MMDAgent-EX.mdf
                                            layer the system .mdf under the content's
  $ mmdbot check content.mdf --json          the report as JSON (plan, findings, ...)
  $ mmdbot check --bots my-bots.yaml         validate another bot manifest and its bots
  $ mmdbot check examples/tcp-server.mdf --no-bots
                                            only the .mdf, no bots
  $ MMDBOT_SANDBOX=deno mmdbot check          as on a machine without bubblewrap

Bots (the manifest start would load, unless --bots or --no-bots):
  Every manifest problem as file:line:col; each bot's isolation level here: os (bubblewrap: the
  bot sees only its own folder) or deno (WEAKER: Deno permissions only); a bot with
  isolation: os on a machine without the OS layer is an error naming the package to install.
  Each bot's module is type-checked (deno check) and loaded in its sandbox as \`start\` would
  load it; a type or load error is reported as bots/<name>/bot.ts:line:col.

  (Here, mmdbot is run as: ${mmdbotCommand("")} check examples/tcp-server.mdf)

Exit code: 0 when there is no error (warnings allowed), 1 otherwise.`;

/** Adds `check` to the program. */
export function register(program: Command): void {
  program
    .command("check")
    .description("show how mmdbot would connect to MMDAgent-EX for an .mdf, and lint the .mdf")
    .argument("[mdf]", "the content's .mdf (without it: console mode)")
    .option("--host <host>", "where MMDAgent-EX runs when it is the TCP server", "127.0.0.1")
    .option(
      "--bind <address>",
      "address mmdbot listens on when it is the server (default: 127.0.0.1 when the .mdf " +
        "names localhost or 127.0.0.1, else 0.0.0.0)",
    )
    .option("--system-mdf <file>", "MMDAgent-EX's system .mdf, layered under the content's")
    .option("--json", "print the report as JSON", false)
    .option(
      "--bots <manifest>",
      "bot manifest to validate with its bots (default: the one `start` would load: the " +
        `AnyScript line's --bots, else ${DEFAULT_MANIFEST})`,
    )
    .option("--no-bots", "do not check the bots")
    .addHelpText("after", helpAfter)
    .action(async (mdf: string | undefined, opts: CheckOptions, cmd: Command) => {
      const analysis = mdf === undefined
        ? undefined
        : await analyseMdf(mdf, { host: opts.host, bind: opts.bind, systemMdf: opts.systemMdf });
      const sections: CheckSection[] = [];
      if (opts.bots !== false) {
        sections.push(
          await checkBotsSection(manifestFor(opts.bots, analysis), {
            explicit: opts.bots !== undefined,
            logger: loggerFor(cmd),
          }),
        );
      }
      const report = buildCheckReport({ mdf, systemMdf: opts.systemMdf, analysis, sections });
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatCheckReport(report));
      if (!report.ok) fail(1);
    });
}

/**
 * `mmdbot status [mdf]`: asks the runtime running for an `.mdf` (or console mode) for its state:
 * the connection plan and link counters, every bot with its isolation, state, restarts and last
 * error, and how many lines were refused. `--all` lists every runtime of this user.
 */
import type { Command } from "commander";
import { attachEndpoint, requireRuntime } from "../control/client.ts";
import { listEndpoints } from "../control/endpoint.ts";
import type { SessionStatus } from "../control/target.ts";
import { fail } from "./program.ts";

interface StatusOptions {
  json: boolean;
  all: boolean;
}

const HELP_AFTER = `
Examples:
  mmdbot status examples/tcp-server.mdf
  mmdbot status                     # the console-mode runtime
  mmdbot status --all               # every runtime you started on this machine
  mmdbot status --json examples/tcp-server.mdf
`;

/** Adds `status` to the program. */
export function register(program: Command): void {
  program
    .command("status")
    .description("show the state of the runtime running for an .mdf (connection, bots, counters)")
    .argument("[mdf]", "the content's .mdf (without it: the console-mode runtime)")
    .option("--json", "print the status as JSON", false)
    .option("--all", "list every running runtime of this user", false)
    .addHelpText("after", HELP_AFTER)
    .action(async (mdf: string | undefined, opts: StatusOptions) => {
      try {
        if (opts.all) {
          const all = await statusAll();
          if (opts.json) console.log(JSON.stringify(all, null, 2));
          else if (all.length === 0) console.log("no runtime is running");
          else for (const s of all) console.log(formatStatus(s), "\n");
          return;
        }
        const client = await requireRuntime(mdf);
        try {
          const status = await client.status();
          console.log(opts.json ? JSON.stringify(status, null, 2) : formatStatus(status));
        } finally {
          client.close();
          await client.closed;
        }
      } catch (err) {
        console.error(`mmdbot status: ${err instanceof Error ? err.message : String(err)}`);
        fail(1);
      }
    });
}

async function statusAll(): Promise<SessionStatus[]> {
  const out: SessionStatus[] = [];
  for (const paths of await listEndpoints()) {
    const client = await attachEndpoint(paths);
    if (!client) continue;
    try {
      out.push(await client.status());
    } finally {
      client.close();
      await client.closed;
    }
  }
  return out;
}

/** The status as a person reads it. */
export function formatStatus(s: SessionStatus): string {
  const lines = [
    `runtime pid ${s.pid}, started ${s.startedAt}${s.mdf ? `, for ${s.mdf}` : " (console mode)"}`,
    `  plan: ${s.plan}`,
    `  link: ${
      Object.entries(s.link).map(([k, v]) =>
        `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
      )
        .join(" ")
    }`,
    `  refused lines: ${s.refusedLines}`,
    s.bots.length === 0 ? "  bots: none" : "  bots:",
    ...s.bots.map((b) =>
      `    ${b.name}  isolation=${b.isolation}  state=${b.state}  restarts=${b.restarts}` +
      (b.lastError ? `  last error: ${b.lastError}` : "")
    ),
  ];
  const c = s.conversation;
  if (c) {
    const ms = (l: { p50?: number; p95?: number }) =>
      l.p50 === undefined ? "n/a" : `${Math.round(l.p50)}/${Math.round(l.p95 ?? l.p50)} ms`;
    lines.push(
      `  conversation: turn ${c.turn}${c.userSpeaking ? " (user speaking)" : ""}, ` +
        `${c.metrics.turns} turns, ${c.metrics.interruptions} interruptions ` +
        `(${c.metrics.falseInterruptions} false), ${c.metrics.dropped} utterances dropped`,
      `    from the user's last word p50/p95: first speech command ${
        ms(c.metrics.toFirstCommandMs)
      }, on the wire ${ms(c.metrics.toWireMs)}, first audio ${ms(c.metrics.toAudioMs)}`,
      ...c.speaking.map((x) => `    ${x.model} speaking for ${x.owner}: ${x.text.slice(0, 60)}`),
    );
  }
  return lines.join("\n");
}

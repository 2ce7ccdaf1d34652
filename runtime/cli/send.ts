/**
 * `mmdbot send <mdf> <message...>`: sends lines to MMDAgent-EX, what the seeds' sending scripts
 * do, but safely. Through the running runtime for the same `.mdf` when there is one (its single
 * connection stays up); otherwise over this command's own connection, with a plain warning before
 * it closes, since on Linux a peer's disconnect ends MMDAgent-EX's service (reference 7.5).
 * Every line passes the outbound guard and the operator ACL (dangerous commands need
 * `--allow-dangerous`). Exit code 1 when any line was refused or dropped, or nothing connected.
 */
import type { Command } from "commander";
import { type ControlClient, findRuntime } from "../control/client.ts";
import {
  type DeliverResult,
  type DirectLink,
  disconnectWarning,
  openDirect,
  ownConnectionReason,
} from "../session/direct.ts";
import { onInterrupt } from "../control/interrupt.ts";
import { textLines, writeAll } from "../control/lines.ts";
import type { ControlSendResult } from "../control/target.ts";
import type { Refusal } from "../wire/types.ts";
import { fail, loggerFor, positiveSeconds, seconds } from "./program.ts";

interface SendOptions {
  allowDangerous: boolean;
  direct: boolean;
  keep: boolean;
  quiet: boolean;
  timeout: number;
  echoTimeout: number;
  host: string;
  bind?: string;
  systemMdf?: string;
}

const HELP_AFTER = `
Each message argument is one line (TYPE|ARGS); "-" reads one message per line from stdin.

When \`mmdbot start <mdf>\` is running for the same .mdf, the lines go through it and its
connection to MMDAgent-EX stays untouched. Otherwise send opens its own connection, and closing it
ends MMDAgent-EX's service on Linux (its Plugin_Remote thread deadlocks, or the whole process is
killed): send says so before it closes. --keep keeps that connection open and reads further lines
from stdin until EOF or Ctrl-C.

Results on stdout, one per line:
  delivered  MMDAgent-EX echoed the line (it echoes every line it issues): it took it
  written    the line is on the connection; MMDAgent-EX's echo was not awaited
             (--echo-timeout 0, or a runtime too old to wait for it)
  queued     MMDAgent-EX is disconnected; the runtime sends it on reconnect
Through a runtime and on its own connection alike, send waits for each line's echo (the runtime
sees every line MMDAgent-EX sends back). Refused lines, and lines that were written but never
echoed within --echo-timeout (default 5 s), go to stderr with the reason and the fix; exit code 1
when there was any. On its own connection, send closes only after every echo came (or the timeout
passed): closing earlier loses the line, because MMDAgent-EX's main loop takes it from the socket
after the disconnect broke Plugin_Remote.

Examples:
  mmdbot send examples/tcp-server.mdf "MOTION_ADD|mei|wave|wave.vmd"
  mmdbot send examples/tcp-server.mdf "SYNTH_START|mei|slt_voice_normal|こんにちは" "TEXTAREA_SET|t| "
  printf 'MESSAGE|a\\nMESSAGE|b\\n' | mmdbot send examples/tcp-server.mdf -
  mmdbot send --keep examples/tcp-server.mdf     # type lines; Ctrl-D or Ctrl-C ends
  mmdbot send --allow-dangerous examples/tcp-server.mdf "EXECUTE|notepad.exe"
`;

/** Adds `send` to the program. */
export function register(program: Command): void {
  program
    .command("send")
    .description("send message lines to MMDAgent-EX (through a running runtime when there is one)")
    .argument("<mdf>", "the content's .mdf (finds the running runtime, or plans the connection)")
    .argument("[message...]", 'message lines, TYPE|ARGS; "-" reads lines from stdin')
    .option("--allow-dangerous", "operator override: allow the dangerous commands", false)
    .option("--direct", "open this command's own connection even when a runtime runs", false)
    .option("--keep", "after the arguments, read lines from stdin until EOF or Ctrl-C", false)
    .option("-q, --quiet", "print nothing for lines that were written or queued", false)
    .option(
      "--timeout <seconds>",
      "own connection: how long to wait for MMDAgent-EX",
      positiveSeconds("--timeout"),
      10,
    )
    .option(
      "--echo-timeout <seconds>",
      "how long to wait for each line's echo (0: do not wait, print written)",
      seconds("--echo-timeout"),
      5,
    )
    .option("--host <host>", "own connection: where MMDAgent-EX's TCP server runs", "127.0.0.1")
    .option("--bind <address>", "own connection: address to listen on when mmdbot is the server")
    .option("--system-mdf <file>", "MMDAgent-EX's system .mdf, layered under the content's")
    .addHelpText("after", HELP_AFTER)
    .action(async (mdf: string, messages: string[], opts: SendOptions, cmd: Command) => {
      const log = loggerFor(cmd).child("send");
      if (messages.length === 0 && !opts.keep) {
        console.error('mmdbot send: give at least one message, "-" for stdin, or --keep');
        fail(1);
        return;
      }
      const timeoutMs = opts.timeout * 1000;
      const interrupt = onInterrupt();
      const out = createReporter(opts.quiet);
      try {
        const client = opts.direct ? undefined : await findRuntime(mdf);
        if (client) {
          log.debug("sending through the running runtime", { pid: client.hello.pid });
          try {
            await sendThrough(client, messages, opts, interrupt.fired, out);
          } finally {
            client.close();
            await client.closed;
          }
        } else {
          log.info(ownConnectionReason(mdf, Boolean(opts.direct)));
          await sendDirect(mdf, messages, opts, timeoutMs, interrupt.fired, out);
        }
      } catch (err) {
        console.error(`mmdbot send: ${err instanceof Error ? err.message : String(err)}`);
        fail(1);
      } finally {
        interrupt.dispose();
      }
      await out.flush();
      if (out.failed) fail(1);
      // A read of stdin may still be pending after Ctrl-C; it would keep the process alive.
      if (interrupt.which) Deno.exit(Deno.exitCode);
    });
}

/** Most lines awaiting their echo through a runtime at once (a long stdin keeps flowing). */
const MAX_IN_FLIGHT = 256;

async function sendThrough(
  client: ControlClient,
  messages: string[],
  opts: SendOptions,
  interrupted: Promise<void>,
  out: Reporter,
): Promise<void> {
  const echoMs = opts.echoTimeout * 1000;
  // Lines go out in order at once; their answers (after the echo) are reported in order.
  let reported: Promise<void> = Promise.resolve();
  let failure: unknown;
  const inFlight: Promise<unknown>[] = [];
  for await (const line of lineSource(messages, opts.keep, interrupted)) {
    if (line instanceof Error) {
      const err = line;
      reported = reported.then(() => out.inputError(err));
      continue;
    }
    if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift();
    const answer = client.send(line, opts.allowDangerous, echoMs > 0 ? echoMs : undefined).then(
      (r) => ({ r }),
      (e: unknown) => ({ e }),
    );
    inFlight.push(answer);
    reported = reported.then(async () => {
      const a = await answer;
      if ("e" in a) failure ??= a.e;
      else if (failure === undefined) out.result(line, a.r);
    });
    if (failure !== undefined) break;
  }
  await reported;
  if (failure !== undefined) throw failure;
}

async function sendDirect(
  mdf: string,
  messages: string[],
  opts: SendOptions,
  timeoutMs: number,
  interrupted: Promise<void>,
  out: Reporter,
): Promise<void> {
  let direct: DirectLink | undefined;
  try {
    direct = await openDirect(mdf, {
      host: opts.host,
      bind: opts.bind,
      systemMdf: opts.systemMdf,
    });
    await direct.connected(timeoutMs);
    const echoMs = opts.echoTimeout * 1000;
    // Lines go out as they come; their echoes are awaited side by side, reported in order.
    let reported: Promise<void> = Promise.resolve();
    for await (const line of lineSource(messages, opts.keep, interrupted)) {
      if (line instanceof Error) {
        out.inputError(line);
        continue;
      }
      if (echoMs === 0) {
        out.result(line, await direct.send(line, opts.allowDangerous));
        continue;
      }
      const delivery = direct.deliver(line, opts.allowDangerous, echoMs);
      // Writes stay in order: this line leaves before the next is taken.
      await delivery.sent;
      reported = reported.then(async () => out.result(line, await delivery.outcome));
    }
    await reported;
  } finally {
    if (direct) {
      if (direct.everConnected) console.error(disconnectWarning(mdf));
      await direct.close();
    }
  }
}

/** The argument lines, `-` expanded to stdin's lines, then stdin again with `--keep`. */
async function* lineSource(
  messages: string[],
  keep: boolean,
  interrupted: Promise<void>,
): AsyncGenerator<string | Error> {
  let stdinUsed = false;
  let stopped = false;
  const stop = interrupted.then(() => {
    stopped = true;
    return "interrupted" as const;
  });
  async function* stdin() {
    if (stdinUsed) return;
    stdinUsed = true;
    const it = textLines(Deno.stdin.readable);
    for (;;) {
      const next = await Promise.race([it.next(), stop]);
      if (next === "interrupted" || next.done) return;
      yield next.value;
    }
  }
  for (const m of messages) {
    if (stopped) return;
    if (m === "-") yield* stdin();
    else yield m;
  }
  if (keep) yield* stdin();
}

interface Reporter {
  result(line: string, r: ControlSendResult | DeliverResult): void;
  inputError(err: Error): void;
  readonly failed: boolean;
  /** Resolves when every result line is on stdout. */
  flush(): Promise<void>;
}

function createReporter(quiet: boolean): Reporter {
  const encoder = new TextEncoder();
  let failed = false;
  let writing: Promise<void> = Promise.resolve();
  const stdout = (text: string) => {
    if (quiet) return;
    const bytes = encoder.encode(text + "\n");
    writing = writing.then(() => writeAll(Deno.stdout, bytes)).catch(() => {});
  };
  return {
    get failed() {
      return failed;
    },
    flush: () => writing,
    result(line, r) {
      switch (r.status) {
        case "delivered":
          stdout(`delivered  ${line}`);
          return;
        case "written":
          stdout(`written  ${line}`);
          return;
        case "not-delivered":
          failed = true;
          console.error(`mmdbot send: not delivered: ${line}\n  ${r.reason}`);
          return;
        case "queued":
          stdout(`queued   ${line}  (MMDAgent-EX is not connected; ${r.depth} waiting)`);
          return;
        case "dropped":
          failed = true;
          console.error(`mmdbot send: dropped: ${line}\n  ${r.reason}`);
          return;
        case "refused":
          failed = true;
          console.error(formatRefusal(line, r.refusal));
          return;
      }
    },
    inputError(err) {
      failed = true;
      console.error(`mmdbot send: skipped: ${err.message}`);
    },
  };
}

/** A refusal as the user reads it: the line, why, and what to do instead. */
export function formatRefusal(line: string, refusal: Refusal): string {
  const shown = JSON.stringify(line).slice(1, -1);
  return [
    `mmdbot send: refused (${refusal.code}): ${shown}`,
    `  ${refusal.reason}`,
    ...(refusal.fix ? [`  fix: ${refusal.fix}`] : []),
  ].join("\n");
}

/**
 * `mmdbot listen <mdf>`: prints MMDAgent-EX's messages, one per line exactly as received (what the
 * seeds' receiving scripts do), or with `--json` one traffic record per line (both directions,
 * connection and producing bot; the schema `start --record` writes). Through the running runtime
 * for the same `.mdf` when there is one (attaching and detaching never touches its connection);
 * otherwise over this command's own connection, with the disconnect warning when it ends.
 * stdout carries only those lines; logs go to stderr.
 */
import type { Command } from "commander";
import { findRuntime } from "../control/client.ts";
import {
  type DirectLink,
  disconnectWarning,
  openDirect,
  ownConnectionReason,
} from "../session/direct.ts";
import { onInterrupt } from "../control/interrupt.ts";
import { writeAll } from "../control/lines.ts";
import type { TrafficRecord } from "../record/schema.ts";
import { fail, loggerFor } from "./program.ts";

interface ListenOptions {
  json: boolean;
  direct: boolean;
  host: string;
  bind?: string;
  systemMdf?: string;
}

const HELP_AFTER = `
Without --json, each line MMDAgent-EX sends is printed as received, nothing added (echoes of
the lines mmdbot sent included, as MMDAgent-EX sends them). With --json, each line in either
direction is printed as {"time","t","dir":"in"|"out","conn","bot"?,"echo"?,"line"}.

When \`mmdbot start <mdf>\` is running for the same .mdf, listen attaches to it and Ctrl-C
detaches without touching its connection. Otherwise listen opens its own connection, and on
Ctrl-C closes it, which on Linux ends MMDAgent-EX's service (listen warns when it does).

Examples:
  mmdbot listen examples/tcp-server.mdf
  mmdbot listen examples/tcp-server.mdf | grep '^SYNTH_EVENT_STOP'
  mmdbot listen --json examples/tcp-server.mdf > session.jsonl
`;

/** Adds `listen` to the program. */
export function register(program: Command): void {
  program
    .command("listen")
    .description("print MMDAgent-EX's messages, one per line (through a running runtime if any)")
    .argument("<mdf>", "the content's .mdf (finds the running runtime, or plans the connection)")
    .option("--json", "print traffic records of both directions as JSON lines", false)
    .option("--direct", "open this command's own connection even when a runtime runs", false)
    .option("--host <host>", "own connection: where MMDAgent-EX's TCP server runs", "127.0.0.1")
    .option("--bind <address>", "own connection: address to listen on when mmdbot is the server")
    .option("--system-mdf <file>", "MMDAgent-EX's system .mdf, layered under the content's")
    .addHelpText("after", HELP_AFTER)
    .action(async (mdf: string, opts: ListenOptions, cmd: Command) => {
      const log = loggerFor(cmd).child("listen");
      const interrupt = onInterrupt();
      const out = createPrinter();
      try {
        const client = opts.direct ? undefined : await findRuntime(mdf);
        if (client) {
          log.info(
            `attached to the running runtime (pid ${client.hello.pid}); Ctrl-C detaches and ` +
              "leaves its connection as it is",
          );
          const tail = client.tail(opts.json);
          interrupt.fired.then(() => client.close());
          for await (const item of tail) {
            out.print(typeof item === "string" ? item : JSON.stringify(item));
            if (out.broken) break;
          }
          if (!interrupt.which && !out.broken) log.info("the runtime stopped; listen ends");
          client.close();
          await client.closed;
        } else {
          log.info(ownConnectionReason(mdf, Boolean(opts.direct)));
          await listenDirect(mdf, opts, interrupt.fired, out);
        }
      } catch (err) {
        console.error(`mmdbot listen: ${err instanceof Error ? err.message : String(err)}`);
        fail(1);
      } finally {
        interrupt.dispose();
      }
      await out.flush();
    });
}

async function listenDirect(
  mdf: string,
  opts: ListenOptions,
  interrupted: Promise<void>,
  out: Printer,
): Promise<void> {
  let direct: DirectLink | undefined;
  try {
    let stopBroken!: () => void;
    const broken = new Promise<void>((r) => (stopBroken = r));
    // Listening from the first line on: lines MMDAgent-EX sends right after the connect were
    // lost when the listener was added once the connection was up (the test hung on them).
    direct = await openDirect(mdf, {
      host: opts.host,
      bind: opts.bind,
      systemMdf: opts.systemMdf,
      onRecord: (r: TrafficRecord) => {
        if (opts.json) out.print(JSON.stringify(r));
        else if (r.dir === "in") out.print(r.line);
        if (out.broken) stopBroken();
      },
    });
    await Promise.race([interrupted, broken]);
  } finally {
    if (direct) {
      if (direct.everConnected) console.error(disconnectWarning(mdf));
      await direct.close();
    }
  }
}

interface Printer {
  print(line: string): void;
  /** True once stdout is gone (e.g. `| head` exited): listening is pointless then. */
  readonly broken: boolean;
  flush(): Promise<void>;
}

function createPrinter(): Printer {
  const encoder = new TextEncoder();
  let writing: Promise<void> = Promise.resolve();
  let broken = false;
  return {
    print(line) {
      if (broken) return;
      const bytes = encoder.encode(line + "\n");
      writing = writing.then(() => writeAll(Deno.stdout, bytes)).catch(() => {
        broken = true;
      });
    },
    get broken() {
      return broken;
    },
    flush: () => writing,
  };
}

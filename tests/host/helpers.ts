/**
 * Test helpers for the bot host: a manifest of fixture bots, the sandbox's real launcher (OS level
 * when bubblewrap works here, else the deno level), and a sink that records what reached the wire.
 */
import type { BotSpec, Manifest } from "../../runtime/manifest/types.ts";
import { createLauncher } from "../../runtime/sandbox/launcher.ts";
import { type DetectedSandbox, detectSandbox } from "../../runtime/sandbox/detect.ts";
import type { LaunchPlan, LaunchSpec } from "../../runtime/sandbox/types.ts";
import type { SendOutcome } from "../../runtime/transport/types.ts";
import type { WireUnit } from "../../runtime/wire/types.ts";
import type { GuardContext } from "../../runtime/wire/guard.ts";
import { realClock } from "../../runtime/clock/clock.ts";
import type { Logger } from "../../runtime/log/logger.ts";
import { createLink } from "../../runtime/transport/link.ts";
import { type MemoryConn, memoryConn, memoryListener } from "../../runtime/transport/memory.ts";
import { createRuntime } from "../../runtime/session/runtime.ts";

/** Absolute path of tests/host/fixtures/. */
export const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

let detected: Promise<DetectedSandbox> | undefined;

/** The sandbox launcher as `start` builds it (detection runs once per test process). */
export async function launcher(): Promise<(spec: LaunchSpec) => Promise<LaunchPlan>> {
  detected ??= detectSandbox();
  return createLauncher(await detected);
}

/** A bot spec with test-friendly defaults; `dir` is the bot's folder. */
export function botSpec(name: string, dir: string, over: Partial<BotSpec> = {}): BotSpec {
  return {
    name,
    dir,
    module: `${dir}/bot.ts`,
    permissions: { read: false, write: false, net: false, env: false, run: false, npm: [] },
    allow: [],
    receive: ["*"],
    budgets: { handlerMs: 2000, heapMb: 64, messagesPerSecond: 50, burst: 50 },
    restart: { initialBackoffMs: 100, maxBackoffMs: 2000, maxFailures: 5, windowMs: 60_000 },
    isolation: "any",
    origin: { file: "test", line: 1 },
    ...over,
  };
}

/** A manifest of fixture bots by folder name under tests/host/fixtures/. */
export function fixtureManifest(...bots: (string | BotSpec)[]): Manifest {
  return {
    file: FIXTURES + "bots.yaml",
    bots: bots.map((b) => typeof b === "string" ? botSpec(b, FIXTURES + b) : b),
  };
}

/** Guard context of a plain socket connection. */
export const guardContext: GuardContext = { commands: { hasStartupFst: false } };

/** A sink that records every unit with its source and lets a test wait for lines. */
export function recordingSink() {
  const lines: { text: string; source: string }[] = [];
  const waiters: { pred: (t: string) => boolean; resolve: (t: string) => void }[] = [];
  const sink = (unit: WireUnit, source: string): Promise<SendOutcome> => {
    lines.push({ text: unit.text, source });
    for (const w of [...waiters]) {
      if (w.pred(unit.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(unit.text);
      }
    }
    return Promise.resolve({ status: "written", connection: "test" });
  };
  /** Resolves with the first line (already sent or later) matching; rejects after `ms`. */
  const waitLine = (pred: RegExp | ((t: string) => boolean), ms = 15_000): Promise<string> => {
    const test = pred instanceof RegExp ? (t: string) => pred.test(t) : pred;
    const seen = lines.find((l) => test(l.text));
    if (seen) return Promise.resolve(seen.text);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`no line matching ${pred} within ${ms} ms; got ${JSON.stringify(lines)}`));
      }, ms);
      const w = {
        pred: test,
        resolve: (t: string) => {
          clearTimeout(timer);
          resolve(t);
        },
      };
      waiters.push(w);
    });
  };
  return { sink, lines, waitLine };
}

/**
 * A host composed as `start` composes it (createRuntime over the one Link), whose far end is an
 * in-process connection recording every line written to it. `connect(id)` makes MMDAgent-EX
 * (connect again), `drop()` makes it go away.
 */
export async function memoryRuntime(manifest: Manifest, logger: Logger) {
  const listener = memoryListener("test peer");
  const link = createLink({ kind: "listen", listener }, { describe: "test peer" });
  const rt = createRuntime({
    manifest,
    link,
    clock: realClock,
    logger,
    launcher: await launcher(),
  });
  const conns: { id: string; lines: string[]; conn: MemoryConn }[] = [];
  const decoder = new TextDecoder();
  return {
    rt,
    conns,
    /** Lines written to the far end, over all connections. */
    lines: () => conns.flatMap((c) => c.lines),
    connect(id: string) {
      const entry = { id, lines: [] as string[], conn: undefined as unknown as MemoryConn };
      entry.conn = memoryConn(id, {
        write: (b) => entry.lines.push(decoder.decode(b).replace(/\n$/, "")),
      });
      conns.push(entry);
      listener.accept(entry.conn);
    },
    /** The far end says `line`. */
    say(line: string) {
      conns.at(-1)!.conn.push(new TextEncoder().encode(line + "\n"));
    },
    drop() {
      conns.at(-1)?.conn.end();
    },
    /** Resolves once a written line matches; rejects after `ms`. */
    async waitLine(pred: RegExp, ms = 15_000): Promise<string> {
      const end = Date.now() + ms;
      for (;;) {
        const found = conns.flatMap((c) => c.lines).find((l) => pred.test(l));
        if (found !== undefined) return found;
        if (Date.now() > end) {
          throw new Error(`no line matching ${pred} within ${ms} ms; got ${JSON.stringify(conns)}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

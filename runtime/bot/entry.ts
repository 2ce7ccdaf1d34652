/**
 * Entry point of a bot process (one process per bot, started by the host through the sandbox's
 * launch plan). It loads only this file, the bot API and the author's module: no npm, no config.
 *
 * Why a process and not a Worker (measured on Deno 2.9.6): `Worker.terminate()` cannot stop a
 * worker spinning in a synchronous loop and a worker has no heap cap, so a hostile or buggy bot
 * could burn a core or take the whole runtime down. A process can be killed and capped.
 *
 * Sequence: `init` from the host → import the module → `ready` (or `load-error`) → messages.
 */
import { definitionOf } from "./define.ts";
import { createEngine, reportOf } from "./engine.ts";
import { batch, exit, flush, hostBatches, post } from "./ipc.ts";

/** Sends the bot's console output to stderr, which the host logs under the bot's name. */
function redirectConsole(): void {
  const toStderr = console.error.bind(console);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.dir = (item: unknown) => toStderr(Deno.inspect(item));
  console.table = (data: unknown) => toStderr(Deno.inspect(data));
}

/**
 * Wraps the bot's own timer and microtask callbacks so what they throw is reported by the bot API:
 * Deno formats an uncaught exception itself before any `error` listener runs, and a thrown value
 * whose every trap throws (a hostile Proxy) makes that formatting throw, which ends the process.
 */
function guardCallbacks(report: (error: unknown) => void): void {
  const guard = <F>(fn: F): F => {
    if (typeof fn !== "function") return fn;
    return function (this: unknown, ...args: unknown[]) {
      try {
        return fn.apply(this, args);
      } catch (e) {
        report(e);
      }
    } as F;
  };
  type Schedule = (fn: unknown, ms?: number, ...args: unknown[]) => number;
  const st = globalThis.setTimeout as unknown as Schedule;
  const si = globalThis.setInterval as unknown as Schedule;
  const qm = globalThis.queueMicrotask;
  const wrappedTimeout: Schedule = (fn, ms, ...args) => st(guard(fn), ms, ...args);
  const wrappedInterval: Schedule = (fn, ms, ...args) => si(guard(fn), ms, ...args);
  globalThis.setTimeout = wrappedTimeout as unknown as typeof setTimeout;
  globalThis.setInterval = wrappedInterval as unknown as typeof setInterval;
  globalThis.queueMicrotask = (fn) => qm(guard(fn));
}

async function main(): Promise<void> {
  redirectConsole();
  guardCallbacks((e) => post({ t: "error", where: "uncaught exception", error: reportOf(e) }));
  // A forgotten promise rejection or a throw in a bot's own setTimeout is reported, not fatal.
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    post({ t: "error", where: "unhandled rejection", error: reportOf(e.reason) });
  });
  globalThis.addEventListener("error", (e) => {
    e.preventDefault();
    post({ t: "error", where: "uncaught exception", error: reportOf(e.error ?? e.message) });
  });

  const batches = hostBatches();
  const first = await batches.next();
  const init = first.done ? undefined : first.value[0];
  if (init?.t !== "init") {
    post({ t: "load-error", error: { name: "Error", message: "expected init from the host" } });
    exit(1);
  }
  let def;
  try {
    const url = init.module.startsWith("file:") ? init.module : toFileUrl(init.module);
    const mod = await import(url);
    def = definitionOf(mod.default);
    if (!def) {
      throw new TypeError(
        `${init.module} has no default export made with createBot(); ` +
          `end the module with \`export default bot;\``,
      );
    }
  } catch (e) {
    post({ t: "load-error", error: reportOf(e) });
    exit(1);
  }
  const types = new Set<string>();
  for (const r of def.routes) if (r.kind === "type") { for (const t of r.types) types.add(t); }
  const engine = createEngine({
    name: init.name,
    def,
    io: { post, batch },
    clock: init.clock,
    timerBudget: init.timers,
  });
  // Without onError hooks the bot has no use for refusals of sends it did not look at.
  post({ t: "ready", types: [...types], errorHooks: def.hooks.error.length > 0 });
  // Whatever came with init (nothing, normally: the host waits for ready) is handled next.
  for (const msg of first.value!.slice(1)) engine.handle(msg);
  for await (const batch of batches) {
    for (const msg of batch) engine.handle(msg);
    // One turn lets an `await` on a send look at it; then the answers go out before the next read
    // is even asked for (asking costs a thread hand-off that would delay them).
    await undefined;
    flush();
  }
  // stdin closed: the host is gone or wants us gone.
  exit(0);
}

function toFileUrl(path: string): string {
  return "file://" + path.split("/").map(encodeURIComponent).join("/");
}

if (import.meta.main) await main();

/**
 * Helpers of the scale-out tests: a bot folder and manifests in a temp dir, avatar edges (a real
 * session in console mode: the in-process emulator stands in for MMDAgent-EX, joined to the
 * broker by the edge service) and `mmdbot worker` child processes.
 */
import { memoryLogger } from "../../runtime/log/logger.ts";
import { type Session, startSession } from "../../runtime/session/session.ts";
import { type BrokerEdge, brokerEdge } from "../../runtime/broker/edge.ts";
import { RUNTIME_PERMISSIONS } from "../../runtime/paths/invocation.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;
const MAIN = new URL("../../runtime/cli/main.ts", import.meta.url).pathname;

/**
 * Answers `hello` with `MESSAGE|hi|<connection>` and `COUNT|N` with `MESSAGE|n|N`. The load uses a
 * custom event, not speech: each user utterance starts a turn, and a reply to an earlier turn
 * is refused once the user spoke again (the conversation floor), which is not what is measured.
 */
const HELLO_BOT = `import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", (ctx) => {
  const said = ctx.args.result ?? "";
  if (said === "hello") return ctx.sendRaw("MESSAGE|hi|" + ctx.connection).then(() => {});
});
bot.on("COUNT", (ctx) => ctx.sendRaw("MESSAGE|n|" + ctx.fields[0]).then(() => {}));
export default bot;
`;

/** Answers `local?` with `MESSAGE|local`: a bot the edge runs itself. */
const LOCAL_BOT = `import { createBot } from "${MOD}";
const bot = createBot();
bot.on("RECOG_EVENT_STOP", (ctx) => {
  if (ctx.args.result === "local?") return ctx.sendRaw("MESSAGE|local").then(() => {});
});
export default bot;
`;

const ENTRY = (name: string) =>
  `  ${name}:\n    receive: [RECOG_EVENT_STOP, COUNT]\n` +
  "    budgets: { messages_per_second: 2000, burst: 2000 }\n";

/** A temp project: `edge.yaml` (hello + local) and `worker.yaml` (hello). */
export async function project(): Promise<{ dir: string; edge: string; worker: string }> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-scale-" });
  for (const [name, code] of [["hello", HELLO_BOT], ["local", LOCAL_BOT]]) {
    await Deno.mkdir(`${dir}/bots/${name}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/bots/${name}/bot.ts`, code);
  }
  await Deno.writeTextFile(`${dir}/bots/edge.yaml`, "bots:\n" + ENTRY("hello") + ENTRY("local"));
  await Deno.writeTextFile(`${dir}/bots/worker.yaml`, "bots:\n" + ENTRY("hello"));
  return { dir, edge: `${dir}/bots/edge.yaml`, worker: `${dir}/bots/worker.yaml` };
}

/** A running avatar edge. */
export interface TestEdge {
  avatar: string;
  session: Session;
  service: BrokerEdge;
  /** Lines written toward MMDAgent-EX, in order, with the bot that sent each. */
  out: { bot?: string; line: string }[];
  /** The user says `text` (`RECOG_EVENT_STOP|text` from the emulator). */
  say(text: string): void;
  /** MMDAgent-EX issues `COUNT|n` (a custom event: no turn, unlike speech). */
  count(n: number): void;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts an edge for `avatar` whose `remote` bots (default `hello`) run on workers; `manifest`
 * defaults to the project's edge.yaml (hello + a local bot), worker.yaml gives an edge with no bot
 * of its own. Its state (handled-command watermarks) goes to `state-<avatar>` in the project.
 */
export async function startEdge(
  p: { dir: string; edge: string },
  avatar: string,
  url: string,
  manifest: string = p.edge,
  remote: string[] = ["hello"],
): Promise<TestEdge> {
  const logger = memoryLogger("debug");
  const stateDir = `${p.dir}/state-${avatar}`;
  const service = brokerEdge({ url, avatar, remoteBots: remote, logger, stateDir });
  const session = await startSession({
    manifest,
    console: true,
    logger,
    watch: false,
    controlDir: `${p.dir}/run-${avatar}`,
    storeDir: `${p.dir}/store-${avatar}`,
    services: [service],
    remoteBots: remote,
  });
  const out: { bot?: string; line: string }[] = [];
  session.runtime.tap.onRecord((r) => {
    if (r.dir === "out") out.push({ bot: r.bot, line: r.line });
  });
  return {
    avatar,
    session,
    service,
    out,
    say: (text) => session.emulator!.inject("RECOG_EVENT_STOP", text),
    count: (n) => session.emulator!.inject("COUNT", String(n)),
    logs: () => logger.records.map((r) => `${r.level} ${r.scope}: ${r.msg}`).join("\n"),
    stop: () => session.stop(),
  };
}

/** A `mmdbot worker` child process. */
export interface TestWorker {
  name: string;
  /** Its stderr so far (logs). */
  log(): string;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** SIGTERM and wait (bounded). */
  stop(): Promise<void>;
}

/** Starts `mmdbot worker --broker url --bots manifest --name name` as a child process. */
export function spawnWorker(url: string, manifest: string, name: string): TestWorker {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      ...RUNTIME_PERMISSIONS,
      MAIN,
      "worker",
      "--broker",
      url,
      "--bots",
      manifest,
      "--name",
      name,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) text += decoder.decode(chunk, { stream: true });
  })();
  let done = false;
  const finish = async () => {
    await child.status;
    await reading.catch(() => {});
    done = true;
  };
  return {
    name,
    log: () => text,
    async kill() {
      if (done) return;
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await finish();
    },
    async stop() {
      if (done) return;
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 10_000);
      await finish();
      clearTimeout(t);
    },
  };
}

/** Waits (polling, bounded) until `cond` holds; fails with `what` and `detail()`. */
export async function until(
  cond: () => boolean,
  what: string,
  detail: () => string = () => "",
  ms = 30_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out (${ms} ms) waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

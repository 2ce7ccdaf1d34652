/**
 * `demo`: the whole loop on one machine, over a real socket. The emulator takes MMDAgent-EX's
 * place as a TCP server on an ephemeral loopback port; the runtime (`start`) runs as a child
 * process with a throw-away `.mdf` pointing at it, with the example bots; a scenario plays the
 * user; the conversation is printed; the runtime is stopped with SIGTERM. Exit 0 when every
 * `expect` of the scenario was met.
 */
import type { Command } from "commander";
import { join } from "node:path";
import { fail, loggerFor } from "./program.ts";
import { printConversationLine, reportScenario, waitForPeer } from "./emulate.ts";
import { Emulator } from "../emulator/core.ts";
import { serveTcp } from "../emulator/tcp_server.ts";
import { loadScenario, runScenario, ScenarioError } from "../emulator/scenario.ts";
import type { Logger } from "../log/logger.ts";
import { fileURLToPath } from "node:url";
import { RUNTIME_PERMISSIONS } from "../paths/invocation.ts";

/** The scenario the demo plays unless told otherwise. */
export const DEFAULT_SCENARIO = "examples/scenarios/greet.yaml";
/** The runtime's entry point, next to this file. */
const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

/** Options of {@link runDemo}. */
export interface DemoOptions {
  scenario: string;
  bots: string;
  log: Logger;
  /** Log level handed to the runtime child. */
  childLogLevel: string;
  /** Seconds to wait for the runtime to connect. */
  waitPeer: number;
  /**
   * The runtime's command line for a given `.mdf` (default: `deno run … main.ts start <mdf>
   * --bots <bots>`); tests put a stand-in here.
   */
  runtime?: (mdf: string) => string[];
}

/** Writes the `.mdf` that makes the runtime connect to the emulator's port. */
export async function writeDemoMdf(dir: string, port: number): Promise<string> {
  const mdf = join(dir, "demo.mdf");
  await Deno.writeTextFile(
    mdf,
    "# Written by `mmdbot demo`: MMDAgent-EX (the emulator) listens here; mmdbot connects.\n" +
      `Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=${port}\n`,
  );
  return mdf;
}

/** Runs the demo; resolves with the exit code (0 when the scenario passed). */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { log } = options;
  let scenario;
  try {
    scenario = await loadScenario(options.scenario);
  } catch (e) {
    if (e instanceof ScenarioError) {
      log.error(e.message);
      return 1;
    }
    throw e;
  }
  const emu = new Emulator({ log: log.child("emulator") });
  const server = serveTcp(emu, { port: 0, bind: "127.0.0.1", log: log.child("emulator") });
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-demo-" });
  let child: Deno.ChildProcess | undefined;
  let stopping = false;
  try {
    const mdf = await writeDemoMdf(dir, server.port);
    const argv = options.runtime?.(mdf) ?? [
      Deno.execPath(),
      "run",
      "--no-prompt",
      ...RUNTIME_PERMISSIONS,
      MAIN,
      "--log-level",
      options.childLogLevel,
      "start",
      mdf,
      "--bots",
      options.bots,
    ];
    log.info(`emulator listening on 127.0.0.1:${server.port}; starting the runtime`, {
      command: argv.slice(1).join(" "),
    });
    // The child's stdout goes to our stderr so that stdout carries only the conversation.
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const forwarding = child.stdout.pipeTo(
      new WritableStream({ write: (chunk) => void Deno.stderr.writeSync(chunk) }),
    ).catch(() => {});
    const exited = child.status.then((s) => {
      if (!stopping) log.error(`the runtime exited early (code ${s.code})`);
    });
    if (!await waitForPeer(emu, options.waitPeer * 1000, exited)) {
      log.error(`the runtime did not connect within ${options.waitPeer} s`);
      return 1;
    }
    console.log(`scenario "${scenario.name}" (${scenario.file})`);
    const result = await Promise.race([
      runScenario(emu, scenario, emu.clock, { onLine: printConversationLine }),
      exited.then(() => undefined),
    ]);
    if (!result) return 1;
    reportScenario(scenario, result, log);
    stopping = true;
    await stopChild(child, log);
    await forwarding;
    return result.ok ? 0 : 1;
  } finally {
    stopping = true;
    if (child) await stopChild(child, log);
    await server.close();
    emu.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the child has exited. */
async function stopChild(child: Deno.ChildProcess, log: Logger): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    return; // already exited
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<void>((r) => {
    timer = setTimeout(() => {
      log.warn("the runtime did not stop within 10 s of SIGTERM; killing it");
      try {
        child.kill("SIGKILL");
      } catch { /* exited meanwhile */ }
      r();
    }, 10000);
  });
  await Promise.race([child.status, killed]);
  clearTimeout(timer);
  await child.status;
}

/** Registers `demo`. */
export function register(program: Command): void {
  program.command("demo")
    .description(
      "Run the emulator and the bots over a real socket, play a scenario, show the conversation",
    )
    .option("--scenario <file.yaml>", "the scenario to play", DEFAULT_SCENARIO)
    .option("--bots <manifest>", "bot manifest", "bots/bots.yaml")
    .option("--wait-peer <seconds>", "how long to wait for the runtime to connect", "30")
    .addHelpText(
      "after",
      `
What happens:
  1. the emulator listens on 127.0.0.1:<free port> as MMDAgent-EX's TCP server
  2. "start <tmp .mdf> --bots <manifest>" runs as a child and connects to it
  3. the scenario plays the user (e.g. says "hello" at 1 s) and checks the answers
  4. the runtime gets SIGTERM; exit 0 when every expect was met, 1 otherwise

Examples:
  deno task demo
  deno task mmdbot demo --scenario examples/scenarios/menu.yaml
  deno task mmdbot --log-level warn demo       quieter: only the conversation and warnings`,
    )
    .action(async (opts: { scenario: string; bots: string; waitPeer: string }) => {
      const log = loggerFor(program).child("demo");
      const g = program.opts() as { logLevel?: string };
      const code = await runDemo({
        scenario: opts.scenario,
        bots: opts.bots,
        log,
        childLogLevel: g.logLevel ?? "info",
        waitPeer: parseFloat(opts.waitPeer) || 30,
      });
      if (code !== 0) fail(code);
    });
}

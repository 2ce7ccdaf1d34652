/**
 * `emulate [mdf]`: run the MMDAgent-EX emulator on the `.mdf`'s Plugin_Remote settings, in the
 * role MMDAgent-EX takes there: TCP server (it listens), TCP client (it connects to the bot
 * runtime, 1 + RetryCount tries) or WebSocket client. Faults are reported on stderr; `--strict`
 * exits 1 at the end when any was seen, `--strict=crash` also simulates their effect (including
 * the end of the session at a peer's disconnect, as on Linux). `--scenario` plays the user's side
 * once a peer is connected, prints the conversation on stdout and exits 0/1 on its result.
 * Without one, typed lines are the user's side as in console mode (speech, `/RAW|lines`).
 */
import type { Command } from "commander";
import { Option } from "commander";
import { resolve } from "node:path";
import { fail, loggerFor } from "./program.ts";
import { Emulator } from "../emulator/core.ts";
import { serveTcp, type TcpServerSide } from "../emulator/tcp_server.ts";
import { type ClientEnd, type ClientSide, connectTcp } from "../emulator/tcp_client.ts";
import { connectWs } from "../emulator/ws_client.ts";
import {
  describeLine,
  loadScenario,
  runScenario,
  type Scenario,
  ScenarioError,
  type ScenarioResult,
  type TranscriptEntry,
} from "../emulator/scenario.ts";
import { loadMdf } from "../mdf/layer.ts";
import { type MmdagentSide, mmdagentSide } from "../mdf/plan.ts";
import { MdfError } from "../mdf/finding.ts";
import type { Logger } from "../log/logger.ts";
import { type AnyScriptCommand, anyScriptCommands } from "../mdf/anyscript.ts";
import { type AnyScriptSide, startAnyScript } from "../emulator/anyscript_parent.ts";
import { onInterrupt } from "../control/interrupt.ts";
import { feedTyped } from "../emulator/typed.ts";

interface EmulateOptions {
  strict?: boolean | string;
  voice: boolean;
  bind: string;
  port?: string;
  retryCount?: string;
  scenario?: string;
  waitPeer: string;
}

/** The `.mdf` as the emulator needs it: MMDAgent-EX's side and the content folder. */
async function emulatorSettings(mdf: string | undefined) {
  if (!mdf) {
    return {
      contentDir: Deno.cwd(),
      fstFile: undefined,
      side: undefined,
      anyScript: [] as AnyScriptCommand[],
    };
  }
  const doc = await loadMdf(mdf);
  for (const e of doc.errors) throw e;
  const fst = doc.keys.get("ContentFile")?.value ?? resolve(mdf).replace(/\.mdf$/, ".fst");
  return {
    contentDir: doc.dir,
    fstFile: resolve(doc.dir, fst),
    side: mmdagentSide(doc),
    anyScript: anyScriptCommands(doc),
  };
}

/** Prints one line of the conversation on stdout, with its time from the scenario's start. */
export function printConversationLine(entry: TranscriptEntry): void {
  const text = describeLine(entry.line);
  if (text === undefined) return;
  console.log(`[${(entry.at / 1000).toFixed(1).padStart(5)}s] ${text}`);
}

/** Prints a scenario's verdict (stdout) and its failures (stderr as errors). */
export function reportScenario(scenario: Scenario, result: ScenarioResult, log: Logger): void {
  for (const f of result.failures) log.error(`${f.where}: ${f.message}`);
  console.log(
    result.ok
      ? `scenario "${scenario.name}" passed`
      : `scenario "${scenario.name}" FAILED (${result.failures.length} failure(s))`,
  );
}

/** Resolves when `emu` has a peer, or with false after `ms` or when `stop` settles first. */
export async function waitForPeer(emu: Emulator, ms: number, stop: Promise<unknown>) {
  let stopped = false;
  stop.then(() => stopped = true, () => stopped = true);
  const deadline = Date.now() + ms;
  while (emu.peers === 0) {
    if (stopped || Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Registers `emulate`. */
export function register(program: Command): void {
  let strayMdf: string | undefined;
  program.command("emulate")
    .description("Stand in for MMDAgent-EX: answer a bot's commands as the real binary does")
    .argument(
      "[mdf]",
      "the content .mdf whose Plugin_Remote settings to take MMDAgent-EX's side of " +
        "(none: TCP server on port 60001)",
    )
    .addOption(
      new Option(
        "--strict [how]",
        "report every input MMDAgent-EX would mishandle; exit 1 at the end",
      )
        // `--strict main.mdf`: commander would take the path as the option's value, so a value
        // that is no mode is kept as the .mdf argument instead of being refused.
        .argParser((value: string) => {
          if (value === "report" || value === "crash") return value;
          strayMdf = value;
          return true;
        }),
    )
    .option("--no-voice", "speech commands are echoed only, as on a content without a voice")
    .option("--bind <host>", "interface to listen on (the real binary uses all)", "127.0.0.1")
    .option("--port <port>", "override the port of the mode in use (listen, client or WebSocket)")
    .option("--retry-count <n>", "override Plugin_Remote_RetryCount (client modes)")
    .option("--scenario <file.yaml>", "play this scenario once a peer is connected, then exit")
    .option("--wait-peer <seconds>", "with --scenario: how long to wait for a peer", "30")
    .addHelpText(
      "after",
      `
Modes (from the .mdf, as MMDAgent-EX reads it):
  Plugin_Remote_EnableServer=true     listen on Plugin_Remote_ListenPort; peers get REMOTE_EVENT_*
  Plugin_Remote_EnableClient=true     connect to Plugin_Remote_Hostname:Port (start the bots first)
  Plugin_Remote_Websocket_Host=...    connect to ws://Host:Websocket_Port/Websocket_Directory
  Plugin_AnyScript_Command=...        start that command line as a child, in the .mdf's folder,
                                      without a shell; its stdin/stdout carry the messages

Without --scenario, each line typed on stdin is the user's side, as in console mode: what the
user says (RECOG_EVENT_START, then RECOG_EVENT_STOP|text), or /TYPE|ARGS for a raw message
MMDAgent-EX issues (//text escapes a leading slash). From the first line on, what MMDAgent-EX
sends is shown on stdout. A line typed before any bot is connected waits for one. Ctrl-C stops.

Examples:
  emulate examples/tcp-server.mdf       listen where MMDAgent-EX would and answer as it does
                                        (type "hello" once "start examples/tcp-server.mdf" runs)
  emulate examples/tcp-client.mdf       connect to a running "start examples/tcp-client.mdf"
  emulate --strict main.mdf             also flag every line that would wedge, hang or crash it
  emulate --strict=crash --no-voice     behave like the voiceless Linux binary, dying where it dies
  emulate --scenario examples/scenarios/greet.yaml examples/tcp-server.mdf
                                        wait for the bots, say hello, print the conversation,
                                        exit 0 when every expect was met (1 otherwise)`,
    )
    .action(async (mdfArg: string | undefined, opts: EmulateOptions) => {
      const log = loggerFor(program).child("emulate");
      if (strayMdf !== undefined && mdfArg !== undefined) {
        log.error(`--strict takes report or crash, not ${JSON.stringify(strayMdf)}`);
        return fail(1);
      }
      const mdf = mdfArg ?? strayMdf;
      const strict = opts.strict !== undefined && opts.strict !== false;
      const crashMode = opts.strict === "crash";
      let scenario: Scenario | undefined;
      let settings;
      try {
        if (opts.scenario) scenario = await loadScenario(opts.scenario);
        settings = await emulatorSettings(mdf);
      } catch (e) {
        if (e instanceof ScenarioError || e instanceof MdfError) {
          log.error(e.message);
          return fail(1);
        }
        throw e;
      }
      const side: MmdagentSide | undefined = settings.side;
      const portOverride = opts.port ? parseInt(opts.port, 10) : undefined;
      const retryCount = opts.retryCount !== undefined
        ? parseInt(opts.retryCount, 10)
        : side?.retryCount.value ?? 0;
      const anyScript = settings.anyScript;
      if (side && !side.tcpServer && !side.tcpClient && !side.websocket && anyScript.length === 0) {
        log.error(
          `${mdf} enables no Plugin_Remote mode and no Plugin_AnyScript_Command: MMDAgent-EX ` +
            "would talk to no program" +
            (side.loopGuard ? " (client mode was turned off by the loop guard)" : ""),
        );
        return fail(1);
      }
      if (side && !side.pluginLoaded && (side.tcpServer || side.tcpClient || side.websocket)) {
        log.warn(
          "Plugin_Remote is not loaded by this .mdf (enablePlugin/disablePlugin/exclude); " +
            "emulating it anyway",
        );
      }
      if (side?.websocket && (side.tcpServer || side.tcpClient)) {
        log.warn(
          "TCP and WebSocket together: the real binary blocks one on the other " +
            "(reference 2.5); the emulator serves both independently",
        );
      }

      const emu = new Emulator({
        log,
        voice: opts.voice,
        contentDir: settings.contentDir,
        fstFile: settings.fstFile,
        mode: crashMode ? "crash" : "recover",
      });
      emu.onOutput((line) => log.debug(`→ ${line}`));

      let server: TcpServerSide | undefined;
      const clients: { kind: "tcp" | "ws"; side: ClientSide }[] = [];
      const serverPort = side?.tcpServer?.port.value;
      const remote = side !== undefined &&
        (side.tcpServer !== undefined || side.tcpClient !== undefined || side.websocket);
      if (!side || serverPort !== undefined) {
        const port = portOverride ?? serverPort ?? 60001;
        server = serveTcp(emu, { port, bind: opts.bind, log });
        log.info(`listening on ${opts.bind}:${server.port} as MMDAgent-EX's TCP server`, {
          voice: opts.voice,
          strict: opts.strict ?? false,
        });
      }
      if (side?.tcpClient) {
        const host = side.tcpClient.host.value;
        const port = portOverride ?? side.tcpClient.port.value;
        log.info(`MMDAgent-EX's TCP client: connecting to ${host}:${port}`, { retryCount });
        clients.push({
          kind: "tcp",
          side: connectTcp(emu, { host, port, retryCount, log, breakOnDisconnect: crashMode }),
        });
      }
      if (side?.websocket) {
        const ws = side.websocket;
        const port = portOverride ?? ws.port.value;
        log.info(`MMDAgent-EX's WebSocket client: connecting to ${ws.host.value}:${port}`, {
          directory: ws.directory.value,
          retryCount,
        });
        clients.push({
          kind: "ws",
          side: connectWs(emu, {
            host: ws.host.value,
            port,
            directory: ws.directory.value,
            retryCount,
            log,
            breakOnDisconnect: crashMode,
          }),
        });
      }

      // Plugin_AnyScript children, started as MMDAgent-EX starts them: in the .mdf's folder, the
      // line split at spaces and tabs, no shell.
      const children: AnyScriptSide[] = [];
      for (const [i, c] of anyScript.entries()) {
        try {
          children.push(startAnyScript(emu, {
            words: c.words,
            cwd: settings.contentDir,
            conn: 100 + i,
            log,
          }));
        } catch (err) {
          log.error(
            `${c.origin.file}:${c.origin.line}: ${c.key}: cannot start \`${c.words[0]}\` in ` +
              `${settings.contentDir}: ${err instanceof Error ? err.message : err} (MMDAgent-EX ` +
              "runs it without a shell: name the program by absolute path or one on PATH)",
          );
          await Promise.all(children.map((ch) => ch.close()));
          emu.close();
          await server?.close();
          return fail(1);
        }
      }

      let clientEnd: ClientEnd | undefined;
      // First Ctrl-C: stop cleanly; a second one exits at once (onInterrupt).
      const interrupt = onInterrupt();
      const stop = new Promise<string>((r) => {
        interrupt.fired.then(() => r("signal"));
        emu.onDeath((how) => how === "crash" && r("crash"));
        // With only AnyScript children, the emulation is over when they all have exited (the
        // real binary would spin on their closed stdout: reference 7.8).
        if (children.length > 0 && !remote) {
          void Promise.all(children.map((c) => c.exited)).then(() => r("children exited"));
        }
        for (const c of clients) {
          c.side.done.then((end) => {
            if (end === "closed") return;
            clientEnd ??= end;
            // A failed TCP client leaves a server running (2.3); a failed WebSocket ends it all.
            if (!server || c.kind === "ws") r(`client ${end}`);
          });
        }
      });

      let result: ScenarioResult | undefined;
      let stdinPending = false;
      if (scenario) {
        const waitMs = (parseFloat(opts.waitPeer) || 30) * 1000;
        const run = (async () => {
          if (!await waitForPeer(emu, waitMs, stop)) {
            log.error(`no peer connected within ${waitMs / 1000} s; the scenario did not run`);
            return undefined;
          }
          console.log(`scenario "${scenario.name}" (${scenario.file})`);
          return await runScenario(emu, scenario, emu.clock, { onLine: printConversationLine });
        })();
        const outcome = await Promise.race([run, stop.then(() => "stopped" as const)]);
        if (outcome === "stopped") {
          log.error("the emulator stopped before the scenario ended");
          fail(1);
        } else if (!outcome) {
          fail(1);
        } else {
          result = outcome;
          reportScenario(scenario, result, log);
          if (!result.ok) fail(1);
        }
      } else {
        stdinPending = await talk(emu, stop);
      }

      await server?.close();
      await Promise.all(clients.map((c) => c.side.close()));
      const codes = await Promise.all(children.map((c) => c.close()));
      if (codes.some((code) => code !== 0)) {
        log.warn(`an AnyScript child exited with code ${codes.find((code) => code !== 0)}`);
      }
      emu.close();
      for (const [conn, s] of emu.snd) {
        log.info("SND audio received", {
          conn,
          packets: s.packets,
          bytes: s.bytes,
          seconds: s.bytes / 32000,
          model: s.model ?? "(none: dropped by MMDAgent-EX)",
        });
      }
      if (emu.faults.length > 0) {
        log.warn(`${emu.faults.length} fault(s) seen`);
        if (strict) fail(1);
      }
      if (clientEnd === "broken" || clientEnd === "gave-up") fail(1);
      if (emu.status === "dead") fail(1);
      interrupt.dispose();
      // A read of stdin may still be pending (it cannot be cancelled); it would keep us alive.
      if (stdinPending) Deno.exit(Number(Deno.exitCode ?? 0));
    });
}

/** What a terminal user is told once (stderr, like the logs). */
const TYPED_HELP = [
  "Type what the user says and press Enter; the connected bots answer as the avatar.",
  "  /TYPE|ARGS   issue a raw message as MMDAgent-EX (e.g. /KEY|a)",
  "  //text       say a line that starts with /",
  "  Ctrl-C       stop",
].join("\n");

/**
 * Without a scenario: typed lines (stdin) are the user's side, as in console mode, and from the
 * first one on what MMDAgent-EX sends is shown readably on stdout. Runs until `stop` (stdin's EOF
 * only ends the typing). Returns whether a read of stdin is still pending.
 */
async function talk(emu: Emulator, stop: Promise<string>): Promise<boolean> {
  const terminal = Deno.stdin.isTerminal();
  if (terminal) console.error(TYPED_HELP);
  let view = terminal;
  const enc = new TextEncoder();
  const off = emu.onOutput((line) => {
    if (!view) return;
    const text = describeLine(line);
    // A terminal already shows what was typed.
    if (text === undefined || (terminal && line.startsWith("RECOG_EVENT_STOP|"))) return;
    Deno.stdout.writeSync(enc.encode(text + "\n"));
  });
  const typing = new AbortController();
  let eof = false;
  const fed = feedTyped(emu, Deno.stdin.readable, {
    ready: () => waitForPeer(emu, 24 * 3600_000, stop),
    onLine: () => view = true,
    signal: typing.signal,
  }).then((atEof) => eof = atEof, () => eof = true);
  await stop;
  typing.abort();
  await fed;
  off();
  return !eof;
}

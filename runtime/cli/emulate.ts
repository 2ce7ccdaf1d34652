/**
 * `emulate [mdf]`: run the MMDAgent-EX emulator on the `.mdf`'s Plugin_Remote settings (TCP server
 * mode: it listens where MMDAgent-EX would). Faults are reported on stderr; `--strict` exits 1 at
 * the end when any was seen, `--strict=crash` also simulates their effect.
 */
import type { Command } from "commander";
import { Option } from "commander";
import { dirname, resolve } from "node:path";
import { fail, loggerFor } from "./program.ts";
import { Emulator } from "../emulator/core.ts";
import { serveTcp } from "../emulator/tcp_server.ts";
import { readMdfFile } from "../mdf/read.ts";

interface EmulateOptions {
  strict?: boolean | string;
  voice: boolean;
  bind: string;
  port?: string;
}

/** The few Plugin_Remote values the emulator needs, read with the shared .mdf reader. */
async function remoteSettings(mdf: string | undefined) {
  if (!mdf) return { port: 60001, contentDir: Deno.cwd(), fstFile: undefined, server: true };
  const file = await readMdfFile(mdf);
  const last = new Map(file.entries.map((e) => [e.key, e.value]));
  const on = (k: string) => last.has(k) && last.get(k) !== "false";
  const contentDir = dirname(resolve(mdf));
  const fst = last.get("ContentFile") ?? resolve(mdf).replace(/\.mdf$/, ".fst");
  return {
    port: parseInt(last.get("Plugin_Remote_ListenPort") ?? "60001", 10) || 60001,
    contentDir,
    fstFile: resolve(contentDir, fst),
    server: on("Plugin_Remote_EnableServer") || on("Plugin_Remote_ServerMode"),
  };
}

/** Registers `emulate`. */
export function register(program: Command): void {
  program.command("emulate")
    .description("Stand in for MMDAgent-EX: answer a bot's commands as the real binary does")
    .argument(
      "[mdf]",
      "the content .mdf whose Plugin_Remote settings to take MMDAgent-EX's side of",
    )
    .addOption(
      new Option(
        "--strict [how]",
        "report every input MMDAgent-EX would mishandle; exit 1 at the end",
      )
        .choices(["report", "crash"]),
    )
    .option("--no-voice", "speech commands are echoed only, as on a content without a voice")
    .option("--bind <host>", "interface to listen on (the real binary uses all)", "127.0.0.1")
    .option("--port <port>", "override Plugin_Remote_ListenPort")
    .addHelpText(
      "after",
      `
Examples:
  emulate content/main.mdf            listen where MMDAgent-EX would and answer as it does
  emulate --strict main.mdf           also flag every line that would wedge, hang or crash it
  emulate --strict=crash --no-voice   behave like the voiceless binary, dying where it dies`,
    )
    .action(async (mdf: string | undefined, opts: EmulateOptions) => {
      const log = loggerFor(program).child("emulate");
      const strict = opts.strict !== undefined && opts.strict !== false;
      const settings = await remoteSettings(mdf);
      if (!settings.server && mdf) {
        log.warn("the .mdf does not enable the TCP server; emulating it anyway");
      }
      const emu = new Emulator({
        log,
        voice: opts.voice,
        contentDir: settings.contentDir,
        fstFile: settings.fstFile,
        mode: opts.strict === "crash" ? "crash" : "recover",
      });
      emu.onOutput((line) => log.debug(`→ ${line}`));
      const port = opts.port ? parseInt(opts.port, 10) : settings.port;
      const side = serveTcp(emu, { port, bind: opts.bind, log });
      log.info(`listening on ${opts.bind}:${side.port} as MMDAgent-EX's TCP server`, {
        voice: opts.voice,
        strict: opts.strict ?? false,
      });
      const stop = new Promise<void>((r) => {
        Deno.addSignalListener("SIGINT", () => r());
        emu.onDeath((how) => how === "crash" && r());
      });
      await stop;
      await side.close();
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
      if (emu.status === "dead") fail(1);
    });
}

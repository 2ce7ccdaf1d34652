/**
 * mmdbot's command-line entry point: commander wiring only. Each command is one file in this
 * folder; nothing imports `cli/`.
 */
import { createProgram, type RegisterCommand } from "./program.ts";
import { register as start } from "./start.ts";
import { register as check } from "./check.ts";
import { register as emulate } from "./emulate.ts";
import { register as send } from "./send.ts";
import { register as listen } from "./listen.ts";
import { register as status } from "./status.ts";
import { register as reload } from "./reload.ts";
import { register as stop } from "./stop.ts";
import { register as replay } from "./replay.ts";
import { register as newBot } from "./new.ts";
import { register as demo } from "./demo.ts";
import { register as worker } from "./worker.ts";

const commands: RegisterCommand[] = [
  start,
  check,
  emulate,
  send,
  listen,
  status,
  reload,
  stop,
  replay,
  newBot,
  demo,
  worker,
];

if (import.meta.main) {
  const program = createProgram();
  for (const register of commands) register(program);
  await program.parseAsync(["deno", "mmdbot", ...Deno.args]);
}

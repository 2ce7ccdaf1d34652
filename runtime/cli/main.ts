/**
 * mmdbot's command-line entry point: commander wiring only. Each command is one file in this
 * folder; nothing imports `cli/`.
 */
import { createProgram, type RegisterCommand } from "./program.ts";
import { register as check } from "./check.ts";
import { register as emulate } from "./emulate.ts";

const commands: RegisterCommand[] = [check, emulate];

if (import.meta.main) {
  const program = createProgram();
  for (const register of commands) register(program);
  await program.parseAsync(["deno", "mmdbot", ...Deno.args]);
}

/**
 * Command-level validation toward MMDAgent-EX: refuses the lines that crash or hang the binary
 * (answers.md section 9) and the known commands it would reject silently (echo only, error in its
 * own log), because MMDAgent-EX never tells the peer.
 *
 * First version: crash triggers only; argument shapes follow.
 */
import type { Refusal } from "../wire/types.ts";

/** What the caller knows about the running content, passed in as data (the catalog reads no files). */
export interface CommandContext {
  /** True when the content loaded a main FST at start-up (`<mdf name>.fst` beside the `.mdf`). */
  hasStartupFst: boolean;
  /** Plugin_Variables' list in order of first `VALUE_SET`, when known in full. */
  variables?: readonly string[];
}

/** Splits ARGS as MMDAgent-EX's core does: on `|`, empty fields vanish, at most 10 fields. */
export function splitArgs(args: string): string[] {
  return args.split("|").filter((f) => f !== "").slice(0, 10);
}

/**
 * Checks one command line (TYPE and ARGS, split at the first `|`) before it goes on the wire.
 * Returns a {@link Refusal} when MMDAgent-EX would crash, hang or silently reject it; `undefined`
 * when it may be sent. Unknown types (custom messages such as `MESSAGE|ping`) are allowed.
 *
 * @example
 * validateCommand("TEXTAREA_SET", "ta1|", { hasStartupFst: true })?.code; // "crash-trigger"
 */
export function validateCommand(
  type: string,
  args: string,
  ctx: CommandContext,
): Refusal | undefined {
  const f = splitArgs(args);
  switch (type) {
    case "TEXTAREA_SET":
      if (f.length < 2) {
        return {
          code: "crash-trigger",
          reason: "TEXTAREA_SET with an empty or missing text crashes MMDAgent-EX (SIGSEGV)",
          fix: "send a single space as the text: TEXTAREA_SET|alias| ",
        };
      }
      return undefined;
    case "FST_LOAD":
    case "SUBFST_START":
    case "SUBFST_START_IF":
      if (!ctx.hasStartupFst) {
        return {
          code: "crash-trigger",
          reason: `${type} crashes MMDAgent-EX when its content loaded no FST at start-up`,
          fix:
            "ship `<mdf name>.fst` beside the .mdf (or set ContentFile) so an FST loads at start-up",
        };
      }
      return undefined;
    case "BUTTON_ADD": {
      const action = f[4];
      if (action !== undefined && !/^(open|play|message|setkeyvalue),/.test(action)) {
        return {
          code: "crash-trigger",
          reason: `BUTTON_ADD action "${action}" lacks a known prefix; MMDAgent-EX crashes`,
          fix: "start the action with open, play, message, or setkeyvalue, e.g. message,TYPE|args",
        };
      }
      return undefined;
    }
    case "VALUE_UNSET": {
      const vars = ctx.variables;
      const name = args;
      if (!vars || (vars[0] !== name && vars[vars.length - 1] !== name)) {
        return {
          code: "crash-trigger",
          reason: "VALUE_UNSET of a variable in the middle of Plugin_Variables' list hangs " +
            "MMDAgent-EX at the next lookup",
          fix: "overwrite the variable with VALUE_SET instead of unsetting it",
        };
      }
      return undefined;
    }
  }
  return undefined;
}

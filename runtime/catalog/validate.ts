/**
 * Command-level validation toward MMDAgent-EX. It refuses:
 * - the single clean lines that crash or hang the binary (answers.md section 9), code
 *   `crash-trigger`;
 * - known catalog commands the binary would reject silently (echo only, error in its own log):
 *   wrong field count after its split (empty fields vanish, at most 10 fields), vectors with too
 *   few components, words outside a fixed set, a non-positive timer. Code `bad-arguments`;
 * - commands its core drops when a peer sends them, code `ignored-command`;
 * and looks inside the messages a line makes MMDAgent-EX issue later (`nested.ts`).
 *
 * Unknown types (custom messages such as `MESSAGE|ping`) and catalog events (how tools inject user
 * speech, `RECOG_EVENT_STOP|hi`) are allowed as they are. `__AV…`/`SND…` wire lines are the wire
 * room's: it unwraps `__AV_MESSAGE,` and passes the inner message here.
 *
 * @module
 */
import type { Refusal } from "../errors/refusal.ts";
import { commandForm } from "./forms.ts";
import { BUTTON_ACTION_PREFIXES, nestedMessages } from "./nested.ts";
import { DROPPED_FROM_PEERS } from "./overrides.ts";
import { checkField, type Shape } from "./rules.ts";
import { allFields, MAX_FIELDS } from "./syntax.ts";

export { splitArgs } from "./syntax.ts";

/** What the caller knows about the running content, passed in as data (the catalog reads no files). */
export interface CommandContext {
  /** True when the content loads a main FST at start-up (`<mdf name>.fst` beside the `.mdf`). */
  hasStartupFst: boolean;
  /**
   * Plugin_Variables' list in order of each name's first `VALUE_SET` by anyone, when known in full.
   * Absent = unknown, and `VALUE_UNSET` is refused.
   */
  variables?: readonly string[];
}

/** Codes this module returns in {@link Refusal.code}. */
export const REFUSAL_CODES = ["crash-trigger", "bad-arguments", "ignored-command"] as const;

function crashTrigger(type: string, f: readonly string[], args: string, ctx: CommandContext) {
  switch (type) {
    case "TEXTAREA_SET":
      if (f.length === 1) {
        return {
          code: "crash-trigger",
          reason: `TEXTAREA_SET|${f[0]} has an empty or missing text: MMDAgent-EX crashes ` +
            "(SIGSEGV in TextArea::setText) right after the echo",
          fix: `send a single space to clear the text: TEXTAREA_SET|${f[0]}| `,
        };
      }
      return undefined;
    case "FST_LOAD":
    case "SUBFST_START":
    case "SUBFST_START_IF":
      if (!ctx.hasStartupFst) {
        return {
          code: "crash-trigger",
          reason: `${type} crashes MMDAgent-EX when its content loaded no FST at start-up ` +
            "(NULL pointer in VIManager_Thread), and this content is not known to have one",
          fix: "ship `<mdf name>.fst` beside the .mdf (or set ContentFile) so an FST loads at " +
            "start-up, then restart MMDAgent-EX",
        };
      }
      return undefined;
    case "BUTTON_ADD": {
      const action = f[4];
      if (action !== undefined && !BUTTON_ACTION_PREFIXES.some((p) => action.startsWith(p))) {
        return {
          code: "crash-trigger",
          reason: `BUTTON_ADD action "${action}" does not start with open, play, message, or ` +
            "setkeyvalue, (lower case, comma included): MMDAgent-EX crashes right after " +
            "BUTTON_EVENT_ADD",
          fix: `to send a message when clicked, write the action as message,TYPE|args ` +
            `(e.g. message,${action.replace(/^[^,]*,/, "") || "MESSAGE"})`,
        };
      }
      return undefined;
    }
    case "VALUE_UNSET": {
      const vars = ctx.variables;
      const name = args;
      if (name === "" || f.length === 0) return undefined; // no name: a plain argument error
      if (!vars || (vars[0] !== name && vars[vars.length - 1] !== name)) {
        return {
          code: "crash-trigger",
          reason: `VALUE_UNSET|${name}: unsetting a variable that is not the first or last of ` +
            "Plugin_Variables' list makes the next VALUE_* lookup hang MMDAgent-EX " +
            (vars ? `(${name} is not first or last of ${vars.length} known variables)` : "(the " +
              "list is not known)"),
          fix: `overwrite the variable instead, e.g. VALUE_SET|${name}|0 (any value your logic ` +
            "treats as unset)",
        };
      }
      return undefined;
    }
  }
  return undefined;
}

function countText(shapes: readonly Shape[]): string {
  const parts = shapes.map((s) =>
    s.min === s.max ? `${s.min}` : s.max === Infinity ? `${s.min} or more` : `${s.min}-${s.max}`
  );
  return `${parts.join(" or ")} field${parts.length === 1 && parts[0] === "1" ? "" : "s"}`;
}

function badArgs(
  type: string,
  problem: string,
  shapes: readonly Shape[],
  example: string,
): Refusal {
  return {
    code: "bad-arguments",
    reason:
      `${type}: ${problem}. MMDAgent-EX would ignore this line (echo only, error in its own ` +
      "log) and never tell the sender",
    fix: `send ${shapes.map((s) => s.usage).join(" or ")}, e.g. ${example}`,
  };
}

/**
 * Checks one command line (TYPE and ARGS, split at the first `|`) before it goes toward
 * MMDAgent-EX. Returns a {@link Refusal} when the binary would crash, hang or silently ignore it,
 * `undefined` when it may be sent. Recurses into nested menu-item and button messages.
 *
 * @example
 * validateCommand("TEXTAREA_SET", "ta1|", { hasStartupFst: true })?.code; // "crash-trigger"
 * validateCommand("CAMERA", "1,2,3|0,0,0", { hasStartupFst: true })?.code; // "bad-arguments"
 * validateCommand("MESSAGE", "ping", { hasStartupFst: false }); // undefined
 */
export function validateCommand(
  type: string,
  args: string,
  ctx: CommandContext,
): Refusal | undefined {
  return validateAt(type, args, ctx, 0);
}

function validateAt(
  type: string,
  args: string,
  ctx: CommandContext,
  depth: number,
): Refusal | undefined {
  const form = commandForm(type);
  if (Object.hasOwn(DROPPED_FROM_PEERS, type)) {
    return {
      code: "ignored-command",
      reason: `${DROPPED_FROM_PEERS[type]}; it would have no effect`,
      fix: "remove the line; recording can only be started by MMDAgent-EX itself",
    };
  }
  if (!form) return undefined;
  const all = allFields(args);
  const f = all.slice(0, MAX_FIELDS);
  const crash = crashTrigger(type, f, args, ctx);
  if (crash) return crash;

  const shapesAll = form.shapes;
  if (form.wholeArgsName) {
    if (all.length === 0) return badArgs(type, "the name is missing", shapesAll, form.example);
  } else {
    if (all.length > MAX_FIELDS) {
      return badArgs(
        type,
        `${all.length} fields; MMDAgent-EX keeps only the first ${MAX_FIELDS}`,
        shapesAll,
        form.example,
      );
    }
    const picked = shapesAll.filter((s) => !s.when || s.when(f));
    const candidates = picked.length > 0 ? picked : shapesAll;
    const fitting = candidates.filter((s) => f.length >= s.min && f.length <= s.max);
    if (fitting.length === 0) {
      const got = f.length === 0 ? "none" : `${f.length}`;
      return badArgs(
        type,
        `takes ${countText(candidates)} (empty fields do not count), got ${got}`,
        candidates,
        form.example,
      );
    }
    let first: string | undefined;
    const ok = fitting.some((s) => {
      for (let i = 0; i < f.length; i++) {
        const problem = checkField(s.fields[i], f[i]);
        if (problem) {
          first ??= `field ${i + 1} ${problem}`;
          return false;
        }
      }
      return true;
    });
    if (!ok) return badArgs(type, first!, fitting, form.example);
  }

  if (depth < 4) {
    for (const n of nestedMessages(type, args)) {
      if (n.validate === false) continue;
      const inner = validateAt(n.type, n.args, ctx, depth + 1);
      if (inner) {
        return {
          ...inner,
          reason: `${n.via} would make MMDAgent-EX issue ${n.type}: ${inner.reason}`,
        };
      }
    }
  }
  return undefined;
}

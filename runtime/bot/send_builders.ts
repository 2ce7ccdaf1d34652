/**
 * `ctx.send`: `send(type, ...fields)` and the typed builders, turned into lines. Fields that
 * MMDAgent-EX would silently reshape (an empty field shifts the rest, a `|` splits it) are refused
 * here, before the line leaves the bot; everything else is the host's to check.
 */
import type { Refusal } from "../wire/types.ts";
import type { MotionOptions, Send, SendResult } from "./define.ts";
import { CATALOG } from "../catalog/messages.gen.ts";

/**
 * Builds `ctx.send` over `line` (sends one checked line) and `refuse` (a send refused in the bot).
 */
export function createSend(
  line: (text: string) => Promise<SendResult>,
  refuse: (refusal: Refusal) => Promise<SendResult>,
): Send {
  const send = ((type: string, ...fields: (string | number)[]) => {
    const bad = checkFields(type, fields);
    if (bad) return refuse(bad);
    return line(fields.length === 0 ? type : `${type}|${fields.join("|")}`);
  }) as Send;
  send.synthStart = (model, voice, text) => send("SYNTH_START", model, voice, text);
  send.synthStop = (model) => send("SYNTH_STOP", model);
  send.motionAdd = (model, motion, file, o?: MotionOptions) =>
    send("MOTION_ADD", model, motion, file, ...motionFields(o));
  send.motionDelete = (model, motion) => send("MOTION_DELETE", model, motion);
  send.modelAdd = (alias, file) => send("MODEL_ADD", alias, file);
  send.modelDelete = (alias) => send("MODEL_DELETE", alias);
  send.textareaSet = (alias, text) => send("TEXTAREA_SET", alias, text);
  send.timerStart = (timer, seconds) => send("TIMER_START", timer, seconds);
  send.timerStop = (timer) => send("TIMER_STOP", timer);
  send.valueSet = (key, value) => send("VALUE_SET", key, value);
  send.stage = (file) => send("STAGE", file);
  send.command = (type, args) => {
    const fields = namedFields(type, args as Record<string, unknown>);
    return "code" in fields ? refuse(fields) : send(type, ...fields.list);
  };
  return send;
}

/**
 * Puts a command's named fields in the catalog's wire order. A gap (an optional field left out
 * before a given one) is refused: MMDAgent-EX reads fields by position, so the later value would
 * land in the missing one's place.
 */
function namedFields(
  type: string,
  args: Record<string, unknown>,
): { list: (string | number)[] } | Refusal {
  const entry = Object.hasOwn(CATALOG, type) ? CATALOG[type as keyof typeof CATALOG] : undefined;
  if (!entry || entry.direction !== "command" || type.startsWith("__") || type.startsWith("SND")) {
    return {
      code: "bad-type",
      reason: `${JSON.stringify(type)} is not a |-separated catalog command`,
      fix: "send it with ctx.send(type, ...fields) or ctx.sendRaw(line)",
    };
  }
  const known = new Set(entry.args.map((a) => a.field));
  const unknown = Object.keys(args ?? {}).filter((k) => !known.has(k) && args[k] !== undefined);
  if (unknown.length > 0) {
    return {
      code: "bad-arguments",
      reason: `${type} has no field ${unknown.map((k) => JSON.stringify(k)).join(", ")}`,
      fix: `its fields are ${entry.args.map((a) => a.field).join(", ") || "none"}`,
    };
  }
  const list: (string | number)[] = [];
  let missing: string | undefined;
  for (const arg of entry.args) {
    const value = args?.[arg.field];
    if (value === undefined) {
      if (!arg.optional) {
        return {
          code: "bad-arguments",
          reason: `${type} needs its field ${arg.field}`,
          fix: `give ${arg.field} a value`,
        };
      }
      missing ??= arg.field;
      continue;
    }
    if (missing !== undefined) {
      return {
        code: "bad-arguments",
        reason: `${type}: ${arg.field} is given but ${missing} before it is not`,
        fix: `give ${missing} too (fields are read by position)`,
      };
    }
    if (Array.isArray(value) && arg.variadic) list.push(...value.map(String));
    else list.push(typeof value === "number" ? value : String(value));
  }
  return { list };
}

function motionFields(o: MotionOptions | undefined): (string | number)[] {
  if (!o) return [];
  const all = [
    o.part ?? "FULL",
    o.repeat ?? "ONCE",
    o.smooth ?? "ON",
    o.reposition ?? "OFF",
    o.priority ?? 0,
  ];
  // Trailing defaults are left out, so the line stays as short as MMDAgent-EX allows.
  const given = [o.part, o.repeat, o.smooth, o.reposition, o.priority];
  let last = -1;
  given.forEach((v, i) => {
    if (v !== undefined) last = i;
  });
  return all.slice(0, last + 1);
}

/** Refuses fields MMDAgent-EX would silently reshape, before the line leaves the bot. */
function checkFields(type: string, fields: readonly (string | number)[]): Refusal | undefined {
  if (typeof type !== "string" || type === "" || /[|\r\n]/.test(type)) {
    return {
      code: "bad-type",
      reason: `message type ${JSON.stringify(type)} is empty or contains "|", CR or LF`,
      fix: 'pass the type alone, e.g. send("SYNTH_START", model, voice, text)',
    };
  }
  for (let i = 0; i < fields.length; i++) {
    const f = String(fields[i]);
    if (f === "") {
      return {
        code: "empty-field",
        reason: `field ${
          i + 1
        } of ${type} is empty; MMDAgent-EX drops empty fields and shifts the rest`,
        fix: "give it a value (a single space for an empty text)",
      };
    }
    if (/[|\r\n\0]/.test(f)) {
      return {
        code: "field-separator",
        reason: `field ${i + 1} of ${type} contains "|", CR, LF or NUL, which would split the line`,
        fix: 'remove or replace those characters (e.g. text.replace(/[|\\r\\n\\0]/g, " "))',
      };
    }
  }
  return undefined;
}

/**
 * `ctx.send`: `send(type, ...fields)` and the typed builders, turned into lines. Fields that
 * MMDAgent-EX would silently reshape (an empty field shifts the rest, a `|` splits it) are refused
 * here, before the line leaves the bot; everything else is the host's to check.
 */
import type { Refusal } from "../wire/types.ts";
import type { MotionOptions, Send, SendResult } from "./define.ts";

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
  return send;
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

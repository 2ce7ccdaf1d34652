/**
 * Plugin_TextArea (answers.md section 4). `TEXTAREA_SET` with an empty text on an existing text
 * area crashes the real binary (NULL text pointer in `TextArea::setText`, section 9).
 */
import { type EmuContext, type Family, parseVec } from "./context.ts";

/** The text-area family; `areas` holds the aliases that exist. */
export function textareaFamily(areas: Set<string>): Family {
  const on = (ctx: EmuContext) => ctx.pluginEnabled("TextArea");
  return {
    name: "TextArea",
    handlers: {
      TEXTAREA_ADD(ctx, msg) {
        const f = msg.fields;
        if (!on(ctx) || f.length < 6 || f.length > 9 || areas.has(f[0])) return;
        if (!parseVec(f[1], 2) || !parseVec(f[2], 3) || !parseVec(f[3], 4)) return;
        if (!parseVec(f[4], 4) || !parseVec(f[5], 3)) return;
        if (f[6] !== undefined && !parseVec(f[6], 3)) return;
        areas.add(f[0]);
        ctx.issue("TEXTAREA_EVENT_ADD", f[0]);
      },
      TEXTAREA_SET(ctx, msg) {
        const f = msg.fields;
        if (!on(ctx) || f.length < 1 || !areas.has(f[0])) return;
        if (f.length < 2) {
          const simulate = ctx.fault(
            "crash",
            `TEXTAREA_SET|${msg.args ?? ""}`,
            `TEXTAREA_SET of text area "${
              f[0]
            }" with an empty text: MMDAgent-EX dies with SIGSEGV ` +
              "in TextArea::setText right after the echo. Send a single space to clear the text",
          );
          if (simulate) ctx.die("crash", 12);
          return;
        }
        ctx.issue("TEXTAREA_EVENT_SET", f[0]);
      },
      TEXTAREA_DELETE(ctx, msg) {
        const a = msg.fields[0];
        if (!on(ctx) || a === undefined || !areas.delete(a)) return;
        ctx.issue("TEXTAREA_EVENT_DELETE", a);
      },
    },
  };
}

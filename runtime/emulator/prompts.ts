/**
 * Prompts, notices and info text (answers.md section 4). `PROMPT_SHOW` is echoed only until a user
 * picks an item; a scenario plays the user ({@link selectPrompt}). `INFOTEXT_*` answer
 * `INFOTEXT_EVENT_SHOW` with no arguments.
 */
import type { EmuContext, Family } from "./context.ts";

/** The prompt on screen, if any. */
export interface PromptState {
  current?: { text: string; items: string[] };
}

/** The user picks item `index` of the prompt on screen (-1 closes it). False when none is shown. */
export function selectPrompt(ctx: EmuContext, st: PromptState, index: number): boolean {
  if (!st.current) return false;
  st.current = undefined;
  ctx.issue("PROMPT_EVENT_SELECTED", String(index));
  return true;
}

/** The prompts family. */
export function promptsFamily(st: PromptState): Family {
  return {
    name: "Prompts",
    handlers: {
      PROMPT_SHOW(_ctx, msg) {
        const [text, ...items] = msg.fields;
        if (text === undefined) return;
        st.current = { text, items }; // a replaced prompt gets no PROMPT_EVENT_SELECTED|-1
      },
      INFOTEXT_STRING(ctx, msg) {
        if (msg.fields.length >= 3) ctx.issue("INFOTEXT_EVENT_SHOW");
      },
      INFOTEXT_FILE(ctx, msg) {
        if (msg.fields.length >= 3) ctx.issue("INFOTEXT_EVENT_SHOW");
      },
    },
  };
}

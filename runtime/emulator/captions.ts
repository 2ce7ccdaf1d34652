/**
 * Captions (answers.md section 4): styles, and captions whose duration is given in frames at
 * 30 fps (`…|60` → CAPTION_EVENT_STOP 2.0 s later).
 */
import { atof, type Family, FPS, isNumber, parseVec } from "./context.ts";
import type { TimerId } from "../clock/clock.ts";

/** Caption styles and shown captions. */
export interface CaptionsState {
  styles: Set<string>;
  shown: Map<string, TimerId>;
}

/** Fresh state; the built-in `_default` style always exists. */
export function newCaptionsState(): CaptionsState {
  return { styles: new Set(["_default"]), shown: new Map() };
}

/** The captions family. */
export function captionsFamily(st: CaptionsState): Family {
  return {
    name: "Captions",
    handlers: {
      CAPTION_SETSTYLE(ctx, msg) {
        const f = msg.fields;
        if (f.length < 3 || f.length > 6) return;
        if (!parseVec(f[2], 4)) return;
        if (f[3] !== undefined && !parseVec(f[3], 5)) return;
        if (f[4] !== undefined && !parseVec(f[4], 5)) return;
        if (f[5] !== undefined && !parseVec(f[5], 4)) return;
        st.styles.add(f[0]);
        ctx.issue("CAPTION_EVENT_SETSTYLE", f[0]);
      },
      CAPTION_START(ctx, msg) {
        const f = msg.fields;
        if (f.length !== 7 || !st.styles.has(f[1])) return;
        if (f[4] !== "CENTER" && f[4] !== "LEFT" && f[4] !== "RIGHT") return;
        if (!isNumber(f[3]) || !isNumber(f[5]) || !isNumber(f[6])) return;
        const alias = f[0];
        ctx.cancel(st.shown.get(alias));
        ctx.issue("CAPTION_EVENT_START", alias);
        const ms = (atof(f[6]) / FPS) * 1000;
        st.shown.set(
          alias,
          ctx.later(ms, () => {
            st.shown.delete(alias);
            ctx.issue("CAPTION_EVENT_STOP", alias);
          }),
        );
      },
      CAPTION_STOP(ctx, msg) {
        const alias = msg.fields[0];
        if (alias === undefined || !st.shown.has(alias)) return;
        ctx.cancel(st.shown.get(alias));
        st.shown.delete(alias);
        ctx.issue("CAPTION_EVENT_STOP", alias);
      },
    },
  };
}

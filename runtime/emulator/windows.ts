/**
 * Window frames and overlays (answers.md section 4). `WINDOWFRAME` itself, `*_DELETEALL`, stage,
 * camera, light, transparency and skinning threads have no event at all.
 */
import type { Family } from "./context.ts";

/** Frames and overlays that exist. */
export interface WindowsState {
  frames: Set<string>;
  overlays: Set<string>;
}

/** Fresh state. */
export function newWindowsState(): WindowsState {
  return { frames: new Set(), overlays: new Set() };
}

/** The windows family. */
export function windowsFamily(st: WindowsState): Family {
  return {
    name: "Windows",
    handlers: {
      WINDOWFRAME_ADD(ctx, msg) {
        const [alias, file] = msg.fields;
        if (msg.fields.length !== 2 || !ctx.exists(file)) return;
        st.frames.add(alias);
        ctx.issue("WINDOWFRAME_EVENT_ADD", alias);
      },
      WINDOWFRAME_DELETE(ctx, msg) {
        const a = msg.fields[0];
        if (a !== undefined && st.frames.delete(a)) ctx.issue("WINDOWFRAME_EVENT_DELETE", a);
      },
      WINDOWFRAME_DELETEALL() {
        st.frames.clear();
      },
      WINDOWOVERLAY_ADD(ctx, msg) {
        const f = msg.fields;
        if (f.length !== 6 || !ctx.exists(f[1])) return;
        st.overlays.add(f[0]);
        ctx.issue("WINDOWOVERLAY_EVENT_ADD", f[0]);
      },
      WINDOWOVERLAY_HIDE(ctx, msg) {
        const a = msg.fields[0];
        if (a !== undefined && st.overlays.has(a)) ctx.issue("WINDOWOVERLAY_EVENT_HIDE", a);
      },
      WINDOWOVERLAY_SHOW(ctx, msg) {
        const a = msg.fields[0];
        if (a !== undefined && st.overlays.has(a)) ctx.issue("WINDOWOVERLAY_EVENT_SHOW", a);
      },
      WINDOWOVERLAY_DELETE(ctx, msg) {
        const a = msg.fields[0];
        if (a !== undefined && st.overlays.delete(a)) ctx.issue("WINDOWOVERLAY_EVENT_DELETE", a);
      },
      WINDOWOVERLAY_DELETEALL() {
        st.overlays.clear();
      },
    },
  };
}

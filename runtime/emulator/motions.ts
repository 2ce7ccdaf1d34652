/**
 * Motions (answers.md section 3): MOTION_ADD/CHANGE/DELETE/RESET/ACCELERATE/CONFIGURE. A ONCE motion
 * ends after its length, read from the VMD file's keyframes, with MOTION_EVENT_DELETE; a LOOP one
 * never ends by itself. Missing or unreadable files give the echo only.
 */
import { type EmuContext, type Family, FPS } from "./context.ts";
import { vmdLastFrame } from "./vmd.ts";

/** Frame-loop delays measured on the real binary (relative to the echo). */
export const MOTION_DELAYS = {
  /** A ONCE motion ends at lastFrame / 30 s plus this (10 frames → +0.47 s, 300 → +10.0 s). */
  endLag: 100,
  /** MOTION_DELETE → MOTION_EVENT_DELETE (~0.55 s). */
  delete: 530,
  /** MOTION_ACCELERATE → MOTION_EVENT_ACCELERATE (+0.42-0.5 s). */
  accelerate: 450,
};

const CONFIGURE_LABELS = new Set([
  "MODE_FOREGROUND",
  "MODE_BACKGROUND",
  "MODE_REPLACE",
  "MODE_ADD",
  "BLEND_RATE",
  "ENABLE_SMOOTH",
  "DISABLE_SMOOTH",
  "ENABLE_REPOS",
  "DISABLE_REPOS",
]);

/** Length in ms of a ONCE motion file, or undefined when it cannot be loaded. */
export function motionLengthMs(ctx: EmuContext, file: string): number | undefined {
  const bytes = ctx.readBytes(file);
  if (!bytes) return undefined;
  const last = vmdLastFrame(bytes);
  return last === undefined ? undefined : (last / FPS) * 1000 + MOTION_DELAYS.endLag;
}

/** Starts (or swaps) a motion; returns false when MMDAgent-EX would reject it (echo only). */
export function addMotion(
  ctx: EmuContext,
  model: string,
  alias: string,
  file: string,
  loop: boolean,
): boolean {
  const m = ctx.shared.models.get(model);
  if (!m) return false;
  const length = motionLengthMs(ctx, file);
  if (length === undefined) return false;
  const old = m.motions.get(alias);
  if (old) ctx.cancel(old.timer); // swapped, with no DELETE for the old one (observed)
  const st: { file: string; loop: boolean; timer?: number } = { file, loop };
  if (!loop) {
    st.timer = ctx.later(length, () => {
      if (m.motions.get(alias) !== st || ctx.shared.models.get(model) !== m) return;
      m.motions.delete(alias);
      ctx.issue("MOTION_EVENT_DELETE", `${model}|${alias}`);
    });
  }
  m.motions.set(alias, st);
  ctx.issue("MOTION_EVENT_ADD", `${model}|${alias}`);
  return true;
}

/** Deletes a playing motion through the frame loop; false when it is not playing. */
export function deleteMotion(ctx: EmuContext, model: string, alias: string): boolean {
  const m = ctx.shared.models.get(model);
  const st = m?.motions.get(alias);
  if (!m || !st) return false;
  ctx.cancel(st.timer);
  st.timer = ctx.later(MOTION_DELAYS.delete, () => {
    if (m.motions.get(alias) !== st) return;
    m.motions.delete(alias);
    ctx.issue("MOTION_EVENT_DELETE", `${model}|${alias}`);
  });
  return true;
}

/** The motions family. */
export function motionsFamily(): Family {
  const playing = (ctx: EmuContext, f: string[]) =>
    f.length >= 2 ? ctx.shared.models.get(f[0])?.motions.get(f[1]) : undefined;
  return {
    name: "Motions",
    handlers: {
      MOTION_ADD(ctx, msg) {
        const f = msg.fields;
        if (f.length < 3 || f.length > 8) return;
        if (f[3] !== undefined && f[3] !== "FULL" && f[3] !== "PART") return;
        if (f[4] !== undefined && f[4] !== "ONCE" && f[4] !== "LOOP") return;
        addMotion(ctx, f[0], f[1], f[2], f[4] === "LOOP");
      },
      MOTION_CHANGE(ctx, msg) {
        const f = msg.fields;
        const st = playing(ctx, f);
        if (f.length !== 3 || !st) return;
        const length = motionLengthMs(ctx, f[2]);
        if (length === undefined) return;
        st.file = f[2];
        if (!st.loop) {
          ctx.cancel(st.timer);
          const m = ctx.shared.models.get(f[0])!;
          st.timer = ctx.later(length, () => {
            if (m.motions.get(f[1]) !== st) return;
            m.motions.delete(f[1]);
            ctx.issue("MOTION_EVENT_DELETE", `${f[0]}|${f[1]}`);
          });
        }
        ctx.issue("MOTION_EVENT_CHANGE", `${f[0]}|${f[1]}`);
      },
      MOTION_RESET(ctx, msg) {
        if (playing(ctx, msg.fields)) {
          ctx.issue("MOTION_EVENT_RESET", `${msg.fields[0]}|${msg.fields[1]}`);
        }
      },
      MOTION_ACCELERATE(ctx, msg) {
        const f = msg.fields;
        if (f.length < 3 || f.length > 5 || !playing(ctx, f)) return;
        ctx.later(MOTION_DELAYS.accelerate, () => {
          if (playing(ctx, f)) ctx.issue("MOTION_EVENT_ACCELERATE", `${f[0]}|${f[1]}`);
        });
      },
      MOTION_CONFIGURE(ctx, msg) {
        const f = msg.fields;
        if (f.length < 3 || !CONFIGURE_LABELS.has(f[2]) || !playing(ctx, f)) return;
        if (f[2] === "BLEND_RATE" && f[3] === undefined) return;
        ctx.issue("MOTION_EVENT_CONFIGURE", `${f[0]}|${f[1]}`);
      },
      MOTION_DELETE(ctx, msg) {
        if (msg.fields.length >= 2) deleteMotion(ctx, msg.fields[0], msg.fields[1]);
      },
    },
  };
}

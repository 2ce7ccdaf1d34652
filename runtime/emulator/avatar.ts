/**
 * Plugin_Remote's per-connection avatar controller (answers.md section 6): `__AV_START`/`__AV_END`
 * → `AVATAR|START`/`AVATAR|END` every time, `__AV_SETMODEL`, `__AV_ACTION,n` through the model's
 * `.shapemap` (`ACT<n> <motion file>`), and `AVATAR_CONTROL`. The other `__AV*` lines are accepted
 * silently. None of them is ever echoed.
 */
import type { EmuContext, Family } from "./context.ts";

/** AVATAR_CONTROL|DISABLE → AVATAR_EVENT_CONTROL|DISABLED after the 25-frame fade (+0.83 s). */
export const AVATAR_DISABLE_DELAY = 830;

/** Reads `<model file>.shapemap` into a map (`NAME value` lines, `#` comments). */
export function readShapemap(ctx: EmuContext, modelFile: string): Map<string, string> {
  const out = new Map<string, string>();
  const bytes = ctx.readBytes(`${modelFile}.shapemap`);
  if (!bytes) return out;
  for (const raw of new TextDecoder().decode(bytes).split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [k, ...rest] = line.split(/\s+/);
    if (rest.length) out.set(k, rest.join(" "));
  }
  return out;
}

/** Handles one `__AV…` line from connection `conn`. */
export function avatarLine(ctx: EmuContext, conn: number, line: string): void {
  const fields = line.split(/[,\r\n]/).filter((f) => f !== "");
  const cmd = fields[0];
  let av = ctx.shared.avatars.get(conn);
  if (!av) {
    av = { enabled: false, actions: 0 };
    ctx.shared.avatars.set(conn, av);
  }
  switch (cmd) {
    case "__AV_START":
      av.enabled = true;
      ctx.issue("AVATAR", "START");
      return;
    case "__AV_END":
      av.enabled = false;
      ctx.issue("AVATAR", "END");
      return;
    case "__AV_SETMODEL":
      if (fields.length === 2) av.model = fields[1];
      return;
    case "__AV_ACTION": {
      const m = av.model !== undefined ? ctx.shared.models.get(av.model) : undefined;
      if (!m || fields[1] === undefined) return;
      const file = readShapemap(ctx, m.file).get(`ACT${parseInt(fields[1], 10)}`);
      if (!file) return;
      const path = file.startsWith("/") || file.startsWith("./") ? file : `./${file}`;
      const alias = `__action${av.actions++}`;
      ctx.issue("MOTION_ADD", `${m.alias}|${alias}|${path}|PART|ONCE|ON|OFF`);
      if (av.lastAction && m.motions.has(av.lastAction)) {
        ctx.issue("MOTION_DELETE", `${m.alias}|${av.lastAction}`);
      }
      av.lastAction = alias;
      return;
    }
    default:
      return; // EXMORPH, TRACK, ARKIT, AU, EXBONE, RECALIBRATE, AVCONF_*, unknown: nothing
  }
}

/** AVATAR_CONTROL (handled by Plugin_Remote for every avatar controller). */
export function avatarFamily(): Family {
  return {
    name: "Avatar",
    handlers: {
      AVATAR_CONTROL(ctx, msg) {
        if (msg.args === "DISABLE") {
          ctx.issue("AVATAR", "END");
          ctx.later(AVATAR_DISABLE_DELAY, () => ctx.issue("AVATAR_EVENT_CONTROL", "DISABLED"));
        } else if (msg.args === "ENABLE") {
          ctx.issue("AVATAR", "START");
          ctx.issue("AVATAR_EVENT_CONTROL", "ENABLED");
        }
      },
    },
  };
}

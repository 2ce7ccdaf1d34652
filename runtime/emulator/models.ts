/**
 * Models (answers.md section 3): MODEL_ADD/CHANGE/DELETE with their `.loadmessage` and
 * `.deletemessage` lines issued as commands, MOVE/TURN/ROTATE, LIPSYNC, face and bone bindings.
 * A model file that exists and carries a PMD (`Pmd`) or PMX (`PMX `) signature "loads" without
 * being rendered; a missing file or a bad one gives the echo only, as on the real binary.
 */
import {
  atof,
  type EmuContext,
  type Family,
  isNumber,
  type ModelState,
  parseVec,
} from "./context.ts";
import { splitTypeArgs } from "./parser.ts";

/** Delays measured on the real binary with the Gene model (software rendering, so frames are slow). */
export const MODEL_DELAYS = {
  /** MODEL_ADD → MODEL_EVENT_ADD and the `.loadmessage` burst (+0.63 s after the send). */
  add: 600,
  /** MODEL_CHANGE → the burst (+0.75 s). */
  change: 730,
  /** MODEL_CHANGE_ASYNC → the burst (+1.17 s). */
  changeAsync: 1150,
  /** MODEL_DELETE → its events (+0.6 s). */
  delete: 580,
  /** MODEL_ADD with a rotation → ROTATE_EVENT_STOP with no START (+43 s). */
  addRotation: 43000,
  /** LIPSYNC_START → LIPSYNC_EVENT_STOP: the sequence length plus this (500 ms sequence → +1.1 s). */
  lipsyncTail: 580,
  /** LIPSYNC_STOP → LIPSYNC_EVENT_STOP (frame loop, +0.64 s after the echo). */
  lipsyncStop: 620,
  /** Frame-loop lag added to a MOVE/TURN/ROTATE arrival. */
  arrivalLag: 160,
};

/**
 * Default speeds when MOVE/TURN/ROTATE give none, derived from the observed run (a move back to the
 * origin took ~40 s; a 30° rotation at MODEL_ADD ended after 43 s). Units per second / degrees per
 * second.
 */
export const DEFAULT_SPEED = { MOVE: 0.075, TURN: 0.7, ROTATE: 0.7 };

/** Whether the file looks like a model MMDAgent-EX can load. */
export function loadableModel(bytes: Uint8Array | undefined): boolean {
  if (!bytes || bytes.length < 4) return false;
  const sig = new TextDecoder("latin1").decode(bytes.subarray(0, 4));
  return sig.startsWith("Pmd") || sig === "PMX ";
}

/** Issues each line of `<model file>.<suffix>` as a command, as MMDAgent-EX does. */
export function issueMessageFile(ctx: EmuContext, modelFile: string, suffix: string): void {
  const bytes = ctx.readBytes(`${modelFile}.${suffix}`);
  if (!bytes) return;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a || bytes[i] === 0x0d) {
      const line = bytes.subarray(start, i);
      start = i + 1;
      if (line.length === 0 || line[0] === 0x23 /* # */) continue;
      const { type, args } = splitTypeArgs(line);
      if (type !== "") ctx.issue(type, args);
    }
  }
}

function newModel(alias: string, file: string, parent?: string): ModelState {
  return {
    alias,
    file,
    parent,
    motions: new Map(),
    hadLipsync: false,
    speakAvatar: false,
    moving: {},
    position: [0, 0, 0],
    rotation: [0, 0, 0],
  };
}

/** Removes a model and its children with the events the binary sends, in its order. */
export function deleteModel(ctx: EmuContext, alias: string): void {
  const models = ctx.shared.models;
  const m = models.get(alias);
  if (!m) return;
  for (const child of [...models.values()]) {
    if (child.parent === alias) deleteModel(ctx, child.alias);
  }
  for (const [motion, st] of m.motions) {
    ctx.cancel(st.timer);
    ctx.issue("MOTION_EVENT_DELETE", `${alias}|${motion}`);
  }
  m.motions.clear();
  for (const t of Object.values(m.moving)) ctx.cancel(t);
  ctx.cancel(m.lipsyncTimer);
  if (m.hadLipsync) ctx.issue("LIPSYNC_EVENT_STOP", alias);
  issueMessageFile(ctx, m.file, "deletemessage");
  models.delete(alias);
  ctx.issue("MODEL_EVENT_DELETE", alias);
}

function startTransform(
  ctx: EmuContext,
  kind: "MOVE" | "TURN" | "ROTATE",
  fields: string[],
): void {
  const [alias, vecText, coord, speedText] = fields;
  const m = ctx.shared.models.get(alias ?? "");
  const v = parseVec(vecText, 3);
  if (!m || !v) return;
  const speed = speedText !== undefined && atof(speedText) > 0
    ? atof(speedText)
    : DEFAULT_SPEED[kind];
  const local = coord === "LOCAL";
  let amount: number;
  let finish: () => void;
  if (kind === "MOVE") {
    const target = local ? m.position.map((p, i) => p + v[i]) : v;
    amount = Math.hypot(...target.map((t, i) => t - m.position[i]));
    finish = () => (m.position = target as [number, number, number]);
  } else if (kind === "TURN") {
    const yaw = (Math.atan2(v[0] - m.position[0], v[2] - m.position[2]) * 180) / Math.PI;
    amount = Math.abs(((yaw - m.rotation[1] + 540) % 360) - 180);
    finish = () => (m.rotation = [m.rotation[0], yaw, m.rotation[2]]);
  } else {
    const target = local ? m.rotation.map((r, i) => r + v[i]) : v;
    amount = Math.max(...target.map((t, i) => Math.abs(t - m.rotation[i])));
    finish = () => (m.rotation = target as [number, number, number]);
  }
  if (m.moving[kind] !== undefined) {
    ctx.cancel(m.moving[kind]);
    ctx.issue(`${kind}_EVENT_STOP`, alias);
  }
  ctx.issue(`${kind}_EVENT_START`, alias);
  m.moving[kind] = ctx.later((amount / speed) * 1000 + MODEL_DELAYS.arrivalLag, () => {
    delete m.moving[kind];
    finish();
    ctx.issue(`${kind}_EVENT_STOP`, alias);
  });
}

function stopTransform(ctx: EmuContext, kind: "MOVE" | "TURN" | "ROTATE", alias?: string): void {
  const m = ctx.shared.models.get(alias ?? "");
  if (!m || m.moving[kind] === undefined) return;
  ctx.cancel(m.moving[kind]);
  delete m.moving[kind];
  ctx.issue(`${kind}_EVENT_STOP`, m.alias);
}

/** Parses a lip-sync sequence `phone,msec,…`; its total length in ms, or undefined when invalid. */
export function lipsyncLength(seq: string | undefined): number | undefined {
  if (!seq) return undefined;
  const parts = seq.split(",");
  if (parts.length < 2 || parts.length % 2 !== 0) return undefined;
  let total = 0;
  for (let i = 1; i < parts.length; i += 2) total += atof(parts[i]);
  return total;
}

/** Starts a lip-sync on a model (LIPSYNC_START, also issued by the voice). */
export function startLipsync(ctx: EmuContext, alias: string, seq: string): boolean {
  const m = ctx.shared.models.get(alias);
  const ms = lipsyncLength(seq);
  if (!m || ms === undefined) return false;
  ctx.cancel(m.lipsyncTimer);
  m.hadLipsync = true;
  ctx.issue("LIPSYNC_EVENT_START", alias);
  m.lipsyncTimer = ctx.later(ms + MODEL_DELAYS.lipsyncTail, () => {
    m.lipsyncTimer = undefined;
    ctx.issue("LIPSYNC_EVENT_STOP", alias);
  });
  return true;
}

/** The models family. */
export function modelsFamily(): Family {
  const change = (delay: number) => (ctx: EmuContext, msg: { fields: string[] }) => {
    const [alias, file] = msg.fields;
    const models = ctx.shared.models;
    if (msg.fields.length < 2 || !models.has(alias)) return;
    ctx.later(delay, () => {
      const m = models.get(alias);
      if (!m) return;
      issueMessageFile(ctx, m.file, "deletemessage");
      if (!ctx.exists(file)) return; // "not found": the model is kept (source)
      if (!loadableModel(ctx.readBytes(file))) {
        // A failed load removes the model with no MODEL_EVENT_* and no MOTION_EVENT_DELETE.
        for (const st of m.motions.values()) ctx.cancel(st.timer);
        for (const t of Object.values(m.moving)) ctx.cancel(t);
        ctx.cancel(m.lipsyncTimer);
        models.delete(alias);
        return;
      }
      m.file = file;
      ctx.issue("MODEL_EVENT_CHANGE", alias);
      issueMessageFile(ctx, file, "loadmessage");
    });
  };
  return {
    name: "Models",
    handlers: {
      MODEL_ADD(ctx, msg) {
        const f = msg.fields;
        const models = ctx.shared.models;
        if (f.length < 2 || models.has(f[0])) return;
        if (f[2] !== undefined && !parseVec(f[2], 3)) return;
        const rot = f[3] !== undefined ? parseVec(f[3], 3) : undefined;
        if (f[3] !== undefined && !rot) return;
        if (f[4] !== undefined && f[4] !== "ON" && f[4] !== "OFF") return;
        if (f[5] !== undefined && !models.has(f[5])) return;
        if (!ctx.exists(f[1]) || !loadableModel(ctx.readBytes(f[1]))) return;
        const m = newModel(f[0], f[1], f[5]);
        const pos = f[2] !== undefined ? parseVec(f[2], 3)! : [0, 0, 0];
        m.position = pos as [number, number, number];
        models.set(f[0], m); // reserve the alias while "loading"
        ctx.later(MODEL_DELAYS.add, () => {
          if (models.get(f[0]) !== m) return;
          ctx.issue("MODEL_EVENT_ADD", f[0]);
          issueMessageFile(ctx, f[1], "loadmessage");
          if (rot && rot.some((r) => r !== 0)) {
            m.moving.ROTATE = ctx.later(MODEL_DELAYS.addRotation, () => {
              delete m.moving.ROTATE;
              m.rotation = rot as [number, number, number];
              ctx.issue("ROTATE_EVENT_STOP", f[0]);
            });
          }
        });
      },
      MODEL_CHANGE: change(MODEL_DELAYS.change),
      MODEL_CHANGE_ASYNC: change(MODEL_DELAYS.changeAsync),
      MODEL_DELETE(ctx, msg) {
        const alias = msg.fields[0];
        if (alias === undefined || !ctx.shared.models.has(alias)) return;
        ctx.later(MODEL_DELAYS.delete, () => deleteModel(ctx, alias));
      },
      MOVE_START: (ctx, msg) => startTransform(ctx, "MOVE", msg.fields),
      TURN_START: (ctx, msg) => startTransform(ctx, "TURN", msg.fields),
      ROTATE_START: (ctx, msg) => startTransform(ctx, "ROTATE", msg.fields),
      MOVE_STOP: (ctx, msg) => stopTransform(ctx, "MOVE", msg.fields[0]),
      TURN_STOP: (ctx, msg) => stopTransform(ctx, "TURN", msg.fields[0]),
      ROTATE_STOP: (ctx, msg) => stopTransform(ctx, "ROTATE", msg.fields[0]),
      LIPSYNC_START(ctx, msg) {
        if (msg.fields.length === 2) startLipsync(ctx, msg.fields[0], msg.fields[1]);
      },
      LIPSYNC_STOP(ctx, msg) {
        const m = ctx.shared.models.get(msg.fields[0] ?? "");
        if (!m || m.lipsyncTimer === undefined) return;
        ctx.cancel(m.lipsyncTimer);
        m.lipsyncTimer = ctx.later(MODEL_DELAYS.lipsyncStop, () => {
          m.lipsyncTimer = undefined;
          ctx.issue("LIPSYNC_EVENT_STOP", m.alias);
        });
      },
      MODEL_BINDFACE(ctx, msg) {
        const f = msg.fields;
        if ((f.length === 3 || f.length === 4) && ctx.shared.models.has(f[0]) && isNumber(f[2])) {
          ctx.issue("MODEL_EVENT_BINDFACE", `${f[0]}|${f[1]}`);
        } else if (
          f.length >= 5 && f.length <= 7 && isNumber(f[1]) && isNumber(f[2]) &&
          ctx.shared.models.has(f[3])
        ) {
          ctx.issue("MODEL_EVENT_BINDFACE", `${f[0]}|${f[3]}|${f[4]}`);
        }
      },
      MODEL_BINDBONE(ctx, msg) {
        const f = msg.fields;
        if ((f.length === 4 || f.length === 5) && ctx.shared.models.has(f[0])) {
          if (parseVec(f[2], 3) && parseVec(f[3], 3)) {
            ctx.issue("MODEL_EVENT_BINDBONE", `${f[0]}|${f[1]}`);
          }
        } else if (f.length === 9 && isNumber(f[1]) && ctx.shared.models.has(f[3])) {
          ctx.issue("MODEL_EVENT_BINDBONE", `${f[3]}|${f[4]}`);
        }
      },
      MODEL_UNBINDFACE(ctx, msg) {
        const f = msg.fields;
        if (f.length === 2 && ctx.shared.models.has(f[0])) {
          ctx.issue("MODEL_EVENT_UNBINDFACE", `${f[0]}|${f[1]}`);
        }
      },
      MODEL_UNBINDBONE(ctx, msg) {
        const f = msg.fields;
        if (f.length === 2 && ctx.shared.models.has(f[0])) {
          ctx.issue("MODEL_EVENT_UNBINDBONE", `${f[0]}|${f[1]}`);
        }
      },
    },
  };
}

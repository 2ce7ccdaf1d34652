/**
 * A minimal Plugin_VIManager (answers.md section 5, fst.md): one-line arcs `FROM TO INPUT OUTPUT`
 * with plain patterns (exact field count, comma items as sets) and `<eps>`; block forms, regexes
 * and variables are not emulated. Outputs are issued ~10 ms after the input (the FST thread).
 * `FST_LOAD`/`SUBFST_START`/`SUBFST_START_IF` crash the real binary when the content had no main FST
 * at start-up (section 9).
 */
import type { EmuContext, Family, Msg } from "./context.ts";

/** FST output delay after the matching input (observed 10-16 ms). */
export const FST_DELAY = 12;

interface Arc {
  to: string;
  input: string;
  output: string;
}
type Fst = Map<string, Arc[]>;

/** Parses the one-line arcs of an .fst file (quotes group fields). */
export function parseFst(text: string): Fst {
  const fst: Fst = new Map();
  for (const raw of text.split(/\r?\n/)) {
    if (raw === "" || /^\s/.test(raw) || raw.trimStart().startsWith("#")) continue;
    const fields = [...raw.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
    if (fields.length < 4 || fields[1].endsWith(":")) continue;
    const [from, to, input, output] = fields;
    if (!fst.has(from)) fst.set(from, []);
    fst.get(from)!.push({ to, input, output });
  }
  return fst;
}

function matches(pattern: string, msg: Msg): boolean {
  const p = pattern.split("|");
  if (p[0] !== msg.type || p.length - 1 !== msg.fields.length) return false;
  return p.slice(1).every((field, i) => {
    const have = new Set(msg.fields[i].split(","));
    return field.split(",").every((item) => have.has(item));
  });
}

interface Running {
  fst: Fst;
  state: string;
}

/** FST state: the main FST (if any) and the sub-FSTs by alias. */
export interface FstState {
  main?: Running;
  subs: Map<string, Running>;
}

/** Loads the start-up FST from `file` (resolved); returns the state and whether one loaded. */
export function loadStartupFst(ctx: EmuContext, file: string | undefined): FstState {
  const st: FstState = { subs: new Map() };
  const bytes = file ? ctx.readBytes(file) : undefined;
  if (bytes) st.main = { fst: parseFst(new TextDecoder().decode(bytes)), state: "0" };
  return st;
}

function step(ctx: EmuContext, run: Running, msg: Msg): boolean {
  const arcs = run.fst.get(run.state) ?? [];
  const arc = arcs.find((a) => a.input !== "<eps>" && matches(a.input, msg));
  if (!arc) return false;
  run.state = arc.to;
  const outputs = [arc.output];
  for (let guard = 0; guard < 100; guard++) {
    const eps = (run.fst.get(run.state) ?? []).find((a) => a.input === "<eps>");
    if (!eps) break;
    run.state = eps.to;
    outputs.push(eps.output);
  }
  ctx.later(FST_DELAY, () => {
    for (const out of outputs) {
      if (out === "<eps>") continue;
      const i = out.indexOf("|");
      ctx.issue(i < 0 ? out : out.slice(0, i), i < 0 ? null : out.slice(i + 1));
    }
  });
  return true;
}

/** The FST family. */
export function fstFamily(st: FstState): Family {
  const noFst = (ctx: EmuContext, msg: Msg): boolean => {
    if (ctx.shared.hasStartupFst) return false;
    const simulate = ctx.fault(
      "crash",
      `${msg.type}|${msg.args ?? ""}`,
      `${msg.type} when the content loaded no FST at start-up: MMDAgent-EX dies (NULL pointer ` +
        "in the FST thread). Only send it when the .mdf's content has a start-up FST",
    );
    if (simulate) ctx.die("crash", 12);
    return true;
  };
  const startSub = (ctx: EmuContext, msg: Msg) => {
    const [alias, file] = msg.fields;
    if (msg.fields.length < 2 || !ctx.exists(file)) return;
    if (noFst(ctx, msg)) return;
    const bytes = ctx.readBytes(file)!;
    st.subs.set(alias, { fst: parseFst(new TextDecoder().decode(bytes)), state: "0" });
    ctx.issue("SUBFST_EVENT_START", alias);
  };
  return {
    name: "VIManager",
    handlers: {
      FST_LOAD(ctx, msg) {
        if (msg.fields.length < 1 || noFst(ctx, msg)) return;
        const bytes = ctx.readBytes(msg.fields[0]);
        st.subs.clear();
        st.main = bytes
          ? { fst: parseFst(new TextDecoder().decode(bytes)), state: msg.fields[1] ?? "0" }
          : undefined; // a missing file leaves no FST answering (observed)
      },
      SUBFST_START: startSub,
      SUBFST_START_IF: startSub,
      SUBFST_STOP(ctx, msg) {
        const alias = msg.fields[0];
        if (alias !== undefined && st.subs.delete(alias)) ctx.issue("SUBFST_EVENT_STOP", alias);
      },
    },
    observe(ctx, msg) {
      if (!ctx.pluginEnabled("VIManager")) return;
      if (st.main) step(ctx, st.main, msg);
      for (const [alias, run] of [...st.subs]) {
        if (step(ctx, run, msg) && (run.fst.get(run.state) ?? []).length === 0) {
          st.subs.delete(alias);
          ctx.later(FST_DELAY, () => ctx.issue("SUBFST_EVENT_STOP", alias));
        }
      }
    },
  };
}

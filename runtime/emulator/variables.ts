/**
 * Plugin_Variables' values (answers.md section 2): `VALUE_SET`/`GET`/`EVAL`/`UNSET` and
 * `KEYVALUE_SET`. The variable list keeps MMDAgent-EX's order (each name's first `VALUE_SET`), and
 * reproduces the `VALUE_UNSET` bug: unsetting an entry in the middle links its predecessor to
 * itself, so the next lookup that walks past that predecessor spins the main thread for ever.
 */
import { atof, type EmuContext, type Family, type Msg } from "./context.ts";

interface Variable {
  name: string;
  /** Stored text: the value, `min|max` for a random variable, or null when set without one. */
  text: string | null;
  random?: [number, number];
}

/** Variables and KeyValue state, kept outside the handlers so tests and the guard can read it. */
export interface VariablesState {
  list: Variable[];
  /** Name of the entry whose `next` points to itself after a middle `VALUE_UNSET`. */
  loopAt?: string;
  keyValues: Map<string, string>;
}

/** Fresh state. */
export function newVariablesState(): VariablesState {
  return { list: [], keyValues: new Map() };
}

const OPS = new Set(["EQ", "NE", "LE", "LT", "GE", "GT"]);
const LOOKUPS = new Set(["VALUE_SET", "VALUE_GET", "VALUE_EVAL", "VALUE_UNSET"]);

/** Walks the list as `Variables::find` does; `hang` when the walk reaches the self-linked entry. */
function lookup(st: VariablesState, name: string): { index: number; hang: boolean } {
  for (let i = 0; i < st.list.length; i++) {
    if (st.list[i].name === name) return { index: i, hang: false };
    if (st.loopAt !== undefined && st.list[i].name === st.loopAt) return { index: -1, hang: true };
  }
  return { index: -1, hang: false };
}

function nameOf(msg: Msg): string | undefined {
  // VALUE_GET/UNSET take the whole argument text as the name (answers.md section 2).
  if (msg.type === "VALUE_GET" || msg.type === "VALUE_UNSET") return msg.args ?? undefined;
  return msg.fields[0];
}

/** The Variables family (values only; timers are in timers.ts). */
export function variablesFamily(st: VariablesState): Family {
  const enabled = (ctx: EmuContext) => ctx.pluginEnabled("Variables");
  return {
    name: "Variables",
    beforeEcho(ctx, msg) {
      if (!LOOKUPS.has(msg.type) || !enabled(ctx) || st.loopAt === undefined) return false;
      const name = nameOf(msg);
      if (name === undefined) return false;
      if (!lookup(st, name).hang) return false;
      const simulate = ctx.fault(
        "hang",
        `${msg.type}|${msg.args ?? ""}`,
        `the lookup of "${name}" walks past "${st.loopAt}", which VALUE_UNSET linked to itself: ` +
          "MMDAgent-EX's main thread spins for ever (this line is not even echoed)",
      );
      if (simulate) ctx.die("hang");
      return simulate;
    },
    handlers: {
      KEYVALUE_SET(_ctx, msg) {
        if (msg.fields.length === 2) st.keyValues.set(msg.fields[0], msg.fields[1]);
      },
      VALUE_SET(ctx, msg) {
        if (!enabled(ctx) || msg.fields.length < 1) return;
        const [name, a, b] = msg.fields;
        let v: Variable;
        if (b !== undefined) v = { name, text: `${a}|${b}`, random: [atof(a), atof(b)] };
        else v = { name, text: a ?? null };
        const { index } = lookup(st, name);
        if (index >= 0) st.list[index] = v;
        else if (st.loopAt === undefined) st.list.push(v);
        else {
          // Recovered from a simulated-off hang: keep the new entry reachable.
          st.list.splice(st.list.findIndex((x) => x.name === st.loopAt) + 1, 0, v);
        }
        ctx.issue("VALUE_EVENT_SET", name);
      },
      VALUE_GET(ctx, msg) {
        const name = nameOf(msg);
        if (!enabled(ctx) || name === undefined) return;
        const { index } = lookup(st, name);
        if (index < 0) return;
        ctx.issue("VALUE_EVENT_GET", `${name}|${st.list[index].text ?? "(null)"}`);
      },
      VALUE_EVAL(ctx, msg) {
        if (!enabled(ctx)) return;
        const [name, op, operand] = msg.fields;
        if (name === undefined || op === undefined || !OPS.has(op)) return;
        const { index } = lookup(st, name);
        if (index < 0) return;
        const v = st.list[index];
        const x = v.random
          ? v.random[0] + Math.random() * (v.random[1] - v.random[0])
          : atof(v.text);
        const y = atof(operand);
        const r = op === "EQ"
          ? x === y
          : op === "NE"
          ? x !== y
          : op === "LE"
          ? x <= y
          : op === "LT"
          ? x < y
          : op === "GE"
          ? x >= y
          : x > y;
        ctx.issue(
          "VALUE_EVENT_EVAL",
          `${name}|${op}|${operand ?? "(null)"}|${r ? "TRUE" : "FALSE"}`,
        );
      },
      VALUE_UNSET(ctx, msg) {
        const name = nameOf(msg);
        if (!enabled(ctx) || name === undefined) return;
        const { index } = lookup(st, name);
        if (index < 0) return;
        const middle = index > 0 && index < st.list.length - 1;
        if (middle && st.loopAt === undefined) {
          const pred = st.list[index - 1].name;
          const simulate = ctx.fault(
            "hang",
            `VALUE_UNSET|${name}`,
            `"${name}" is in the middle of Plugin_Variables' list: Variables::unset links "${pred}" ` +
              "to itself, and the next VALUE_* lookup that passes it hangs MMDAgent-EX's main " +
              "thread. Overwrite with VALUE_SET instead of unsetting",
          );
          if (simulate) {
            st.loopAt = pred;
            // Entries after the predecessor become unreachable.
            st.list.splice(index, 1);
            ctx.issue("VALUE_EVENT_UNSET", name);
            return;
          }
        }
        st.list.splice(index, 1);
        ctx.issue("VALUE_EVENT_UNSET", name);
      },
    },
  };
}

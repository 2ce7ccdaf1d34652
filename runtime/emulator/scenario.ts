/**
 * Scenarios: the user's side of a conversation as timed YAML steps, for demos and tests. Each step
 * has a time (`at` from the start, or `after` the previous step finished) and one action:
 *
 * ```yaml
 * name: greet
 * steps:
 *   - at: 1s
 *     say: hello                     # RECOG_EVENT_START, then RECOG_EVENT_STOP|hello
 *   - expect: /^SYNTH_START\|/       # a line MMDAgent-EX sends, /regex/ or the exact line
 *     within: 800ms                  # its latency budget, from the previous step (default 5s)
 *   - absent: /^SYNTH_START\|.*sorry/ # a line that must not come: in the next 2s, or, without
 *     within: 2s                     # within, until the scenario ends (it runs alongside the
 *                                    # steps that follow; the scenario waits for its window)
 *   - after: 500ms
 *     key: a                         # KEY|a
 *   - prompt: 0                      # the user picks item 0 of the prompt on screen
 *   - inject: "TYPE|ARGS"            # any message as MMDAgent-EX would issue it
 *   - end: true
 * ```
 *
 * Actions go into the {@link Emulator} (so they reach every peer as MMDAgent-EX would send them);
 * `expect` watches the emulator's outbound lines, which include the echo of every bot command.
 * Times run on a {@link Clock}, so the same scenario runs in real time or on a VirtualClock.
 */
import { basename } from "node:path";
import { isMap, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import { z } from "zod";
import type { Clock } from "../clock/clock.ts";
import type { Emulator } from "./core.ts";
import { MmdbotError } from "../errors/error.ts";

/** What one step does. */
export type ScenarioAction =
  | { kind: "say"; text: string }
  | { kind: "key"; key: string }
  | { kind: "prompt"; index: number }
  | { kind: "inject"; type: string; args: string | null }
  | { kind: "expect"; pattern: string; test: (line: string) => boolean; within: number }
  | {
    kind: "absent";
    pattern: string;
    test: (line: string) => boolean;
    /** The window from the step's time; undefined: until the scenario ends. */
    within?: number;
  }
  | { kind: "end" };

/** One timed step, with where it was written. */
export interface ScenarioStep {
  /** 1-based line of the step in its file. */
  line: number;
  /** Milliseconds from the scenario's start. */
  at?: number;
  /** Milliseconds after the previous step finished (default 0 when `at` is absent). */
  after?: number;
  /** What the step does. */
  action: ScenarioAction;
}

/** A parsed scenario. */
export interface Scenario {
  /** `name:`, or the file name without `.yaml`. */
  name: string;
  /** `description:`, free text. */
  description?: string;
  /** File the scenario came from, as given. */
  file: string;
  /** The steps in file order. */
  steps: ScenarioStep[];
}

/** One problem in a scenario file. */
export interface ScenarioProblem {
  /** The scenario path as given. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
  /** What is wrong. */
  message: string;
  /** What to do about it. */
  fix: string;
}

/** A scenario file that cannot be used; `message` lists every problem as `file:line:col`. */
export class ScenarioError extends MmdbotError {
  /** Every problem found, in file order. */
  readonly problems: readonly ScenarioProblem[];
  /** Creates the error from its problems. */
  constructor(problems: ScenarioProblem[]) {
    problems = [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
    super(
      `${problems.length} problem(s) in the scenario:\n` +
        problems.map((p) => `  ${p.file}:${p.line}:${p.col}: ${p.message} (fix: ${p.fix})`)
          .join("\n"),
    );
    this.name = "ScenarioError";
    this.problems = problems;
  }
}

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/;

/** Parses `1.5s`, `500ms`, `2m` or a bare number of seconds into milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return value >= 0 ? value * 1000 : undefined;
  const m = DURATION.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === "ms" ? n : m[2] === "m" ? n * 60000 : n * 1000;
}

const duration = z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  if (parseDuration(v) === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `"${v}" is not a duration; write it like 1.5s, 500ms or 2m`,
    });
  }
});

const ACTIONS = ["say", "key", "prompt", "inject", "expect", "absent", "end"] as const;

const stepSchema = z.strictObject({
  at: duration.optional(),
  after: duration.optional(),
  say: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  prompt: z.number().int().nonnegative().optional(),
  inject: z.string().regex(/^[^|\r\n]+(\|[^\r\n]*)?$/, "write it as TYPE|ARGS on one line")
    .optional(),
  expect: z.string().min(1).optional(),
  absent: z.string().min(1).optional(),
  within: duration.optional(),
  end: z.literal(true).optional(),
});

const scenarioSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  steps: z.array(z.unknown()).min(1),
});

/** Default wait of an `expect` without `within`. */
export const DEFAULT_WITHIN_MS = 5000;

/**
 * Builds the matcher of an `expect`: `/regex/flags` is a regular expression, anything else must
 * equal the whole line (a `|` in a plain line is literal, not an alternation).
 */
export function lineMatcher(pattern: string): ((line: string) => boolean) | string {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (!m) return (line) => line === pattern;
  try {
    const re = new RegExp(m[1], m[2]);
    return (line) => re.test(line);
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Parses a scenario from YAML text; `file` names it in errors. Throws {@link ScenarioError}.
 *
 * @example
 * parseScenario("steps:\n  - at: 1s\n    say: hello\n", "inline.yaml").steps[0].at; // 1000
 */
export function parseScenario(text: string, file: string): Scenario {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const problems: ScenarioProblem[] = [];
  const at = (offset: number | undefined) => {
    const p = counter.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };
  const add = (node: Node | undefined | null, message: string, fix: string) =>
    problems.push({ file, ...at(node?.range?.[0]), message, fix });
  for (const e of doc.errors) {
    problems.push({
      file,
      ...at(e.pos[0]),
      message: `YAML syntax: ${e.message.split("\n")[0]}`,
      fix: "check the indentation and quoting near this line",
    });
  }
  if (problems.length > 0) throw new ScenarioError(problems);
  /** The deepest node that exists on `path`, for pointing at a problem. */
  const nodeAt = (path: readonly PropertyKey[]): Node | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
      if (node && typeof node === "object" && "range" in node) return node as Node;
    }
    return undefined;
  };
  const top = scenarioSchema.safeParse(doc.toJS());
  if (!top.success) {
    for (const issue of top.error.issues) {
      const contents = doc.contents;
      add(
        issue.code === "unrecognized_keys" && isMap(contents)
          ? keyNode(contents, issue.keys) ?? contents
          : nodeAt(issue.path),
        issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
        'a scenario is a map with "name" and a non-empty "steps:" list',
      );
    }
    throw new ScenarioError(problems);
  }
  const steps: ScenarioStep[] = [];
  const seq = doc.get("steps", true);
  top.data.steps.forEach((raw, i) => {
    const node = isSeq(seq) ? (seq.items[i] as Node | undefined) : undefined;
    const where = (key?: string) =>
      key && isMap(node) ? (node.get(key, true) as Node | undefined) ?? node : node;
    const parsed = stepSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const key = issue.path[0] as string | undefined;
        const unknown = issue.code === "unrecognized_keys";
        add(
          unknown && isMap(node) ? keyNode(node, issue.keys) ?? node : where(key),
          `step ${i + 1}: ${key ? `${key}: ` : ""}${issue.message}`,
          unknown
            ? `a step has at/after, one of ${ACTIONS.join("/")}, and within for expect/absent`
            : "see the scenario format in examples/scenarios/",
        );
      }
      return;
    }
    const s = parsed.data;
    const actions = ACTIONS.filter((a) => s[a] !== undefined);
    if (actions.length !== 1) {
      add(
        node,
        actions.length === 0
          ? `step ${i + 1} has no action`
          : `step ${i + 1} has ${actions.length} actions (${actions.join(", ")})`,
        `give each step exactly one of ${ACTIONS.join(", ")}; split it into several steps`,
      );
      return;
    }
    if (s.at !== undefined && s.after !== undefined) {
      add(where("after"), `step ${i + 1} has both at and after`, "keep one of them");
      return;
    }
    if (s.within !== undefined && s.expect === undefined && s.absent === undefined) {
      add(
        where("within"),
        `step ${i + 1}: within only applies to expect and absent`,
        "remove it, or wait with after: on the next step",
      );
      return;
    }
    let action: ScenarioAction;
    if (s.say !== undefined) action = { kind: "say", text: s.say };
    else if (s.key !== undefined) action = { kind: "key", key: s.key };
    else if (s.prompt !== undefined) action = { kind: "prompt", index: s.prompt };
    else if (s.inject !== undefined) {
      const bar = s.inject.indexOf("|");
      action = bar < 0
        ? { kind: "inject", type: s.inject, args: null }
        : { kind: "inject", type: s.inject.slice(0, bar), args: s.inject.slice(bar + 1) };
    } else if (s.expect !== undefined) {
      const test = lineMatcher(s.expect);
      if (typeof test === "string") {
        add(where("expect"), `step ${i + 1}: bad regular expression: ${test}`, "fix the pattern");
        return;
      }
      const within = s.within !== undefined ? parseDuration(s.within)! : DEFAULT_WITHIN_MS;
      action = { kind: "expect", pattern: s.expect, test, within };
    } else if (s.absent !== undefined) {
      const test = lineMatcher(s.absent);
      if (typeof test === "string") {
        add(where("absent"), `step ${i + 1}: bad regular expression: ${test}`, "fix the pattern");
        return;
      }
      const within = s.within !== undefined ? parseDuration(s.within)! : undefined;
      action = { kind: "absent", pattern: s.absent, test, within };
    } else action = { kind: "end" };
    steps.push({
      line: at(node?.range?.[0]).line,
      at: s.at !== undefined ? parseDuration(s.at) : undefined,
      after: s.after !== undefined ? parseDuration(s.after) : undefined,
      action,
    });
  });
  if (problems.length > 0) throw new ScenarioError(problems);
  return {
    name: top.data.name ?? basename(file).replace(/\.ya?ml$/, ""),
    description: top.data.description,
    file,
    steps,
  };
}

/** The key node of the first of `keys` in a YAML map. */
function keyNode(map: YAMLMap, keys: readonly string[]): Node | undefined {
  const pair = map.items.find((p) => keys.includes(String((p.key as { value?: unknown }).value)));
  return pair?.key as Node | undefined;
}

/** Reads and parses a scenario file. Throws {@link ScenarioError} (also when it cannot be read). */
export async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ScenarioError([{
      file: path,
      line: 1,
      col: 1,
      message: `cannot read the scenario: ${(e as Error).message}`,
      fix: "check the path (it is relative to the current directory)",
    }]);
  }
  return parseScenario(text, path);
}

/** One line MMDAgent-EX sent during a scenario, at milliseconds from its start. */
export interface TranscriptEntry {
  /** Milliseconds from the scenario's start. */
  at: number;
  /** The line without its LF. */
  line: string;
}

/** A step that did not go as written. */
export interface ScenarioFailure {
  /** `file:line` of the step. */
  where: string;
  /** What went wrong, readable. */
  message: string;
}

/** The outcome of {@link runScenario}. */
export interface ScenarioResult {
  /** True when every step ran and every expect was met. */
  ok: boolean;
  /** Every line MMDAgent-EX sent while the scenario ran. */
  transcript: TranscriptEntry[];
  /** Empty when ok; otherwise the (first) failed step. */
  failures: ScenarioFailure[];
}

/** Options of {@link runScenario}. */
export interface RunOptions {
  /** Called for each line as it is sent (live display). */
  onLine?: (entry: TranscriptEntry) => void;
}

/**
 * Plays a scenario against an emulator: runs each step at its time on `clock`, checks every
 * `expect` against its budget and watches every `absent` over its window. Stops at the first
 * failure or at `end: true`; before it returns, it waits for every `absent` window still open.
 *
 * @example
 * const result = await runScenario(emu, await loadScenario("examples/scenarios/greet.yaml"));
 * if (!result.ok) console.error(result.failures.map((f) => `${f.where}: ${f.message}`));
 */
export async function runScenario(
  emu: Emulator,
  scenario: Scenario,
  clock: Clock = emu.clock,
  options: RunOptions = {},
): Promise<ScenarioResult> {
  const start = clock.now();
  const transcript: TranscriptEntry[] = [];
  const failures: ScenarioFailure[] = [];
  const listeners = new Set<() => void>();
  const stopped = new AbortController();
  const fail = (where: string, message: string) => {
    if (stopped.signal.aborted) return;
    failures.push({ where, message });
    stopped.abort();
  };
  const secs = (ms: number) => `${Math.round(ms) / 1000} s`;
  /** The open `absent` watches: a matching line fails the scenario at once. */
  const watches: {
    where: string;
    pattern: string;
    test: (line: string) => boolean;
    since: number;
    until?: number;
  }[] = [];
  const off = emu.onOutput((line) => {
    const now = clock.now();
    const entry = { at: now - start, line };
    transcript.push(entry);
    options.onLine?.(entry);
    for (const w of [...watches]) {
      if (w.until !== undefined && now > w.until) {
        watches.splice(watches.indexOf(w), 1);
      } else if (w.test(line)) {
        watches.splice(watches.indexOf(w), 1);
        fail(
          w.where,
          `a line ${describePattern(w.pattern)} must not come ${
            w.until !== undefined ? `within ${secs(w.until - w.since)}` : "until the scenario ends"
          }, but one came at +${secs(entry.at)}, ${
            secs(now - w.since)
          } after this step:\n    ${line}`,
        );
      }
    }
    for (const fn of [...listeners]) fn();
  });
  const sleep = (ms: number) => clock.sleep(ms, stopped.signal).then(() => true, () => false);
  /** Index of the first line an `expect` may match. */
  let cursor = 0;
  let finished = start;
  try {
    for (const step of scenario.steps) {
      const where = `${scenario.file}:${step.line}`;
      const due = step.at !== undefined ? start + step.at : finished + (step.after ?? 0);
      if (due > clock.now() && !await sleep(due - clock.now())) break;
      if (stopped.signal.aborted) break;
      if (emu.status !== "running") {
        fail(where, `the emulated MMDAgent-EX is ${emu.status === "dead" ? "dead" : "hung"}`);
        break;
      }
      const a = step.action;
      if (a.kind === "end") break;
      if (a.kind === "expect") {
        const since = clock.now();
        const found = await waitForLine(
          clock,
          transcript,
          cursor,
          a.test,
          a.within,
          listeners,
          stopped.signal,
        );
        if (stopped.signal.aborted) break;
        if (found < 0) {
          // Over budget: wait a little longer to say how late it came, which is what a
          // latency budget's reader needs to know.
          const grace = Math.min(a.within, 5000);
          const late = await waitForLine(
            clock,
            transcript,
            cursor,
            a.test,
            grace,
            listeners,
            stopped.signal,
          );
          if (stopped.signal.aborted) break;
          const budget = `expected a line ${describePattern(a.pattern)} within ${secs(a.within)}`;
          if (late >= 0) {
            const took = transcript[late].at - (since - start);
            fail(
              where,
              `${budget}, but it came after ${secs(took)}, ${Math.round(took - a.within)} ms ` +
                `over the budget:\n    ${transcript[late].line}`,
            );
          } else {
            const recent = transcript.slice(cursor).slice(-5).map((e) => `    ${e.line}`);
            fail(
              where,
              `${budget}, but none came` +
                (recent.length
                  ? `; the last lines were:\n${recent.join("\n")}`
                  : "; no line came at all"),
            );
          }
          break;
        }
        cursor = found + 1;
      } else if (a.kind === "absent") {
        const since = clock.now();
        watches.push({
          where,
          pattern: a.pattern,
          test: a.test,
          since,
          until: a.within !== undefined ? since + a.within : undefined,
        });
      } else {
        cursor = transcript.length;
        if (a.kind === "say") {
          emu.inject("RECOG_EVENT_START");
          emu.inject("RECOG_EVENT_STOP", a.text);
        } else if (a.kind === "key") emu.inject("KEY", a.key);
        else if (a.kind === "inject") emu.inject(a.type, a.args);
        else if (!emu.selectPrompt(a.index)) {
          fail(where, `no prompt with item ${a.index} is on screen`);
          break;
        }
      }
      finished = clock.now();
    }
    // An absent window still open is part of the scenario: ending before it closes would let the
    // line it forbids come unchecked.
    const last = Math.max(-Infinity, ...watches.map((w) => w.until ?? -Infinity));
    if (!stopped.signal.aborted && last > clock.now()) await sleep(last - clock.now());
  } finally {
    off();
  }
  return { ok: failures.length === 0, transcript, failures };
}

/** `matching /re/` or the exact line, for messages. */
function describePattern(pattern: string): string {
  return pattern.startsWith("/") ? `matching ${pattern}` : `equal to ${pattern}`;
}

function waitForLine(
  clock: Clock,
  transcript: TranscriptEntry[],
  from: number,
  test: (line: string) => boolean,
  within: number,
  listeners: Set<() => void>,
  signal: AbortSignal,
): Promise<number> {
  return new Promise((resolve) => {
    let next = from;
    const scan = () => {
      for (; next < transcript.length; next++) {
        if (test(transcript[next].line)) return next;
      }
      return -1;
    };
    const now = scan();
    if (now >= 0 || signal.aborted) return resolve(now);
    const done = (i: number) => {
      listeners.delete(onLine);
      signal.removeEventListener("abort", onAbort);
      clock.clearTimeout(timer);
      resolve(i);
    };
    const onLine = () => {
      const i = scan();
      if (i >= 0) done(i);
    };
    const onAbort = () => done(-1);
    listeners.add(onLine);
    signal.addEventListener("abort", onAbort, { once: true });
    const timer = clock.setTimeout(() => done(-1), within);
  });
}

/**
 * One outbound line as a person reads a conversation: `user: hello` for recognised speech,
 * `avatar says: …` for `SYNTH_START`, the user's keys and prompt picks in words, anything else raw.
 * Returns undefined for `RECOG_EVENT_START` (the `user:` line stands for it).
 */
export function describeLine(line: string): string | undefined {
  const bar = line.indexOf("|");
  const type = bar < 0 ? line : line.slice(0, bar);
  const args = bar < 0 ? "" : line.slice(bar + 1);
  switch (type) {
    case "RECOG_EVENT_START":
      return undefined;
    case "RECOG_EVENT_STOP":
      return `user: ${args}`;
    case "SYNTH_START": {
      const f = args.split("|");
      return `avatar says: ${f.slice(2).join("|")}`;
    }
    case "KEY":
      return `user presses key: ${args}`;
    case "PROMPT_EVENT_SELECTED":
      return `user picks prompt item: ${args}`;
    default:
      return line;
  }
}

/**
 * Replays a recording against the current bots: the recorded inbound side is fed as-is, each line
 * at its recorded `t` on a virtual clock, to the bots of a manifest (no emulator: echoes and the
 * events MMDAgent-EX produced for the bots' commands come from the recording, as they did then);
 * what the bots send now is diffed, bot by bot and in order, against the recorded outbound side.
 *
 * Only lines of bots are compared: setup lines (written by the connection on connect) and lines of
 * the operator (`cli`, `control`) cannot be reproduced by bots, but their echoes are still fed.
 * Timing is ignored unless a tolerance is given.
 */
import { createTestRuntime } from "./test_runtime.ts";
import type { TrafficRecord } from "../record/schema.ts";
import { diffLines, type DiffOp, formatDiff } from "../record/diff.ts";

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** The bot manifest whose (enabled) bots run. */
  manifest: string;
  /**
   * Largest difference in ms between a line's recorded and replayed time that still counts as
   * equal; undefined (default) ignores timing.
   */
  timingToleranceMs?: number;
  /** Name of the recording in the diff header. */
  label?: string;
  /** Longest real time to wait for the bots to go quiet after one line (default 15 000 ms). */
  quietTimeoutMs?: number;
}

/** One line a bot sent, with its time. */
export interface OutLine {
  bot: string;
  line: string;
  t: number;
}

/** What a replay found. */
export interface ReplayResult {
  /** True when every bot sent the same lines in the same order (and in time, if checked). */
  equal: boolean;
  /** The recorded lines of the bots that are compared. */
  expected: OutLine[];
  /** What the bots sent now. */
  actual: OutLine[];
  /** The readable diff; empty when equal. */
  diff: string;
  /** Number of inbound lines fed. */
  fed: number;
  /** Warnings and errors of the runtime and the bots during the replay (handler errors…). */
  problems: string[];
}

/**
 * When the recording starts, in ms since the epoch: the wall time of its earliest record (0 for an
 * empty recording, or one whose times do not parse).
 */
export function recordingStart(records: readonly TrafficRecord[]): number {
  let first: TrafficRecord | undefined;
  for (const r of records) if (first === undefined || r.t < first.t) first = r;
  const at = first ? Date.parse(first.time) : NaN;
  return Number.isFinite(at) ? at : 0;
}

/** Out records that are not a bot's own lines (they are never compared). */
const NOT_BOTS = new Set(["setup", "cli", "control", "operator"]);

/** The bots' out lines of a recording, in order. */
export function botLines(records: readonly TrafficRecord[], origin = 0): OutLine[] {
  return records
    .filter((r) => r.dir === "out" && r.bot !== undefined && !NOT_BOTS.has(r.bot))
    .map((r) => ({ bot: r.bot!, line: r.line, t: r.t - origin }));
}

/**
 * Replays `records` against the manifest's bots and compares.
 *
 * @example
 * ```ts
 * const result = await replay(await readRecording("golden.jsonl"), { manifest: "bots/bots.yaml" });
 * if (!result.equal) console.log(result.diff);
 * ```
 */
export async function replay(
  records: readonly TrafficRecord[],
  options: ReplayOptions,
): Promise<ReplayResult> {
  const origin = records.length > 0 ? Math.min(...records.map((r) => r.t)) : 0;
  const expected = botLines(records, origin);
  const inbound = records.filter((r) => r.dir === "in");
  const end = records.reduce((m, r) => Math.max(m, r.t - origin), 0);
  const rt = await createTestRuntime({
    bots: options.manifest,
    emulator: false,
    connection: records[0]?.conn,
    quietTimeoutMs: options.quietTimeoutMs,
    // The bots see the time they saw then (a clock bot says what it said, not "0:00").
    startTime: recordingStart(records),
  });
  let actual: OutLine[];
  let problems: string[];
  try {
    // Recorded `t`s count from the recording's start; the clock from its start time.
    const t0 = rt.now();
    const elapsed = () => rt.now() - t0;
    for (const r of inbound) {
      const at = r.t - origin;
      if (at > elapsed()) await rt.advance(at - elapsed());
      await rt.inject(r.line);
    }
    // Timers and waits of the bots that fell due before the recording ended.
    if (end > elapsed()) await rt.advance(end - elapsed());
    actual = botLines(rt.records());
    problems = rt.logs().filter((l) => l.level === "warn" || l.level === "error")
      .map((l) => `${l.level}: ${l.scope}: ${l.msg}`);
  } finally {
    await rt.close();
  }
  const diff = compare(expected, actual, options);
  return { equal: diff === "", expected, actual, diff, fed: inbound.length, problems };
}

function compare(expected: OutLine[], actual: OutLine[], options: ReplayOptions): string {
  const bots = [...new Set([...expected, ...actual].map((o) => o.bot))].sort();
  const tol = options.timingToleranceMs;
  const parts: string[] = [];
  for (const bot of bots) {
    const exp = expected.filter((o) => o.bot === bot);
    const act = actual.filter((o) => o.bot === bot);
    const ops = diffLines(exp.map((o) => o.line), act.map((o) => o.line));
    const note = tol === undefined ? undefined : (op: DiffOp) => {
      const a = exp[op.a!].t, b = act[op.b!].t;
      return Math.abs(a - b) > tol
        ? `recorded at ${a} ms, replayed at ${b} ms, tolerance ${tol} ms`
        : undefined;
    };
    const text = formatDiff(ops, { note });
    if (text === "") continue;
    const what = exp.length === 0
      ? " (not in the recording)"
      : act.length === 0
      ? " (sent nothing now: is it still in the manifest?)"
      : "";
    parts.push(`bot ${bot}${what}:\n${text}`);
  }
  if (parts.length === 0) return "";
  return [
    `--- recorded${options.label ? ` (${options.label})` : ""}`,
    "+++ replayed (current bots)",
    ...parts,
  ].join("\n");
}

/**
 * The recording with its bots' out lines replaced by `actual` (for `replay --update`): every other
 * record is kept; each new line goes after the last kept record at or before its time.
 */
export function updatedRecording(
  records: readonly TrafficRecord[],
  actual: readonly OutLine[],
): TrafficRecord[] {
  const origin = records.length > 0 ? Math.min(...records.map((r) => r.t)) : 0;
  const kept = records.filter((r) =>
    !(r.dir === "out" && r.bot !== undefined && !NOT_BOTS.has(r.bot))
  );
  const conn = records[0]?.conn ?? "replay";
  const out: TrafficRecord[] = [];
  let i = 0;
  const start = recordingStart(records);
  for (const line of actual) {
    while (i < kept.length && kept[i].t - origin <= line.t) out.push(kept[i++]);
    const time = new Date(start + line.t).toISOString();
    out.push({ time, t: line.t + origin, dir: "out", conn, bot: line.bot, line: line.line });
  }
  while (i < kept.length) out.push(kept[i++]);
  return out;
}

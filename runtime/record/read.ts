/**
 * Reads a recording (`start --record`, `listen --json`, the test kit's `record` option): JSON lines
 * of {@link TrafficRecord}, each validated with zod. A bad line is an error naming file:line and
 * what is wrong, because a recording is often edited by hand into a golden test.
 */
import { z } from "zod";
import type { TrafficRecord } from "./schema.ts";
import { MmdbotError } from "../errors/error.ts";

/** zod schema of one {@link TrafficRecord}. */
export const trafficRecordSchema: z.ZodType<TrafficRecord> = z.object({
  time: z.string(),
  t: z.number().finite().nonnegative(),
  dir: z.enum(["in", "out"]),
  conn: z.string(),
  bot: z.string().optional(),
  echo: z.boolean().optional(),
  line: z.string(),
});

/** A recording that could not be read, with every bad line as `file:line: problem`. */
export class RecordingError extends MmdbotError {
  /** One entry per bad line. */
  readonly problems: readonly string[];
  /** Builds the error from its problems. */
  constructor(problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "RecordingError";
    this.problems = problems;
  }
}

/**
 * Parses recording text; `file` names it in errors. Blank lines are skipped.
 *
 * @example
 * ```ts
 * const records = parseRecording('{"time":"…","t":0,"dir":"in","conn":"console","line":"KEY|a"}', "a.jsonl");
 * ```
 * @throws {RecordingError} listing every bad line.
 */
export function parseRecording(text: string, file: string): TrafficRecord[] {
  const records: TrafficRecord[] = [];
  const problems: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      problems.push(
        `${file}:${i + 1}: not JSON (${e instanceof Error ? e.message : e}); each line must be ` +
          `one record as \`start --record\` writes it`,
      );
      continue;
    }
    const r = trafficRecordSchema.safeParse(value);
    if (!r.success) {
      const what = r.error.issues.map((issue) =>
        `${issue.path.join(".") || "record"}: ${issue.message}`
      ).join("; ");
      problems.push(
        `${file}:${i + 1}: not a traffic record (${what}); fields: time, t (ms), ` +
          `dir ("in"|"out"), conn, line, optional bot and echo`,
      );
      continue;
    }
    records.push(r.data);
  }
  if (problems.length > 0) throw new RecordingError(problems);
  return records;
}

/** Reads and validates a recording file. @throws {RecordingError} */
export async function readRecording(path: string): Promise<TrafficRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "file not found" : String(e);
    throw new RecordingError([`${path}:1: cannot read the recording: ${why}`]);
  }
  return parseRecording(text, path);
}

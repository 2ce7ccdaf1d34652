import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { parseRecording, readRecording, RecordingError } from "../../runtime/record/read.ts";

const GOOD = [
  { time: "2025-01-01T00:00:00.000Z", t: 0, dir: "in", conn: "console", line: "KEY|a" },
  { time: "2025-01-01T00:00:00.010Z", t: 10, dir: "out", conn: "console", bot: "b", line: "X" },
];

Deno.test("a JSON-lines recording parses into records; blank lines are skipped", () => {
  const text = GOOD.map((r) => JSON.stringify(r)).join("\n\n") + "\n";
  deepEqual(parseRecording(text, "a.jsonl"), GOOD);
});

Deno.test("every bad line is reported with file:line and what is wrong", () => {
  const text = [
    JSON.stringify(GOOD[0]),
    "{not json",
    JSON.stringify({ ...GOOD[1], dir: "sideways" }),
    JSON.stringify({ ...GOOD[1], line: undefined }),
  ].join("\n");
  const err = (() => {
    try {
      parseRecording(text, "golden.jsonl");
    } catch (e) {
      return e;
    }
  })();
  ok(err instanceof RecordingError);
  equal(err.problems.length, 3, err.message);
  ok(err.problems[0].startsWith("golden.jsonl:2: not JSON"), err.problems[0]);
  ok(/^golden\.jsonl:3: not a traffic record \(dir:/.test(err.problems[1]), err.problems[1]);
  ok(/^golden\.jsonl:4: not a traffic record \(line:/.test(err.problems[2]), err.problems[2]);
});

Deno.test("a negative time is refused", () => {
  throws(() => parseRecording(JSON.stringify({ ...GOOD[0], t: -1 }), "x"), RecordingError);
});

Deno.test("a missing recording file is an error naming the file", async () => {
  await rejects(readRecording("/nonexistent/rec.jsonl"), /rec\.jsonl:1: cannot read.*not found/);
});

import { deepEqual, equal, ok } from "node:assert/strict";
import { diffLines, formatDiff } from "../../runtime/record/diff.ts";

const apply = (ops: ReturnType<typeof diffLines>) => ({
  a: ops.filter((o) => o.op !== "+").map((o) => o.line),
  b: ops.filter((o) => o.op !== "-").map((o) => o.line),
});

Deno.test("the edit script rebuilds both lists and is minimal", () => {
  const cases: [string[], string[], number][] = [
    [[], [], 0],
    [["a"], [], 1],
    [[], ["a"], 1],
    [["a", "b", "c"], ["a", "b", "c"], 0],
    [["a", "b", "c"], ["a", "x", "c"], 2],
    [["a", "b", "c", "d"], ["b", "c", "d", "e"], 2],
    [["x", "a", "b"], ["a", "b", "y", "z"], 3],
  ];
  for (const [a, b, edits] of cases) {
    const ops = diffLines(a, b);
    deepEqual(apply(ops), { a, b });
    equal(ops.filter((o) => o.op !== " ").length, edits, `${a} → ${b}`);
  }
});

Deno.test("equal lists format to nothing; a change shows with 3 lines of context and a hunk header", () => {
  equal(formatDiff(diffLines(["a", "b"], ["a", "b"])), "");
  const a = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
  const b = ["1", "2", "3", "4", "5", "six", "7", "8", "9"];
  equal(
    formatDiff(diffLines(a, b)),
    ["@@ recorded #3, replayed #3 @@", "  3", "  4", "  5", "- 6", "+ six", "  7", "  8", "  9"]
      .join("\n"),
  );
});

Deno.test("a note on a kept line marks it with ~ (timing differences)", () => {
  const text = formatDiff(diffLines(["a", "b"], ["a", "b"]), {
    note: (o) => (o.line === "b" ? "late" : undefined),
  });
  ok(text.includes("~ b    (late)"), text);
  ok(text.includes("  a"), text);
});

/** The one edit distance and its "did you mean". */
import { assertEquals } from "../assert.ts";
import { closest, editDistance } from "../../runtime/text/suggest.ts";
import { formatDiagnostic } from "../../runtime/text/diagnostic.ts";

Deno.test("editDistance counts a swap of two neighbours as one edit", () => {
  assertEquals(editDistance("RECOG_EVENT_STPO", "RECOG_EVENT_STOP"), 1);
  assertEquals(editDistance("SYNTH_STRAT", "SYNTH_START"), 1);
  assertEquals(editDistance("kitten", "sitting"), 3);
  assertEquals(editDistance("", "abc"), 3);
  assertEquals(editDistance("same", "same"), 0);
});

Deno.test("closest suggests within the tolerance, case-insensitively, and nothing further", () => {
  assertEquals(closest("modul", ["module", "dir"]), "module");
  assertEquals(
    closest("recog_event_stop", ["RECOG_EVENT_STOP"], { maxDistance: 1 }),
    "RECOG_EVENT_STOP",
  );
  assertEquals(closest("MY_OWN_EVENT", ["RECOG_EVENT_STOP", "KEY"], { maxDistance: 1 }), undefined);
  assertEquals(
    closest("SYNTH_STRAT", ["SYNTH_START", "SYNTH_STOP"], { maxDistance: 1 }),
    "SYNTH_START",
  );
});

Deno.test("a diagnostic formats as file:line:col: severity: message (fix: …)", () => {
  const d = {
    severity: "warning" as const,
    file: "a.yaml",
    line: 3,
    code: "x",
    message: "m",
    fix: "f",
  };
  assertEquals(formatDiagnostic({ ...d, col: 7 }), "a.yaml:3:7: warning: m (fix: f)");
  assertEquals(formatDiagnostic(d), "a.yaml:3: warning: m (fix: f)");
  assertEquals(formatDiagnostic({ ...d, line: 0, fix: "" }), "a.yaml: warning: m");
});

// Hostile bot fixture for tests/sandbox/escape_test.ts: spins the CPU forever in a synchronous loop. Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const _cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(JSON.stringify({ escape: "cpu-spin", ok, detail: String(detail).slice(0, 400) }));
report(false, "spinning");
let n = 0;
while (true) n++;

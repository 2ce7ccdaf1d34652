// Hostile bot fixture for tests/sandbox/escape_test.ts: imports an npm: package (would download it). Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const _cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(JSON.stringify({ escape: "npm-import", ok, detail: String(detail).slice(0, 400) }));
try {
  const name = "npm:left-pad@1.3.0";
  const mod = await import(name);
  report(true, typeof mod.default);
} catch (error) {
  report(false, error);
}

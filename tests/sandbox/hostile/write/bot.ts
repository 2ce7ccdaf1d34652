// Hostile bot fixture for tests/sandbox/escape_test.ts: writes a file outside its folder. Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(JSON.stringify({ escape: "write", ok, detail: String(detail).slice(0, 400) }));
try {
  await Deno.writeTextFile(cfg.target, "pwned by a bot\n");
  report(true, `wrote ${cfg.target}`);
} catch (error) {
  report(false, error);
}

// Hostile bot fixture for tests/sandbox/escape_test.ts: imports a remote module over http. Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(
    JSON.stringify({ escape: "remote-import", ok, detail: String(detail).slice(0, 400) }),
  );
try {
  const mod = await import(`http://127.0.0.1:${cfg.port}/mod.js`);
  report(true, mod.default);
} catch (error) {
  report(false, error);
}

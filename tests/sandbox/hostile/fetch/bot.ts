// Hostile bot fixture for tests/sandbox/escape_test.ts: makes an HTTP request with fetch. Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(JSON.stringify({ escape: "fetch", ok, detail: String(detail).slice(0, 400) }));
try {
  const response = await fetch(`http://127.0.0.1:${cfg.port}/fetch`);
  report(true, `${response.status} ${await response.text()}`);
} catch (error) {
  report(false, error);
}

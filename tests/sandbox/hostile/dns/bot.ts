// Hostile bot fixture for tests/sandbox/escape_test.ts: resolves a name with Deno.resolveDns. Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const _cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(JSON.stringify({ escape: "dns", ok, detail: String(detail).slice(0, 400) }));
try {
  report(true, await Deno.resolveDns("example.com", "A"));
} catch (error) {
  report(false, `${(error as Error).name}: ${error}`);
}

// Hostile bot fixture for tests/sandbox/escape_test.ts: reads the environment with Deno.env.toObject. Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(JSON.stringify({ escape: "env", ok, detail: String(detail).slice(0, 400) }));
try {
  report(true, JSON.stringify(Deno.env.toObject()));
} catch (error) {
  // A grant may name single variables (toObject needs them all): ask for the one planted.
  try {
    report(cfg.name !== undefined, `${cfg.name}=${Deno.env.get(cfg.name)}`);
  } catch (second) {
    report(false, `${error}; get: ${second}`);
  }
}

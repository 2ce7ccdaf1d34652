// Hostile bot fixture for tests/sandbox/escape_test.ts: reads a file through an import() built with Function and eval. Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(JSON.stringify({ escape: "eval-import", ok, detail: String(detail).slice(0, 400) }));
try {
  const load = new Function("p", 'return import(p, { with: { type: "text" } })');
  const mod = await load(cfg.target);
  report(true, mod.default);
} catch (error) {
  try {
    const mod = await (0, eval)(
      `import(${JSON.stringify(cfg.target)}, { with: { type: "text" } })`,
    );
    report(true, mod.default);
  } catch (second) {
    report(false, `${error}; eval: ${second}`);
  }
}

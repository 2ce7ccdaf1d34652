// Hostile bot fixture for tests/sandbox/escape_test.ts: starts a program with Deno.Command. Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const _cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(JSON.stringify({ escape: "subprocess", ok, detail: String(detail).slice(0, 400) }));
try {
  const out = await new Deno.Command("/bin/sh", { args: ["-c", "echo pwned"] }).output();
  report(true, new TextDecoder().decode(out.stdout));
} catch (error) {
  report(false, error);
}

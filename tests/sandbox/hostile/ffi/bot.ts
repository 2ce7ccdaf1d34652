// Hostile bot fixture for tests/sandbox/escape_test.ts: loads libc through Deno.dlopen. Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const _cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(JSON.stringify({ escape: "ffi", ok, detail: String(detail).slice(0, 400) }));
try {
  const lib = Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } });
  report(true, `getpid() = ${lib.symbols.getpid()}`);
  lib.close();
} catch (error) {
  report(false, error);
}

// Hostile bot fixture for tests/sandbox/escape_test.ts: opens a TCP connection with Deno.connect. Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(JSON.stringify({ escape: "connect", ok, detail: String(detail).slice(0, 400) }));
try {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: cfg.tcpPort });
  await conn.write(new TextEncoder().encode("hello from a bot\n"));
  conn.close();
  report(true, "connected");
} catch (error) {
  report(false, error);
}

// Hostile bot fixture for tests/sandbox/escape_test.ts: opens a WebSocket. Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(JSON.stringify({ escape: "websocket", ok, detail: String(detail).slice(0, 400) }));
try {
  const ws = new WebSocket(`ws://127.0.0.1:${cfg.port}/ws`);
  const outcome = await new Promise<string>((resolve, reject) => {
    ws.onopen = () => resolve("open");
    ws.onerror = (event) => reject(new Error((event as ErrorEvent).message ?? "error"));
  });
  ws.close();
  report(true, outcome);
} catch (error) {
  report(false, error);
}

// Hostile bot fixture for tests/sandbox/escape_test.ts: starts Workers that try to read
// /etc/passwd, one inheriting the bot's permissions and one asking for more (read: true).
// Prints { escape, target, ok, detail } per attempt. Asking for more is an unstable Deno option
// that ends the process when used without --unstable-worker-options; that is a denial too.
const report = (target: string, ok: boolean, detail: unknown) =>
  console.log(
    JSON.stringify({ escape: "worker", target, ok, detail: String(detail).slice(0, 400) }),
  );
const code = `try { postMessage("read: " + Deno.readTextFileSync("/etc/passwd")); }
  catch (e) { postMessage("worker denied: " + e); }`;
const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
async function attempt(options: WorkerOptions): Promise<string> {
  const worker = new Worker(url, options);
  try {
    return await new Promise<string>((resolve) => {
      worker.onmessage = (event) => resolve(String(event.data));
      worker.onerror = (event) => {
        event.preventDefault();
        resolve(`worker error: ${event.message}`);
      };
    });
  } finally {
    worker.terminate();
  }
}
const escalate = { type: "module", deno: { permissions: { read: true } } } as WorkerOptions;
for (
  const [target, options] of [["inherit", { type: "module" }], ["escalate", escalate]] as const
) {
  try {
    const message = await attempt(options);
    report(target, message.startsWith("read: "), message);
  } catch (error) {
    report(target, false, error);
  }
}

// Hostile bot fixture for tests/sandbox/escape_test.ts: reads the environment of itself and of
// its parent (a host holding secrets) through /proc, by the file API and by import().
// Prints { escape, target, ok, detail } per attempt; the test judges leaks by looking for the
// secret it planted in the parent's environment.
const report = (target: string, ok: boolean, detail: unknown) =>
  console.log(
    JSON.stringify({
      escape: "proc-environ",
      target,
      ok,
      detail: String(detail).replaceAll("\0", " ").slice(0, 2000),
    }),
  );
const parent = `/proc/${Deno.ppid}/environ`;
const attempts: [string, () => Promise<unknown>][] = [
  ["self-api", () => Deno.readTextFile("/proc/self/environ")],
  ["self-import", () => import("/proc/self/environ", { with: { type: "text" } })],
  ["parent-api", () => Deno.readTextFile(parent)],
  ["parent-import", () => import(parent, { with: { type: "text" } }).then((m) => m.default)],
];
for (const [target, attempt] of attempts) {
  try {
    const text = await attempt();
    report(target, false, typeof text === "string" ? text : JSON.stringify(text));
  } catch (error) {
    report(target, false, error);
  }
}

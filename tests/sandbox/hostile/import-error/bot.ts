// Hostile bot fixture for tests/sandbox/escape_test.ts: reads files through the error message of
// a failed JavaScript import (a parse error quotes the offending line).
// Prints one JSON line { escape, target, ok, detail } per target; ok is false here because the
// import itself fails: whether its message leaked the file is judged by the test.
// The specifiers are string literals on purpose (see import-text/bot.ts).
const report = (target: string, ok: boolean, detail: unknown) =>
  console.log(
    JSON.stringify({ escape: "import-error", target, ok, detail: String(detail).slice(0, 400) }),
  );
const attempts: [string, () => Promise<unknown>][] = [
  ["passwd", () => import("/etc/passwd")],
  ["runtime", () => import("../../../../deno.json")],
  ["other-bot", () => import("../victim/secret.txt")],
];
for (const [target, attempt] of attempts) {
  try {
    await attempt();
    report(target, true, "imported as a module");
  } catch (error) {
    report(target, false, error);
  }
}

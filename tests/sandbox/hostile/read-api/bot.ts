// Hostile bot fixture for tests/sandbox/escape_test.ts: reads files through Deno's file API.
// Prints one JSON line { escape, target, ok, detail } per target: ok means the escape worked.
// The specifiers are string literals on purpose: Deno loads statically analysable dynamic imports
// while building the module graph, before any permission check (the weaker level's read hole).
const report = (target: string, ok: boolean, detail: unknown) =>
  console.log(
    JSON.stringify({ escape: "read-api", target, ok, detail: String(detail).slice(0, 400) }),
  );
const attempts: [string, () => Promise<unknown>][] = [
  ["passwd", () => Deno.readTextFile(new URL("/etc/passwd", import.meta.url))],
  ["runtime", () => Deno.readTextFile(new URL("../../../../deno.json", import.meta.url))],
  ["other-bot", () => Deno.readTextFile(new URL("../victim/secret.txt", import.meta.url))],
];
for (const [target, attempt] of attempts) {
  try {
    report(target, true, await attempt());
  } catch (error) {
    report(target, false, error);
  }
}

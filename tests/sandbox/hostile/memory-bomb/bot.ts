// Hostile bot fixture for tests/sandbox/escape_test.ts: allocates memory until the heap cap stops it. Prints one JSON line
// { escape, ok, detail }: ok means the escape worked. Self-contained on purpose: a sandboxed
// bot can read nothing outside its own folder.
const _cfg = JSON.parse(Deno.args[0] ?? "{}");
const report = (ok: boolean, detail: unknown) =>
  console.log(JSON.stringify({ escape: "memory-bomb", ok, detail: String(detail).slice(0, 400) }));
report(false, "allocating");
const hoard: number[][] = [];
while (true) hoard.push(new Array(1_000_000).fill(hoard.length));

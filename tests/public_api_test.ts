/**
 * The public surface stays readable and its examples stay true: `deno doc mod.ts` lists the bot
 * author's API without the catalog's generated argument types (they are behind
 * `@mmdbot/mmdbot/catalog`), and every fenced example of the entry points and of the modules they
 * re-export type-checks (`deno check --doc`), as the gates run it.
 */
import { assert } from "./assert.ts";

const ROOT = new URL("../", import.meta.url);
const ENTRIES = ["mod.ts", "testing.ts", "catalog.ts"];

async function run(args: string[]): Promise<{ ok: boolean; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

/** The runtime modules an entry re-exports from (`from "./runtime/…"`). */
async function reexported(): Promise<string[]> {
  const found = new Set<string>();
  for (const entry of ENTRIES) {
    const text = await Deno.readTextFile(new URL(entry, ROOT));
    for (const m of text.matchAll(/from "\.\/(runtime\/[^"]+)"/g)) found.add(m[1]);
  }
  return [...found].sort();
}

Deno.test("deno doc mod.ts shows the bot author's API without the catalog's generated argument types", async () => {
  const r = await run(["doc", "--json", "mod.ts"]);
  assert(r.ok, r.out);
  const doc = JSON.parse(r.out) as { nodes: Record<string, { symbols?: { name: string }[] }> };
  const names = Object.values(doc.nodes).flatMap((n) => (n.symbols ?? []).map((s) => s.name));
  assert(names.includes("createBot"), `createBot missing from mod.ts's docs: ${names.join(", ")}`);
  const generated = names.filter((n) => /Args$/.test(n) && n !== "ArgsOf");
  assert(generated.length === 0, `generated types in mod.ts's docs: ${generated.join(", ")}`);
  assert(names.length < 80, `mod.ts documents ${names.length} symbols; keep it to one screen`);
});

Deno.test("every fenced example of the public entry points and of the modules they re-export type-checks", async () => {
  const files = [...ENTRIES, ...await reexported()];
  const r = await run(["check", "--doc", "--quiet", ...files]);
  assert(r.ok, `deno check --doc ${files.join(" ")}:\n${r.out}`);
});

Deno.test("every @example of the public entry points and of the modules they re-export is fenced, so deno check --doc sees it", async () => {
  const unfenced: string[] = [];
  for (const file of [...ENTRIES, ...await reexported()]) {
    const lines = (await Deno.readTextFile(new URL(file, ROOT))).split("\n");
    lines.forEach((line, i) => {
      if (!/^\s*\*\s*@example/.test(line)) return;
      const next = lines.slice(i + 1, i + 3).find((l) => !/^\s*\*\s*$/.test(l)) ?? "";
      if (!next.includes("```")) unfenced.push(`${file}:${i + 1}`);
    });
  }
  assert(
    unfenced.length === 0,
    `unfenced examples (wrap them in \`\`\`ts … \`\`\`): ${unfenced.join(", ")}`,
  );
});

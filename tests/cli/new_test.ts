/** `mmdbot new` through the real CLI, in temporary bots folders. */
import { equal, ok } from "node:assert/strict";
import { loadManifest } from "../../runtime/manifest/load.ts";
import { addManifestEntry, relativeImport } from "../../runtime/cli/new.ts";
import { RUNTIME_PERMISSIONS } from "../../runtime/paths/invocation.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function run(cmd: string[], cwd = ROOT) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cmd,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const mmdbot = (...args: string[]) =>
  run(["run", "--no-prompt", "-A", ROOT + "runtime/cli/main.ts", ...args]);

Deno.test("new creates the bot and its test, the manifest keeps its comments and parses, and the generated test passes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-new-" });
  try {
    const original = await Deno.readTextFile(ROOT + "bots/bots.yaml");
    await Deno.writeTextFile(`${dir}/bots.yaml`, original);
    const r = await mmdbot("new", "weather", "--dir", dir);
    equal(r.code, 0, r.stdout + r.stderr);
    ok(r.stdout.includes(`${dir}/weather/bot.ts`), r.stdout);
    ok(r.stdout.includes("Plugin_AnyScript_Command=/"), r.stdout);
    ok(r.stdout.includes(`${ROOT}runtime/cli/main.ts start --stdio`), r.stdout);

    const text = await Deno.readTextFile(`${dir}/bots.yaml`);
    ok(text.startsWith(original.trimEnd()), "the existing text (comments included) was changed");
    // The example bots' folders are not in the temp dir: parse without checking files.
    const manifest = await loadManifest(`${dir}/bots.yaml`, { checkFiles: false });
    const names = manifest.bots.map((b) => b.name);
    equal(names.at(-1), "weather");
    ok(names.includes("greeter"));

    // Only the new bot runs in the generated test: the others live in the real bots/ folder.
    await Deno.writeTextFile(`${dir}/bots.yaml`, addManifestEntry("bots:\n", "weather", "x"));
    const test = await run([
      "test",
      "--no-prompt",
      ...RUNTIME_PERMISSIONS,
      `${dir}/weather/`,
    ]);
    equal(test.code, 0, test.stdout + test.stderr);
    ok(test.stdout.includes("1 passed"), test.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("new refuses a taken name and an invalid name with the fix, and leaves nothing behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-new-" });
  try {
    await Deno.writeTextFile(`${dir}/bots.yaml`, "bots:\n  taken: {}\n");
    const taken = await mmdbot("new", "taken", "--dir", dir);
    equal(taken.code, 1);
    ok(taken.stderr.includes('already has a bot named "taken"'), taken.stderr);
    const bad = await mmdbot("new", "My Bot", "--dir", dir);
    equal(bad.code, 1);
    ok(bad.stderr.includes("not a valid bot name"), bad.stderr);
    ok(bad.stderr.includes("mmdbot new my-bot"), bad.stderr);
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    equal(left.join(), "bots.yaml");
    equal(await Deno.readTextFile(`${dir}/bots.yaml`), "bots:\n  taken: {}\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("new creates bots.yaml in an empty folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-new-" });
  try {
    const r = await mmdbot("new", "first", "--dir", `${dir}/bots`);
    equal(r.code, 0, r.stderr);
    const manifest = await loadManifest(`${dir}/bots/bots.yaml`);
    equal(manifest.bots.map((b) => b.name).join(), "first");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("relative imports from a bot folder reach the repository's files", () => {
  equal(relativeImport("/w/main/bots/x", "/w/main/mod.ts"), "../../mod.ts");
  equal(relativeImport("/tmp/a/b", "/w/main/mod.ts"), "../../../w/main/mod.ts");
  equal(relativeImport("/w/main", "/w/main/mod.ts"), "./mod.ts");
});

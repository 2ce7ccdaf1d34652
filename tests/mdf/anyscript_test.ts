import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { anyScriptCommands, lintAnyScript } from "../../runtime/mdf/anyscript.ts";
import { loadMdf } from "../../runtime/mdf/layer.ts";
import type { Finding } from "../../runtime/mdf/finding.ts";
import { docOf } from "./helpers.ts";

const codesOf = (fs: Finding[]) => fs.map((f) => f.code);

/** Lints `text` written as `content/t.mdf` inside a temp dir that also holds `files`. */
async function lintIn(
  text: string,
  files: string[] = [],
): Promise<{ findings: Finding[]; dir: string }> {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "content"));
    for (const f of files) await Deno.writeTextFile(join(root, f), "");
    await Deno.writeTextFile(join(root, "content", "t.mdf"), text);
    const doc = await loadMdf(join(root, "content", "t.mdf"));
    return { findings: await lintAnyScript(doc), dir: doc.dir };
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("an AnyScript line running mmdbot start --stdio is a note naming the .mdf folder as cwd", async () => {
  const { findings, dir } = await lintIn(
    "Plugin_AnyScript_Command=deno run -A ../main/runtime/cli/main.ts start --stdio\n",
    ["main-placeholder"],
  );
  const f = findings.find((x) => x.code === "anyscript-starts-mmdbot");
  ok(f);
  equal(f.severity, "info");
  ok(f.message.includes(dir));
  // ../main/runtime/cli/main.ts does not exist from content/: that is reported too
  ok(codesOf(findings).includes("anyscript-missing-path"));
});

Deno.test("a relative script path that exists from the .mdf folder is not reported", async () => {
  const { findings } = await lintIn("Plugin_AnyScript_Command1=python3 ../bot.py\n", ["bot.py"]);
  deepEqual(findings, []);
});

Deno.test("a relative path that exists only from the current folder is reported with the resolved path", async () => {
  const { findings, dir } = await lintIn("Plugin_AnyScript_Command=./run.sh\n", ["run.sh"]);
  const f = findings.find((x) => x.code === "anyscript-missing-path");
  ok(f);
  ok(f.message.includes(join(dir, "run.sh")));
});

Deno.test("mmdbot without start --stdio is a warning", async () => {
  const doc = docOf("Plugin_AnyScript_Command=mmdbot start\n");
  deepEqual(
    codesOf(await lintAnyScript(doc)).filter((c) => c !== "anyscript-program-not-on-path"),
    ["anyscript-mmdbot-not-stdio"],
  );
});

Deno.test("a bare program name not on PATH is a warning pointing at the line `new` prints", async () => {
  const missing = await lintAnyScript(
    docOf("Plugin_AnyScript_Command=no-such-program-4f1 run mmdbot start --stdio\n"),
  );
  const f = missing.find((x) => x.code === "anyscript-program-not-on-path");
  ok(f, JSON.stringify(missing));
  ok(f.fix?.includes("mmdbot new"), f.fix);
  const found = await lintAnyScript(docOf("Plugin_AnyScript_Command=sh -c true\n"));
  ok(!codesOf(found).includes("anyscript-program-not-on-path"), "sh is on PATH");
});

Deno.test("shell syntax, quotes and ~ are reported: AnyScript runs the line without a shell", async () => {
  const doc = docOf(
    "Plugin_AnyScript_Command=mmdbot start --stdio | tee log\n" +
      'Plugin_AnyScript_Command2=mmdbot start --stdio "my content.mdf"\n' +
      "Plugin_AnyScript_Command3=~/bin/mmdbot start --stdio\n",
  );
  const fs = await lintAnyScript(doc);
  for (const code of ["anyscript-shell-syntax", "anyscript-quotes", "anyscript-tilde"]) {
    ok(codesOf(fs).includes(code), code);
  }
  equal(fs.find((f) => f.code === "anyscript-shell-syntax")?.line, 1);
  equal(fs.find((f) => f.code === "anyscript-quotes")?.line, 2);
  equal(fs.find((f) => f.code === "anyscript-tilde")?.line, 3);
});

Deno.test("two AnyScript lines starting mmdbot, or AnyScript plus a socket, are warnings", async () => {
  const doc = docOf(
    "Plugin_AnyScript_Command=mmdbot start --stdio\nPlugin_AnyScript_Command2=mmdbot start --stdio\n",
  );
  ok(codesOf(await lintAnyScript(doc)).includes("anyscript-mmdbot-twice"));
  const one = docOf("Plugin_AnyScript_Command=mmdbot start --stdio\n");
  ok(
    codesOf(await lintAnyScript(one, anyScriptCommands(one), true)).includes(
      "anyscript-and-remote",
    ),
  );
});

Deno.test("other AnyScript programs with existing absolute or PATH commands get no finding", async () => {
  deepEqual(await lintAnyScript(docOf(`Plugin_AnyScript_Command=${Deno.execPath()} -A x\n`)), []);
  deepEqual(await lintAnyScript(docOf("Plugin_AnyScript_Command=python3 -u dialog\n")), []);
  const missing = await lintAnyScript(
    docOf("Plugin_AnyScript_Command=python3 /nonexistent/d.py\n"),
  );
  deepEqual(codesOf(missing), ["anyscript-missing-path"]);
});

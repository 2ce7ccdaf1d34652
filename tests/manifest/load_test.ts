import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "../assert.ts";
import { join } from "node:path";
import { loadManifest, ManifestError, parseManifest } from "../../runtime/manifest/load.ts";

/** A temporary `bots/` tree with a manifest and the given bot folders (each with bot.ts). */
async function tree(yaml: string, folders: string[] = []): Promise<{ root: string; file: string }> {
  const root = await Deno.makeTempDir({ prefix: "mmdbot-manifest-" });
  await Deno.mkdir(join(root, "bots"));
  for (const folder of folders) {
    await Deno.mkdir(join(root, "bots", folder), { recursive: true });
    await Deno.writeTextFile(join(root, "bots", folder, "bot.ts"), "export default {};\n");
  }
  const file = join(root, "bots", "bots.yaml");
  await Deno.writeTextFile(file, yaml);
  return { root, file };
}

function problemsOf(fn: () => unknown): string[] {
  const error = assertThrows(fn, ManifestError);
  return error.problems.map((p) => `${p.line}:${p.col}: ${p.message} (fix: ${p.fix})`);
}

Deno.test("a minimal entry gets every default and its folder, module and paths resolved", async () => {
  const { root, file } = await tree(
    "bots:\n  greeter:\n  reader:\n    permissions:\n      read: [data/]\n",
    [
      "greeter",
      "reader",
    ],
  );
  try {
    const manifest = await loadManifest(file, { cwd: root });
    assertEquals(manifest.file, file);
    assertEquals(manifest.bots.map((b) => b.name), ["greeter", "reader"]);
    const [greeter, reader] = manifest.bots;
    assertEquals(greeter.dir, join(root, "bots", "greeter"));
    assertEquals(greeter.module, join(root, "bots", "greeter", "bot.ts"));
    assertEquals(greeter.permissions, {
      read: false,
      write: false,
      net: false,
      env: false,
      run: false,
      npm: [],
    });
    assertEquals(greeter.allow, []);
    assertEquals(greeter.receive, ["*"]);
    assertEquals(greeter.budgets, {
      handlerMs: 2000,
      heapMb: 64,
      messagesPerSecond: 20,
      burst: 40,
      timers: 1000,
      rssMb: 256,
    });
    assertEquals(greeter.restart, {
      initialBackoffMs: 500,
      maxBackoffMs: 30000,
      maxFailures: 5,
      windowMs: 60000,
    });
    assertEquals(greeter.isolation, "any");
    assertEquals(greeter.origin, { file: "bots/bots.yaml", line: 2 });
    assertEquals(reader.permissions.read, [join(root, "bots", "reader", "data")]);
    assertEquals(reader.origin.line, 3);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("every field written in the file overrides its default", async () => {
  const yaml = `bots:
  qa:
    dir: ../elsewhere/qa
    module: main.ts
    permissions:
      read: true
      write: [out, /tmp/shared]
      net: [api.example.com:443]
      env: [API_KEY]
      run: [curl, ./tools/x]
      npm: [lodash@4]
    allow: [EXECUTE, KEY_POST]
    receive: [RECOG_EVENT_STOP]
    budgets: { handler_ms: 100, heap_mb: 32, messages_per_second: 5, burst: 7, timers: 9, rss_mb: 100 }
    restart: { initial_backoff_ms: 10, max_backoff_ms: 20, max_failures: 2, window_ms: 1000 }
    isolation: os
`;
  const { root, file } = await tree(yaml);
  try {
    const dir = join(root, "elsewhere", "qa");
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(join(dir, "main.ts"), "");
    const [qa] = (await loadManifest(file, { cwd: root })).bots;
    assertEquals(qa.dir, dir);
    assertEquals(qa.module, join(dir, "main.ts"));
    assertEquals(qa.permissions, {
      read: true,
      write: [join(dir, "out"), "/tmp/shared"],
      net: ["api.example.com:443"],
      env: ["API_KEY"],
      run: ["curl", join(dir, "tools", "x")],
      npm: ["npm:lodash@4"],
    });
    assertEquals(qa.allow, ["EXECUTE", "KEY_POST"]);
    assertEquals(qa.receive, ["RECOG_EVENT_STOP"]);
    assertEquals(qa.budgets, {
      handlerMs: 100,
      heapMb: 32,
      messagesPerSecond: 5,
      burst: 7,
      timers: 9,
      rssMb: 100,
    });
    assertEquals(qa.restart, {
      initialBackoffMs: 10,
      maxBackoffMs: 20,
      maxFailures: 2,
      windowMs: 1000,
    });
    assertEquals(qa.isolation, "os");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a disabled bot is left out of bots but listed in disabled", async () => {
  const { root, file } = await tree("bots:\n  a: {}\n  b:\n    enabled: false\n", ["a", "b"]);
  try {
    const manifest = await loadManifest(file, { cwd: root });
    assertEquals(manifest.bots.map((b) => b.name), ["a"]);
    assertEquals(manifest.disabled?.map((b) => b.name), ["b"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("an unknown key is reported at its line and column with a did-you-mean", () => {
  const problems = problemsOf(() =>
    parseManifest(
      "bots:\n  a:\n    modul: x.ts\n    permissions:\n      red: true\n",
      "/m/bots.yaml",
      {
        checkFiles: false,
        cwd: "/m",
      },
    )
  );
  assertEquals(problems, [
    '3:5: unknown key "modul" in bot "a" (fix: did you mean "module"?)',
    '5:7: unknown key "red" in bot "a" permissions (fix: did you mean "read"?)',
  ]);
});

Deno.test("every problem in the file is listed at once, each as file:line:col: what (fix: …)", () => {
  const yaml = `bots:
  a:
    permissions:
      net: yes please
    budgets:
      heap_mb: 8
      handler_ms: soon
    isolation: strong
  b: 3
extra: 1
`;
  const error = assertThrows(
    () => parseManifest(yaml, "/m/bots/bots.yaml", { checkFiles: false, cwd: "/m" }),
    ManifestError,
  );
  const lines = error.message.split("\n").slice(1).map((l) => l.trim());
  assertEquals(lines.length, 6);
  for (const line of lines) assertMatch(line, /^bots\/bots\.yaml:\d+:\d+: .+ \(fix: .+\)$/);
  const at = error.problems.map((p) => `${p.line}:${p.col}`);
  assertEquals(at, ["4:12", "6:16", "7:19", "8:16", "9:6", "10:1"]);
  assert(error.message.includes('unknown key "extra"'));
  assert(error.message.includes("heap_mb below 16"));
});

Deno.test("a bad bot name, an unknown allowed command and a bad receive type are errors", () => {
  const problems = problemsOf(() =>
    parseManifest(
      'bots:\n  My Bot:\n    allow: [EXECUTE, EXECUT]\n    receive: ["A|B"]\n',
      "/m/bots.yaml",
      { checkFiles: false, cwd: "/m" },
    )
  );
  assertEquals(problems.length, 3);
  assertMatch(problems[0], /^2:3: bot name "My Bot" may only hold .* e\.g\. "my-bot"/);
  assertEquals(
    problems[1],
    '3:22: "EXECUT" is not an MMDAgent-EX command of the catalog (fix: did you mean EXECUTE?)',
  );
  assertMatch(problems[2], /^4:15: "A\|B" is not a message type/);
});

Deno.test("allow: checks against the catalog's commands unless a list is given", () => {
  const yaml = "bots:\n  a:\n    allow: [EXECUTE]\n";
  const opts = { checkFiles: false, cwd: "/m" };
  assertEquals(parseManifest(yaml, "/m/bots.yaml", opts).bots[0].allow, ["EXECUTE"]);
  const problems = problemsOf(() =>
    parseManifest(yaml, "/m/bots.yaml", { ...opts, knownCommands: ["SYNTH_START"] })
  );
  assertEquals(problems.length, 1);
});

Deno.test("YAML syntax errors and duplicate keys are reported with their position", () => {
  const dup = problemsOf(() =>
    parseManifest("bots:\n  a: {}\n  a: {}\n", "/m/bots.yaml", { checkFiles: false, cwd: "/m" })
  );
  assertEquals(dup.length, 1);
  assertMatch(dup[0], /^3:3: YAML syntax: .*(fix: remove or rename)/);
  const broken = problemsOf(() =>
    parseManifest("bots:\n  a: [unclosed\n", "/m/bots.yaml", { checkFiles: false, cwd: "/m" })
  );
  assert(broken.length >= 1);
  assertMatch(broken[0], /^\d+:\d+: YAML syntax: /);
});

Deno.test("a missing folder or module and a module outside the folder are errors", async () => {
  const { root, file } = await tree(
    "bots:\n  ghost: {}\n  nomod:\n    module: main.ts\n  out:\n    module: ../x.ts\n",
    ["nomod", "out"],
  );
  try {
    const error = await assertRejects(() => loadManifest(file, { cwd: root }), ManifestError);
    const lines = error.problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
    assertEquals(lines, [
      `2:3: bot "ghost": folder ${root}/bots/ghost does not exist`,
      `4:13: bot "nomod": module ${root}/bots/nomod/main.ts does not exist`,
      "6:13: module ../x.ts is outside the bot's folder bots/out",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("two bots sharing one folder is an error: isolation is per folder", () => {
  const problems = problemsOf(() =>
    parseManifest("bots:\n  a: {}\n  b:\n    dir: a\n", "/m/bots.yaml", {
      checkFiles: false,
      cwd: "/m",
    })
  );
  assertEquals(problems, [
    '3:3: bots "a" and "b" share the folder a (fix: give each bot its own folder: isolation is per folder)',
  ]);
});

Deno.test("a missing manifest file is a ManifestError with a fix", async () => {
  const error = await assertRejects(
    () => loadManifest("/nonexistent/bots.yaml", { cwd: "/" }),
    ManifestError,
  );
  assertMatch(
    error.message,
    /nonexistent\/bots\.yaml:1:1: cannot read the bot manifest: file not found/,
  );
});

Deno.test("a file without bots: is an error pointing at the top", () => {
  const problems = problemsOf(() =>
    parseManifest("# nothing\n", "/m/bots.yaml", { checkFiles: false, cwd: "/m" })
  );
  assertEquals(problems.length, 1);
  assertMatch(problems[0], /^1:1: .*\(fix: put the bots under a top-level map/s);
});

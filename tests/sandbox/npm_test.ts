/**
 * npm packages in a bot: the host fetches what the manifest names before the bot starts, the bot
 * (a real process, at the OS level when bubblewrap works here) imports exactly those, read-only,
 * with no network, and anything else is refused with the manifest fix.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { createTestRuntime } from "../../testing.ts";
import { detectSandbox } from "../../runtime/sandbox/detect.ts";
import {
  cacheKey,
  culprit,
  NpmCacheError,
  npmImportFix,
  prepareNpmCache,
  READY_FILE,
} from "../../runtime/sandbox/npm_cache.ts";

const MANIFEST = new URL("./npm/bots.yaml", import.meta.url);
const detected = await detectSandbox({
  force: Deno.env.get("MMDBOT_SANDBOX") === "deno" ? "deno" : undefined,
});
const level = detected.level === "os" ? "os (bubblewrap)" : `deno (${detected.os.why})`;

Deno.test("a package list maps to one folder whatever its order", async () => {
  assertEquals(await cacheKey(["npm:a@1", "npm:b@2"]), await cacheKey(["npm:b@2", "npm:a@1"]));
  assert(await cacheKey(["npm:a@1"]) !== await cacheKey(["npm:a@2"]));
});

Deno.test("the package named in deno cache's error is the one reported", () => {
  const list = ["npm:yaml@2.9.1", "npm:yaml-x@1.0.0"];
  assertEquals(culprit("error: npm package 'yaml-x' does not exist.", list), "npm:yaml-x@1.0.0");
  assertEquals(
    culprit("error: Could not find npm package 'yaml' matching '99.0.0'.", list),
    "npm:yaml@2.9.1",
  );
  assertMatch(
    npmImportFix('npm package not found in cache: "left-pad"', "qa")!,
    /permissions\.npm/,
  );
  assertMatch(npmImportFix("but --no-npm is specified", "qa")!, /permissions\.npm of "qa"/);
  assertEquals(npmImportFix("SyntaxError: x", "qa"), undefined);
});

Deno.test("packages are fetched once into a folder of their own, marked ready", async () => {
  const root = await Deno.makeTempDir({ prefix: "mmdbot-npm-" });
  try {
    const dir = await prepareNpmCache("t", ["npm:yaml@2.9.1"], {
      root,
      hostEnv: Deno.env.toObject(),
    });
    assert(dir.startsWith(root));
    const ready = JSON.parse(await Deno.readTextFile(`${dir}/${READY_FILE}`));
    assertEquals(ready.packages, ["npm:yaml@2.9.1"]);
    await Deno.stat(`${dir}/npm/registry.npmjs.org/yaml/2.9.1/package.json`);
    // Prepared: no download again (a Deno binary that does not exist would fail one).
    const again = await prepareNpmCache("t", ["npm:yaml@2.9.1"], {
      root,
      denoPath: "/nonexistent/deno",
    });
    assertEquals(again, dir);
    // No half-prepared folder is left behind.
    const names = [...Deno.readDirSync(root)].map((e) => e.name);
    assertEquals(names.filter((n) => n.startsWith(".preparing-")), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a package that cannot be fetched fails with an error naming it", async () => {
  const root = await Deno.makeTempDir({ prefix: "mmdbot-npm-" });
  try {
    const error = await assertRejects(
      () =>
        prepareNpmCache("t", ["npm:yaml@2.9.1", "npm:mmdbot-no-such-package-zz9@1.0.0"], {
          root,
          hostEnv: Deno.env.toObject(),
        }),
      NpmCacheError,
    );
    assertEquals(error.packageName, "npm:mmdbot-no-such-package-zz9@1.0.0");
    assertMatch(error.message, /bot "t".*mmdbot-no-such-package-zz9.*Fix:/s);
    assertEquals([...Deno.readDirSync(root)].length, 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test(`a bot imports the npm package its manifest grants, and no other, at ${level}`, async () => {
  await using rt = await createTestRuntime({ bots: ["granted"], manifest: MANIFEST });
  await rt.say("hello");
  const line = await rt.waitForSent(/^MESSAGE\|/);
  assertEquals(line, "MESSAGE|said: hello|left-pad denied");
});

Deno.test(`a bot importing an npm package its manifest does not name is refused with the fix, at ${level}`, async () => {
  for (const name of ["ungranted", "other"]) {
    const error = await assertRejects(
      () => createTestRuntime({ bots: [name], manifest: MANIFEST }),
      Error,
    );
    assertMatch(error.message, new RegExp(`bot ${name} did not start`));
    assertMatch(error.message, new RegExp(`fix: bot "${name}" imports .*permissions\\.npm`));
  }
});

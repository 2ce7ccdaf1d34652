/** The path helpers: containment, the project's own files, and the printed Deno invocation. */
import { assert, assertEquals } from "../assert.ts";
import { isInside } from "../../runtime/paths/inside.ts";
import {
  CLI_MAIN,
  DEFAULT_MANIFEST,
  manifestPath,
  PROJECT_DIR,
} from "../../runtime/paths/project.ts";
import {
  anyScriptCommand,
  anyScriptTrouble,
  denoWords,
  isNpxCache,
} from "../../runtime/paths/invocation.ts";
import { findOnPath } from "../../runtime/paths/which.ts";
import { fileURLToPath } from "node:url";

Deno.test("isInside compares resolved paths, not string prefixes", () => {
  assert(isInside("/a/b/c.ts", "/a/b"));
  assert(isInside("/a/b/../b/c", "/a/b"));
  assert(!isInside("/a/bc", "/a/b"), "a sibling sharing the prefix is outside");
  assert(!isInside("/a/b/../x", "/a/b"));
  assert(!isInside("/a/b", "/a/b"), "the folder itself is not inside it by default");
  assert(isInside("/a/b", "/a/b/", { orSame: true }));
  assert(isInside("/a/b/..x", "/a/b"), "a name starting with two dots is inside");
});

Deno.test("the default manifest is the project's bots/bots.yaml whatever the working directory", () => {
  assertEquals(PROJECT_DIR + "/", fileURLToPath(new URL("../../", import.meta.url)));
  assertEquals(DEFAULT_MANIFEST, `${PROJECT_DIR}/bots/bots.yaml`);
  assertEquals(CLI_MAIN, `${PROJECT_DIR}/runtime/cli/main.ts`);
  assertEquals(manifestPath(undefined, "/somewhere/else"), DEFAULT_MANIFEST);
  assertEquals(manifestPath("my.yaml", "/home/me"), "/home/me/my.yaml");
  assertEquals(manifestPath("/abs/m.yaml", "/home/me"), "/abs/m.yaml");
});

Deno.test("Deno is named by absolute path, or through npx when the binary lives in npx's cache", () => {
  assertEquals(denoWords("/usr/local/bin/deno", "2.9.6"), ["/usr/local/bin/deno"]);
  const cached = "/home/u/.npm/_npx/5f3e/node_modules/deno/bin/deno";
  assert(isNpxCache(cached));
  assertEquals(denoWords(cached, "2.9.6"), ["npx", "-y", "deno@2.9.6"]);
});

Deno.test("the AnyScript line is absolute, shell-free and names the manifest only when not the default", () => {
  const line = anyScriptCommand({ deno: ["/opt/deno"] });
  const words = line.split(" ");
  assertEquals(words[0], "/opt/deno");
  assert(words.includes(CLI_MAIN), line);
  assert(words.includes(`${PROJECT_DIR}/deno.json`), line);
  assertEquals(words.slice(-2), ["start", "--stdio"]);
  assert(!/["'|&;<>~$]/.test(line), `shell syntax in ${line}`);
  const other = anyScriptCommand({ deno: ["/opt/deno"], manifest: "/x/bots.yaml" });
  assertEquals(other.split(" ").slice(-4), ["start", "--stdio", "--bots", "/x/bots.yaml"]);
  assertEquals(anyScriptTrouble(line, ["/no/spaces"]), undefined);
  assert(anyScriptTrouble(line, ["/with space/x"])?.includes("/with space/x"));
});

Deno.test("findOnPath finds an executable as execvp would and skips names with a separator", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/tool`, "#!/bin/sh\n", { mode: 0o755 });
    Deno.writeTextFileSync(`${dir}/plain`, "", { mode: 0o644 });
    assertEquals(findOnPath("tool", `/nonexistent:${dir}`), `${dir}/tool`);
    assertEquals(findOnPath("plain", dir), undefined, "not executable");
    assertEquals(findOnPath("missing", dir), undefined);
    assertEquals(findOnPath(`${dir}/tool`, dir), undefined);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

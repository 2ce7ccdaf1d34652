import { assert, assertEquals, assertMatch } from "../assert.ts";
import { detectSandbox, parseLdd, weakerWarning } from "../../runtime/sandbox/detect.ts";
import { isolationLine, refusedLine } from "../../runtime/sandbox/report.ts";
import { buildLaunch, SandboxUnavailableError } from "../../runtime/sandbox/launch.ts";

const hasBwrap = Deno.build.os === "linux" &&
  (await new Deno.Command("sh", { args: ["-c", "command -v bwrap"], stdout: "null" }).output())
    .success;

Deno.test("ldd output becomes one bind per library at the path the loader asks for", () => {
  const text = [
    "\tlinux-vdso.so.1 (0x00007ffd)",
    "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f86)",
    "\t/lib64/ld-linux-x86-64.so.2 (0x00007f86)",
    "\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f86)",
  ].join("\n");
  assertEquals(parseLdd(text), [
    { target: "/lib/x86_64-linux-gnu/libc.so.6" },
    { target: "/lib64/ld-linux-x86-64.so.2" },
    { target: "/lib/x86_64-linux-gnu/libm.so.6" },
  ]);
});

Deno.test({
  name: "with a working bwrap the OS level is detected, with its version and Deno's libraries",
  ignore: !hasBwrap,
  fn: async () => {
    const detected = await detectSandbox();
    assertEquals(detected.level, "os");
    assertEquals(detected.os.available, true);
    assertEquals(detected.os.tool, "bubblewrap");
    assertMatch(detected.os.version ?? "", /^\d+\.\d+/);
    assert(detected.libs.length > 0);
    assertEquals(detected.denoPath, Deno.execPath());
  },
});

Deno.test("without bwrap on the search path the weaker level is reported, naming the package", async () => {
  const detected = await detectSandbox({ searchPath: "/nonexistent" });
  assertEquals(detected.level, "deno");
  assertEquals(detected.os.available, false);
  if (Deno.build.os === "linux") assertMatch(detected.os.why, /bwrap not found.*bubblewrap/);
  const warning = weakerWarning(detected);
  assertMatch(warning, /^WARNING: bots run with WEAKER isolation/);
  assertMatch(warning, /import\(\)/);
  const error = (() => {
    try {
      buildLaunch({
        name: "vault",
        botDir: "/b/vault",
        entry: "/r/entry.ts",
        apiPaths: [],
        entryArgs: [],
        permissions: { read: false, write: false, net: false, env: false, run: false, npm: [] },
        heapMb: 64,
        require: "os",
      }, detected);
    } catch (e) {
      return e as Error;
    }
  })();
  assert(error instanceof SandboxUnavailableError);
  assertMatch(
    refusedLine("vault", error),
    /^vault: NOT STARTED \(bot "vault" requires isolation: os/,
  );
});

Deno.test("forcing the weaker level reports it as requested", async () => {
  const detected = await detectSandbox({ force: "deno" });
  assertEquals(detected.level, "deno");
});

Deno.test("the per-bot report line says the level, the tool and what the bot reaches", () => {
  assertEquals(
    isolationLine("greeter", {
      level: "os",
      why: "bubblewrap 0.8.0: own folder read-only, no network",
    }),
    "greeter: os (bubblewrap 0.8.0: own folder read-only, no network)",
  );
});

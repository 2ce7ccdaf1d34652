import { assert, assertEquals, assertMatch, assertThrows } from "../assert.ts";
import type { BotPermissions } from "../../runtime/manifest/types.ts";
import type { DetectedSandbox } from "../../runtime/sandbox/detect.ts";
import { buildLaunch, SandboxUnavailableError } from "../../runtime/sandbox/launch.ts";
import type { LaunchSpec } from "../../runtime/sandbox/types.ts";

const NONE: BotPermissions = {
  read: false,
  write: false,
  net: false,
  env: false,
  run: false,
  npm: [],
};

const STRONG: DetectedSandbox = {
  level: "os",
  os: { available: true, tool: "bubblewrap", path: "/usr/bin/bwrap", version: "0.8.0", why: "ok" },
  denoPath: "/opt/deno",
  libs: [{ source: "/usr/lib/libc.so.6", target: "/lib/libc.so.6" }],
  prlimit: "/usr/bin/prlimit",
  platform: "linux",
  tmpDir: "/tmp",
};

const WEAK: DetectedSandbox = {
  ...STRONG,
  level: "deno",
  os: { available: false, tool: null, why: "bwrap not found on PATH" },
};

function spec(overrides: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    name: "greeter",
    botDir: "/app/bots/greeter",
    entry: "/app/runtime/bot/entry.ts",
    apiPaths: ["/app/mod.ts", "/app/runtime/bot"],
    entryArgs: ["--bot", "/app/bots/greeter/bot.ts"],
    permissions: NONE,
    heapMb: 64,
    require: "any",
    ...overrides,
  };
}

const DENO_ARGS = [
  "run",
  "--no-prompt",
  "--no-remote",
  "--no-npm",
  "--no-config",
  "--no-lock",
  "--no-check",
  "--v8-flags=--max-old-space-size=64",
  "--allow-read=/app/mod.ts,/app/runtime/bot,/app/runtime/bot/entry.ts,/app/bots/greeter",
  "/app/runtime/bot/entry.ts",
  "--bot",
  "/app/bots/greeter/bot.ts",
];

const ENV = {
  NO_COLOR: "1",
  DENO_DIR: "/tmp/deno-dir",
  HOME: "/tmp/home",
  DENO_NO_UPDATE_CHECK: "1",
  PATH: "/usr/local/bin:/usr/bin:/bin",
};

Deno.test("a bot without permissions gets exactly this bubblewrap command line", () => {
  const plan = buildLaunch(spec(), STRONG);
  assertEquals(plan.cmd, "/usr/bin/bwrap");
  assertEquals(plan.args, [
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--clearenv",
    ...Object.entries(ENV).flatMap(([k, v]) => ["--setenv", k, v]),
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--tmpfs",
    "/tmp",
    "--ro-bind",
    "/usr/lib/libc.so.6",
    "/lib/libc.so.6",
    "--ro-bind",
    "/opt/deno",
    "/opt/deno",
    "--ro-bind",
    "/app/mod.ts",
    "/app/mod.ts",
    "--ro-bind",
    "/app/runtime/bot",
    "/app/runtime/bot",
    "--ro-bind",
    "/app/runtime/bot/entry.ts",
    "/app/runtime/bot/entry.ts",
    "--ro-bind",
    "/app/bots/greeter",
    "/app/bots/greeter",
    "--chdir",
    "/app/bots/greeter",
    "/opt/deno",
    ...DENO_ARGS,
  ]);
  assertEquals(plan.env, ENV);
  assertEquals(plan.level, "os");
  assertEquals(plan.cwd, "/app/bots/greeter");
  assertEquals(plan.why, "bubblewrap 0.8.0: own folder read-only, no network");
});

Deno.test("at the deno level the command is deno itself with the same flags and a private cache", () => {
  const plan = buildLaunch(spec(), WEAK);
  assertEquals(plan.cmd, "/opt/deno");
  assertEquals(plan.args, DENO_ARGS);
  assertEquals(plan.env, {
    ...ENV,
    DENO_DIR: "/tmp/mmdbot-bot-greeter/deno-dir",
    HOME: "/tmp/mmdbot-bot-greeter/home",
  });
  assertEquals(plan.level, "deno");
  assertMatch(plan.why, /^WEAKER: bwrap not found on PATH; .*import\(\) can read any file/);
});

Deno.test("isolation: os without the OS layer refuses, naming bwrap and the bubblewrap package", () => {
  const error = assertThrows(
    () => buildLaunch(spec({ require: "os" }), WEAK),
    SandboxUnavailableError,
  );
  assertMatch(error.message, /bot "greeter" requires isolation: os/);
  assertMatch(error.message, /bwrap not found on PATH/);
  assertMatch(error.message, /apt-get install bubblewrap/);
  assertEquals(buildLaunch(spec({ require: "os" }), STRONG).level, "os");
});

Deno.test("granted permissions become scoped Deno flags and matching binds; never ffi, sys or all", () => {
  const permissions: BotPermissions = {
    read: ["/data/qa"],
    write: ["/app/bots/greeter", "/var/out"],
    net: ["api.example.com:443"],
    env: ["API_KEY", "MISSING"],
    run: false,
    npm: [],
  };
  const plan = buildLaunch(spec({ permissions }), STRONG, {
    hostEnv: { API_KEY: "k", SECRET: "s", HOME: "/root" },
  });
  const args = plan.args;
  assert(args.includes("--share-net"));
  assert(
    args.includes(
      "--allow-read=/app/mod.ts,/app/runtime/bot,/app/runtime/bot/entry.ts," +
        "/app/bots/greeter,/data/qa",
    ),
  );
  assert(args.includes("--allow-write=/app/bots/greeter,/var/out"));
  assert(args.includes("--allow-net=api.example.com:443"));
  assert(args.includes("--allow-env=API_KEY,MISSING"));
  assert(!args.some((a) => /--allow-(run|ffi|sys|all)|^-A$/.test(a)));
  const text = args.join(" ");
  assert(text.includes("--bind /app/bots/greeter /app/bots/greeter"), "own folder writable");
  assert(text.includes("--ro-bind-try /data/qa /data/qa"));
  assert(text.includes("--bind-try /var/out /var/out"));
  assert(text.includes("--ro-bind-try /etc/resolv.conf /etc/resolv.conf"));
  assertEquals(plan.env.API_KEY, "k");
  assertEquals(plan.env.SECRET, undefined);
  assertEquals(plan.env.HOME, "/tmp/home");
  assert(!text.includes("SECRET"));
  assertEquals(
    plan.why,
    "bubblewrap 0.8.0: own folder read-write, also reads /data/qa, writes " +
      "/var/out, network to api.example.com:443, env API_KEY, MISSING",
  );
});

Deno.test("no network grant means no --share-net: the bot gets an empty network namespace", () => {
  assert(!buildLaunch(spec(), STRONG).args.includes("--share-net"));
  const empty = buildLaunch(spec({ permissions: { ...NONE, net: [] } }), STRONG);
  assert(!empty.args.includes("--share-net"));
  assert(!empty.args.some((a) => a.startsWith("--allow-net")));
});

Deno.test("read: true binds the root read-only first; write: true binds it read-write", () => {
  const read = buildLaunch(spec({ permissions: { ...NONE, read: true } }), STRONG);
  assertEquals(read.args.slice(0, 3), ["--ro-bind", "/", "/"]);
  assert(read.args.includes("--allow-read"));
  const write = buildLaunch(spec({ permissions: { ...NONE, write: true } }), STRONG);
  assertEquals(write.args.slice(0, 3), ["--bind", "/", "/"]);
  assert(write.args.includes("--allow-write"));
});

Deno.test("a CPU-time limit wraps the whole command in prlimit at either level", () => {
  const strong = buildLaunch(spec({ cpuSeconds: 5 }), STRONG);
  assertEquals([strong.cmd, ...strong.args.slice(0, 3)], [
    "/usr/bin/prlimit",
    "--cpu=5:6",
    "--",
    "/usr/bin/bwrap",
  ]);
  const weak = buildLaunch(spec({ cpuSeconds: 5 }), WEAK);
  assertEquals([weak.cmd, ...weak.args.slice(0, 3)], [
    "/usr/bin/prlimit",
    "--cpu=5:6",
    "--",
    "/opt/deno",
  ]);
  const none = buildLaunch(spec({ cpuSeconds: 5 }), { ...WEAK, prlimit: undefined });
  assertEquals(none.cmd, "/opt/deno");
});

Deno.test("env: true passes the host environment; env: false passes none of it", () => {
  const all = buildLaunch(spec({ permissions: { ...NONE, env: true } }), STRONG, {
    hostEnv: { A: "1", B: "2" },
  });
  assertEquals([all.env.A, all.env.B], ["1", "2"]);
  assert(all.args.includes("--allow-env"));
  const none = buildLaunch(spec(), STRONG, { hostEnv: { A: "1" } });
  assertEquals(none.env.A, undefined);
});

Deno.test("npm packages switch --no-npm to --cached-only over a prepared folder mounted read-only", () => {
  const permissions = { ...NONE, npm: ["npm:lodash@4.17.21"] };
  assertThrows(() => buildLaunch(spec({ permissions }), STRONG), Error);
  const plan = buildLaunch(spec({ permissions, npmCache: "/var/cache/np" }), STRONG);
  assert(plan.args.includes("--cached-only") && !plan.args.includes("--no-npm"));
  // Only the npm tree, read-only, inside the private DENO_DIR: the rest of the folder is unseen.
  assert(plan.args.join(" ").includes("--ro-bind /var/cache/np/npm /tmp/deno-dir/npm"));
  assert(!plan.args.join(" ").includes("--bind /var/cache/np "));
  assertEquals(plan.env.DENO_DIR, "/tmp/deno-dir");
  const weak = buildLaunch(spec({ permissions, npmCache: "/var/cache/np" }), WEAK);
  assertEquals(weak.env.DENO_DIR, "/var/cache/np");
  assert(weak.args.includes("--cached-only"));
  const none = buildLaunch(spec({ npmCache: "/var/cache/np" }), STRONG);
  assert(none.args.includes("--no-npm") && !none.args.join(" ").includes("/var/cache/np"));
});

Deno.test("relative paths and scopes containing a comma are refused", () => {
  assertThrows(() => buildLaunch(spec({ botDir: "bots/greeter" }), STRONG), Error);
  assertThrows(
    () => buildLaunch(spec({ permissions: { ...NONE, read: ["/a,b"] } }), STRONG),
    Error,
  );
});

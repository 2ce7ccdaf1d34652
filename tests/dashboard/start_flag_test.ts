/**
 * `start --dashboard` end to end: the real CLI as a child process in console mode prints the URL to
 * open (on stderr: stdout stays the conversation), serves the page behind the token for as long as
 * the session runs, and closes it with the session.
 */
import { assert, assertEquals, assertIncludes, assertThrows } from "../assert.ts";
import { dashboardPort } from "../../runtime/cli/start.ts";

const MAIN = new URL("../../runtime/cli/main.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

function startCli(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", MAIN, ...args],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MMDBOT_RUNTIME_DIR: Deno.makeTempDirSync() },
  }).spawn();
}

Deno.test("start --dashboard prints a 127.0.0.1 URL with a token, serves it while running, and closes it at exit", async () => {
  const child = startCli(["start", "--no-watch", "--dashboard"]);
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let err = "";
  try {
    let url: string | undefined;
    while (!url) {
      const { value, done } = await stderr.read();
      if (done) throw new Error(`start ended before printing the dashboard URL:\n${err}`);
      err += value;
      url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43})/.exec(err)?.[1];
    }
    const page = await fetch(url);
    assertEquals(page.status, 200);
    assertIncludes(await page.text(), "mmdbot dashboard");
    const base = url.replace(/\/\?token=.*/, "/");
    const bare = await fetch(base);
    assertEquals(bare.status, 401);
    await bare.body?.cancel();

    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode("hello\n"));
    await w.close();
    const [status, stdout] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      (async () => {
        for (;;) {
          const { value, done } = await stderr.read();
          if (done) return;
          err += value;
        }
      })(),
    ]);
    assertEquals(status.code, 0, err);
    assertIncludes(stdout, "mei says: Hello! Nice to meet you.");
    assert(!stdout.includes("token="), "the URL must not go to stdout");
    const gone = await fetch(base).then(() => "answered", (e) => String(e));
    assert(gone !== "answered", "the dashboard still answers after the session ended");
  } finally {
    clearTimeout(guard);
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }
});

Deno.test("start --dashboard with a value that is not a port says so and exits 2", async () => {
  const child = startCli(["start", "--no-watch", "--dashboard", "8o80"]);
  await child.stdin.close();
  const out = await child.output();
  assertEquals(out.code, 2);
  assertIncludes(new TextDecoder().decode(out.stderr), "expected a port number");
});

Deno.test("the dashboard port comes from the flag, else from MMDBOT_DASHBOARD; --no-dashboard wins", () => {
  assertEquals(dashboardPort(undefined, undefined), undefined);
  assertEquals(dashboardPort(true, undefined), 0);
  assertEquals(dashboardPort("8787", undefined), 8787);
  assertEquals(dashboardPort(undefined, "1"), 0);
  assertEquals(dashboardPort(undefined, "8787"), 8787);
  assertEquals(dashboardPort(undefined, "off"), undefined);
  assertEquals(dashboardPort(false, "1"), undefined);
  assertEquals(dashboardPort("9000", "8787"), 9000);
  assertThrows(() => dashboardPort(undefined, "yes please"), /MMDBOT_DASHBOARD/);
  assertThrows(() => dashboardPort("70000", undefined), /port number/);
});

Deno.test("start --dashboard on a port already in use says so and exits 1 instead of hanging", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const child = startCli(["start", "--no-watch", "--dashboard", String(port)]);
    await child.stdin.close();
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const out = await child.output();
    clearTimeout(guard);
    const err = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 1, err);
    assertIncludes(err, `port ${port} on 127.0.0.1 is in use`);
  } finally {
    taken.close();
  }
});

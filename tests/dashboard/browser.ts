/**
 * A real browser for the dashboard tests: Debian's chromium, driven by playwright-core (npm), with a
 * fresh profile per launch and every background service off, so it talks to nothing but the
 * dashboard on 127.0.0.1.
 *
 * Two things playwright-core needs under Deno 2.9.6 (measured): `--allow-sys=homedir` (it calls
 * `os.homedir()` while loading; `deno task test` grants it), and its WSL probe skipped: at load it
 * checks `/proc/sys/fs/binfmt_misc/WSLInterop`, which Deno lets only `--allow-all` read. Setting
 * `__IS_WSL_TEST__` before the import defers that probe to a function nothing we use calls.
 *
 * Where chromium is missing (a dev machine), the tests are skipped with a message saying how to get
 * it; `.ci/run` installs it and sets `MMDBOT_REQUIRE_BROWSER=1`, under which a missing browser fails.
 */
import type { BrowserContext } from "playwright-core";

/** Debian's chromium (overridable for other systems). */
export const CHROMIUM = Deno.env.get("MMDBOT_CHROMIUM") ?? "/usr/bin/chromium";

/** Launch arguments: headless, no sandbox (tests may run as root), nothing phoning home. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Why the browser tests cannot run here, or undefined when they can. */
export async function browserMissing(): Promise<string | undefined> {
  try {
    const info = await Deno.stat(CHROMIUM);
    if (!info.isFile) return `${CHROMIUM} is not a file`;
  } catch {
    return `no chromium at ${CHROMIUM}: install it (apt-get install chromium) or set MMDBOT_CHROMIUM`;
  }
  const sys = await Deno.permissions.query({ name: "sys", kind: "homedir" });
  if (sys.state !== "granted") {
    return "playwright-core needs --allow-sys=homedir (deno task test grants it)";
  }
  return undefined;
}

/** Whether a missing browser is a failure (CI) rather than a skip (a dev machine). */
export const BROWSER_REQUIRED = Deno.env.get("MMDBOT_REQUIRE_BROWSER") === "1";

/** A launched browser with its own fresh profile; `close()` removes the profile too. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches chromium headless with a fresh user-data-dir. */
export async function launchBrowser(): Promise<TestBrowser> {
  Deno.env.set("__IS_WSL_TEST__", "1");
  const { chromium } = await import("playwright-core");
  const profile = await Deno.makeTempDir({ prefix: "mmdbot-chromium-" });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: { width: 1280, height: 800 },
      timeout: 60_000,
    });
  } catch (e) {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    throw e;
  }
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Registers a browser test: skipped with the reason when chromium cannot run here, failed instead
 * when {@link BROWSER_REQUIRED}.
 */
export async function browserTest(
  name: string,
  fn: (b: TestBrowser, t: Deno.TestContext) => Promise<void>,
) {
  const missing = await browserMissing();
  if (missing && !BROWSER_REQUIRED) {
    console.warn(`dashboard browser test skipped: ${missing}`);
  }
  Deno.test({
    name,
    ignore: missing !== undefined && !BROWSER_REQUIRED,
    // playwright keeps its own pipes and timers between calls; each test closes its browser.
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      if (missing) throw new Error(`browser required (MMDBOT_REQUIRE_BROWSER=1): ${missing}`);
      const browser = await launchBrowser();
      try {
        await fn(browser, t);
      } finally {
        await browser.close();
      }
    },
  });
}

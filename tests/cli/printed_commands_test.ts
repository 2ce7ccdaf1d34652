/**
 * Every command mmdbot prints for a person to type works on a machine without a global `mmdbot`
 * or `deno`: with no `deno` on PATH it is spelt `npx -y deno@<version> task …`, and from a folder
 * other than the project it names the project's deno.json and absolute paths. The printed line is
 * then run as printed (npx swapped for this Deno, so the test needs no network) from another
 * folder. Real child processes.
 */
import { assert, assertEquals, assertIncludes } from "../assert.ts";
import { mmdbotCommand, shellPath } from "../../runtime/paths/invocation.ts";
import { PROJECT_DIR } from "../../runtime/paths/project.ts";
import { mmdbot } from "./child.ts";
const dec = new TextDecoder();

function cli(args: string[], cwd: string, path: string) {
  return mmdbot(args, { cwd, env: { PATH: path } });
}

/** Runs a printed command line (no shell syntax in it but quoting) with `npx -y deno@…` as Deno. */
async function runPrinted(line: string, cwd: string) {
  const words = line.match(/'[^']*'|\S+/g)!.map((w) => w.replace(/^'(.*)'$/, "$1"));
  const [first, ...rest] = words;
  const args = first === "npx" ? rest.slice(2) : rest; // drop "-y deno@x"
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1", MMDBOT_RUNTIME_DIR: Deno.makeTempDirSync() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("without deno on PATH, the start command that `status` prints names npx and works as printed from another folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-printed-" });
  try {
    const mdf = `${dir}/content.mdf`;
    await Deno.writeTextFile(mdf, "Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=1\n");
    const r = await cli(["status", mdf], dir, "/nonexistent");
    assertEquals(r.code, 1, r.stderr);
    const printed = /`([^`]+)`/.exec(r.stderr)?.[1] ?? "";
    assert(
      printed.startsWith(`npx -y deno@${Deno.version.deno} task --config `),
      `not runnable without a global deno: ${r.stderr}`,
    );
    assertIncludes(printed, `mmdbot start ${mdf}`);
    // The same line with check instead of start (start would run until stopped).
    const checked = await runPrinted(
      printed.replace(" mmdbot start ", " mmdbot check --no-bots "),
      dir,
    );
    assertEquals(checked.code, 0, checked.stdout + checked.stderr);
    assertIncludes(checked.stdout, "mmdbot connects: TCP client to 127.0.0.1:1");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the `check --help` an .mdf lint finding points to runs as printed, from the .mdf's folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-printed-" });
  try {
    const mdf = `${dir}/content.mdf`;
    await Deno.writeTextFile(mdf, "Plugin_Remote_EnableServer=true\nPlugin_Remote_Bogus=1\n");
    const r = await cli(["check", "--no-bots", mdf], dir, "/nonexistent");
    const printed = /see `([^`]+)`/.exec(r.stdout + r.stderr)?.[1] ?? "";
    assert(printed.endsWith("mmdbot check --help"), r.stdout + r.stderr);
    assert(printed.startsWith("npx -y deno@"), printed);
    const help = await runPrinted(printed, dir);
    assertEquals(help.code, 0, help.stderr);
    assertIncludes(help.stdout, "Usage: mmdbot check");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("in the project folder the printed form is the short task, and paths that need it are quoted", () => {
  assertEquals(
    mmdbotCommand("new <name>", { cwd: PROJECT_DIR, deno: "deno" }),
    "deno task mmdbot new <name>",
  );
  assertEquals(
    mmdbotCommand("stop", { cwd: "/", deno: "deno" }),
    `deno task --config ${shellPath(`${PROJECT_DIR}/deno.json`)} mmdbot stop`,
  );
  assertEquals(shellPath("/a b/it's.mdf"), `'/a b/it'\\''s.mdf'`);
});

/**
 * mmdbot as a Plugin_AnyScript child: a real child process runs a stdio link; this test plays
 * MMDAgent-EX (writes `TYPE|ARGS\n` to its stdin, reads lines from its stdout).
 */
import { assert, assertEquals } from "../assert.ts";
import { EventReader, guard, pause, unit } from "./helpers.ts";
import { openLink } from "../../runtime/session/open_link.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const FIXTURE = new URL("./fixtures/stdio_echo.ts", import.meta.url).pathname;

function spawnChild(): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-env", "--allow-read", FIXTURE],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

/** Reads stdout until `want` bytes' worth of text arrived. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  have: { text: string },
  want: string,
): Promise<void> {
  await guard(
    (async () => {
      while (!have.text.includes(want)) {
        const r = await reader.read();
        if (r.done) throw new Error(`stdout ended; got ${JSON.stringify(have.text)}`);
        have.text += dec.decode(r.value, { stream: true });
      }
    })(),
    20_000,
    `stdout to contain ${want}`,
  );
}

Deno.test("stdio: lines on stdin come back on stdout, stdout carries only message lines, EOF on stdin ends the child", async () => {
  const child = spawnChild();
  const stdin = child.stdin.getWriter();
  const stdout = child.stdout.getReader();
  const stderrText = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const have = { text: "" };

  const input = enc.encode("A|1\nB|äö漢字\r\nC|x\n");
  const cut = input.indexOf(0xe6) + 1; // inside 漢 (e6 bc a2)
  await stdin.write(input.subarray(0, cut));
  await pause(20);
  await stdin.write(input.subarray(cut));
  await readUntil(stdout, have, "ECHO|C|x\n");
  assertEquals(have.text, "ECHO|A|1\nECHO|B|äö漢字\nECHO|C|x\n");

  // MMDAgent-EX's reader spins if the child exits early: it must stay up while stdin is open.
  await pause(300);
  assertEquals(exited, false);

  await stdin.close();
  const s = await guard(status, 10_000, "child exit after EOF on stdin");
  assertEquals(s.code, 0);
  for (;;) {
    const r = await stdout.read();
    if (r.done) break;
    have.text += dec.decode(r.value, { stream: true });
  }
  assertEquals(have.text, "ECHO|A|1\nECHO|B|äö漢字\nECHO|C|x\n", "nothing else on stdout");
  const err = await stderrText;
  assert(err.includes("link closed"), `the log went to stderr: ${err}`);
});

Deno.test("stdio: a child whose stdin is closed at once exits cleanly with empty stdout", async () => {
  const child = spawnChild();
  await child.stdin.close();
  const [s, out] = await guard(
    Promise.all([
      child.status,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]),
    10_000,
    "child exit",
  );
  assertEquals([s.code, out], [0, ""]);
});

Deno.test("stdio: close() while stdin is still open flushes, ends the events and returns", async () => {
  const written: string[] = [];
  let feed!: ReadableStreamDefaultController<Uint8Array>;
  const input = new ReadableStream<Uint8Array>({ start: (c) => void (feed = c) });
  const link = await openLink({ mode: "stdio" }, {
    stdio: {
      input,
      output: {
        write(p) {
          written.push(dec.decode(p));
          return Promise.resolve(p.length);
        },
      },
    },
  });
  const ev = new EventReader(link.events());
  await ev.state("connected");
  feed.enqueue(enc.encode("IN|1\n"));
  assertEquals(await ev.lines(1), ["IN|1"]);
  assertEquals((await link.send(unit("OUT|1"))).status, "written");
  await guard(link.close(), 10_000, "close with stdin open");
  assertEquals(written, ["OUT|1\n"], "one write per unit");
  const last = (await ev.rest()).at(-1);
  assert(last?.kind === "state" && last.state === "closed");
});

import { assertEquals, eventually } from "../assert.ts";
import { MAX_PENDING_INPUT, spawnBot } from "../../runtime/host/process.ts";
import type { BotToHost } from "../../runtime/bot/protocol.ts";

// A child that answers each read of its stdin with the number of lines it got in that read.
const COUNTER = "const b=new Uint8Array(1<<20);const e=new TextEncoder();for(;;){" +
  "const n=await Deno.stdin.read(b);if(n===null)break;let c=0;for(let i=0;i<n;i++)if(b[i]===10)c++;" +
  'Deno.stdout.writeSync(e.encode(JSON.stringify({t:"log",level:"info",msg:String(c)})+"\\n"));}';

Deno.test("lines written to a bot in one turn reach it in one pipe write", async () => {
  const reads: number[] = [];
  const proc = spawnBot({
    cmd: Deno.execPath(),
    args: ["eval", COUNTER],
    env: { DENO_DIR: Deno.makeTempDirSync(), NO_COLOR: "1" },
    level: "deno",
    why: "test",
  } as never, {
    onMessage: (m: BotToHost) => {
      if (m.t === "log") reads.push(Number(m.msg));
    },
    onOutput: () => {},
  });
  try {
    for (let i = 0; i < 100; i++) proc.write(`{"t":"ping","id":${i}}`);
    await eventually(() => reads.reduce((a, b) => a + b, 0) === 100, "all 100 lines read");
    assertEquals(reads, [100]);
  } finally {
    proc.kill();
    await proc.exited;
  }
});

Deno.test("a bot that stops reading its stdin makes the host hold at most MAX_PENDING_INPUT for it: past that the overflow is reported once and later writes are dropped", async () => {
  const overflows: number[] = [];
  // Never reads stdin: the pipe fills and every later write waits in the host.
  const proc = spawnBot({
    cmd: Deno.execPath(),
    args: ["eval", "setInterval(() => {}, 1000)"],
    env: { DENO_DIR: Deno.makeTempDirSync(), NO_COLOR: "1" },
    level: "deno",
    why: "test",
  } as never, {
    onMessage: () => {},
    onOutput: () => {},
    onInputOverflow: (n) => overflows.push(n),
  });
  try {
    const line = `{"t":"ping","id":1,"pad":"${"x".repeat(64 * 1024)}"}`;
    const lines = Math.ceil(MAX_PENDING_INPUT / line.length) + 200;
    for (let i = 0; i < lines; i++) {
      proc.write(line);
      // Lets the writes the kernel still takes complete, as the host's event loop would.
      if (i % 64 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    assertEquals(overflows.length, 1);
    const held = overflows[0];
    // Reported when the next line would pass the bound, not before.
    assertEquals(held >= MAX_PENDING_INPUT && held < MAX_PENDING_INPUT + 2 * line.length, true);
  } finally {
    proc.kill();
    await proc.exited;
  }
});

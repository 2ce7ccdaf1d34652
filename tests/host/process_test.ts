import { assertEquals, eventually } from "../assert.ts";
import { spawnBot } from "../../runtime/host/process.ts";
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

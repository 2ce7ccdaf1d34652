/**
 * Soak: many lines through one real (sandboxed) bot process in each handler form — one-line
 * (promise returned) and block body (promise dropped) fire-and-forget, and awaited — with default
 * budgets (only the rate limit lifted, as any load harness must). Proves no restart, nothing lost,
 * the host's heap flat after a full GC, and the bot's memory bounded by its heap budget rather
 * than by the number of lines.
 *
 * It runs `bench/soak.ts` as its own process, with `--expose-gc`, so the host's heap is measured
 * after a real full GC (the test runner cannot force one). The count is set for CI speed
 * (`MMDBOT_SOAK_LINES` raises it; `deno task bench` runs a million per form).
 *
 * Before the lazy send tickets, the block-body form kept every send in the bot and died of OOM
 * after about 131k lines; with 150k per form that code fails here (a restart and lost lines).
 */
import { assert, assertEquals } from "../assert.ts";
import type { SoakResult } from "../../bench/soak.ts";

const LINES = Number(Deno.env.get("MMDBOT_SOAK_LINES") ?? 150_000);
/** Growth of the host's heap after a full GC, warm-up to end (MiB): noise, not a leak's slope. */
const HOST_HEAP_BOUND_MB = 8;
/**
 * The bot's resident memory may grow after warm-up by at most its V8 heap budget (V8 lets garbage
 * pile up to the cap before collecting it fully; a leak would reach the cap and restart the bot)
 * plus this much for everything outside the heap.
 */
const BOT_SLACK_MB = 24;

const DRIVER = new URL("../../bench/soak.ts", import.meta.url).pathname;

Deno.test({
  name:
    "soak: fire-and-forget (both handler forms) and awaited sends through one bot: no restart, nothing lost, memory flat",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "-A", "--v8-flags=--expose-gc", DRIVER, String(LINES), "--json"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert(out.success, `soak driver failed: ${stderr}`);
    const r: SoakResult = JSON.parse(
      new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!,
    );
    const figures = JSON.stringify(r);

    assertEquals(r.phases.map((p) => [p.form, p.lines, p.lost]), [
      ["one-line (promise returned)", LINES, 0],
      ["block body (promise dropped)", LINES, 0],
      ["awaited", LINES, 0],
    ]);
    assertEquals([r.restarts, r.droppedMessages, r.handlerErrors], [0, 0, 0], figures);
    assertEquals(r.warnings, []);
    assert(r.hostHeapMb.afterGc, "the driver ran without gc()");
    assert(
      r.hostHeapMb.after - r.hostHeapMb.before <= HOST_HEAP_BOUND_MB,
      `host heap grew: ${figures}`,
    );
    assert(
      r.botRssMb.peak - r.botRssMb.before <= r.botHeapBudgetMb + BOT_SLACK_MB,
      `bot memory grew past its budget: ${figures}`,
    );
    console.log(
      `host heap ${r.hostHeapMb.before.toFixed(1)} → ${r.hostHeapMb.after.toFixed(1)} MiB, ` +
        `bot RSS ${r.botRssMb.before.toFixed(1)} → peak ${r.botRssMb.peak.toFixed(1)} MiB over ` +
        `${3 * LINES} lines; ` +
        r.phases.map((p) => `${p.form} ${p.linesPerSecond.toFixed(0)} lines/s`).join(", "),
    );
  },
});

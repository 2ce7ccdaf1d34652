/** The operator's lines take the bots' outbound path: same checks, same order, one name. */
import { assert, assertEquals, assertIncludes } from "../assert.ts";
import { realClock } from "../../runtime/clock/clock.ts";
import { createEchoTracker } from "../../runtime/host/echo.ts";
import { createOutbound, OPERATOR } from "../../runtime/host/outbound.ts";
import { silentLogger } from "../../runtime/log/logger.ts";
import type { SendOutcome } from "../../runtime/transport/types.ts";
import { createHost } from "../../runtime/host/host.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import {
  botSpec,
  fixtureManifest,
  FIXTURES,
  guardContext,
  launcher,
  recordingSink,
} from "./helpers.ts";

function operatorPath() {
  const written: { text: string; source: string }[] = [];
  const echo = createEchoTracker();
  const outbound = createOutbound({
    clock: realClock,
    log: silentLogger,
    guardContext: () => ({ commands: { hasStartupFst: false } }),
    echo,
    sink: (unit, source): Promise<SendOutcome> => {
      written.push({ text: unit.text, source });
      return Promise.resolve({ status: "written", connection: "c1" });
    },
  });
  return { outbound, written, echo };
}

Deno.test("the operator's path refuses every dangerous form (plain, wrapped, plugin KEYVALUE_SET) with the --allow-dangerous fix, in operator wording", async () => {
  const { outbound, written } = operatorPath();
  for (
    const line of [
      "EXECUTE|calc.exe",
      "__AV_MESSAGE,EXECUTE|calc.exe",
      "KEYVALUE_SET|Plugin_Remote_Hostname|evil.example",
    ]
  ) {
    const r = await outbound.sendAsOperator(line, { allowDangerous: false });
    assert(!r.ok, line);
    assertEquals(r.refusal.code, "acl-denied", line);
    assertIncludes(r.refusal.fix ?? "", "--allow-dangerous");
    assert(!r.refusal.reason.includes("bot"), `operator wording: ${r.refusal.reason}`);
  }
  assertEquals(written, []);
});

Deno.test("the operator's path passes ordinary lines, and dangerous ones with the override; byte rules always apply; lines are sent and echo-marked as operator", async () => {
  const { outbound, written, echo } = operatorPath();
  assert(
    (await outbound.sendAsOperator("MOTION_ADD|mei|wave|wave.vmd", { allowDangerous: false })).ok,
  );
  assert((await outbound.sendAsOperator("KEYVALUE_SET|my_key|1", { allowDangerous: false })).ok);
  const allowed = await outbound.sendAsOperator("EXECUTE|calc.exe", { allowDangerous: true });
  assert(allowed.ok && allowed.outcome.status === "written", "override");
  const cr = await outbound.sendAsOperator("EXECUTE|a\rb", { allowDangerous: true });
  assert(!cr.ok && cr.refusal.code === "control-char", "CR refused even with the override");
  assertEquals(written.map((w) => w.source), [OPERATOR, OPERATOR, OPERATOR]);
  assertEquals(written.at(-1)?.text, "EXECUTE|calc.exe");
  assertEquals(echo.match("EXECUTE|calc.exe", realClock.now()), "operator");
});

Deno.test("a line submitted as a manifest bot that runs elsewhere takes that bot's ACL and rate limit and is sent under its name; an unknown name is refused", async () => {
  const rec = recordingSink();
  const host = createHost({
    manifest: fixtureManifest(botSpec("remote", FIXTURES + "echo", { allow: [] })),
    logger: memoryLogger(),
    sink: rec.sink,
    guardContext,
    launcher: await launcher(),
  });
  const denied = await host.sendAsBot("remote", "EXECUTE|calc.exe");
  assert(!denied.ok && denied.refusal.code === "acl-denied", "the bot's ACL");
  const sent = await host.sendAsBot("remote", "MESSAGE|hi");
  assert(sent.ok && sent.outcome.status === "written");
  assertEquals(rec.lines, [{ text: "MESSAGE|hi", source: "remote" }]);
  // botSpec's burst is 50: one line went already.
  for (let i = 0; i < 49; i++) assert((await host.sendAsBot("remote", `MESSAGE|${i}`)).ok);
  const limited = await host.sendAsBot("remote", "MESSAGE|one too many");
  assert(!limited.ok && limited.refusal.code === "rate-limit", "the bot's rate limit");
  const unknown = await host.sendAsBot("nobody", "MESSAGE|hi");
  assert(!unknown.ok && unknown.refusal.code === "unknown-bot");
  await host.stop();
});

/** The operator check shared by `send` on its own connection and through a runtime. */
import { operatorGuard } from "../../runtime/control/operator_guard.ts";
import { assert, assertEquals, assertIncludes } from "../assert.ts";

const ctx = { commands: { hasStartupFst: false } };

Deno.test("operatorGuard refuses every dangerous form (plain, wrapped, plugin KEYVALUE_SET) with the --allow-dangerous fix", () => {
  for (
    const line of [
      "EXECUTE|calc.exe",
      "__AV_MESSAGE,EXECUTE|calc.exe",
      "KEYVALUE_SET|Plugin_Remote_Hostname|evil.example",
    ]
  ) {
    const r = operatorGuard(line, ctx);
    assert(!r.ok, line);
    assertEquals(r.refusal.code, "acl-denied", line);
    assertIncludes(r.refusal.fix ?? "", "--allow-dangerous");
    assert(!r.refusal.reason.includes("bot"), `operator wording: ${r.refusal.reason}`);
  }
});

Deno.test("operatorGuard passes ordinary lines, and dangerous ones with the override; byte rules always apply", () => {
  assert(operatorGuard("MOTION_ADD|mei|wave|wave.vmd", ctx).ok, "ordinary");
  assert(operatorGuard("KEYVALUE_SET|my_key|1", ctx).ok, "a non-plugin key");
  const allowed = operatorGuard("EXECUTE|calc.exe", { ...ctx, allowDangerous: true });
  assert(allowed.ok && allowed.unit.text === "EXECUTE|calc.exe", "override");
  const cr = operatorGuard("EXECUTE|a\rb", { ...ctx, allowDangerous: true });
  assert(!cr.ok && cr.refusal.code === "control-char", "CR refused even with the override");
});

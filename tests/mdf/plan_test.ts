import { deepEqual, equal, ok } from "node:assert/strict";
import { bindFor, planConnection, type PlanOptions } from "../../runtime/mdf/plan.ts";
import { docOf } from "./helpers.ts";

const planOf = (text: string, opts: PlanOptions = {}, vars: Record<string, string> = {}) =>
  planConnection(docOf(text, vars), opts);
const codes = (text: string, opts: PlanOptions = {}) =>
  planOf(text, opts).findings.map((f) => f.code);

Deno.test("MMDAgent-EX TCP server → mmdbot connects to 127.0.0.1 on ListenPort", () => {
  const r = planOf("Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=50001\n");
  deepEqual(r.plan, {
    mode: "tcp-client",
    host: "127.0.0.1",
    port: 50001,
    origin: { file: "t.mdf", line: 1 },
  });
  deepEqual(r.findings, []);
});

Deno.test("--host names where MMDAgent-EX's TCP server runs", () => {
  const r = planOf("Plugin_Remote_EnableServer=true\n", { host: "10.0.0.5" });
  equal(r.plan.mode === "tcp-client" && r.plan.host, "10.0.0.5");
});

Deno.test("the old Plugin_Remote_ServerMode key still turns server mode on", () => {
  equal(planOf("Plugin_Remote_ServerMode=true\n").plan.mode, "tcp-client");
});

Deno.test("server mode is on unless exactly `false`: no, 0, False and empty are all ON", () => {
  for (const v of ["no", "0", "False", "", "FALSE", "off"]) {
    equal(planOf(`Plugin_Remote_EnableServer=${v}\n`).plan.mode, "tcp-client", `value ${v}`);
  }
  equal(planOf("Plugin_Remote_EnableServer=false\n").plan.mode, "none");
  equal(
    planOf("Plugin_Remote_EnableServer=false\nPlugin_Remote_ServerMode=yes\n").plan.mode,
    "tcp-client",
  );
});

Deno.test("a server without ListenPort listens on 60001, and ignores Plugin_Remote_Port", () => {
  const r = planOf("Plugin_Remote_EnableServer=true\nPlugin_Remote_Port=50001\n");
  equal(r.plan.mode === "tcp-client" && r.plan.port, 60001);
});

Deno.test("ports are read with atoi and truncated to 16 bits like htons()", () => {
  const junk = planOf("Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=50001abc\n");
  equal(junk.plan.mode === "tcp-client" && junk.plan.port, 50001);
  const big = planOf("Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=70000\n");
  equal(big.plan.mode === "tcp-client" && big.plan.port, 70000 - 65536);
});

Deno.test("MMDAgent-EX TCP client → mmdbot listens on Plugin_Remote_Port, loopback for localhost", () => {
  const r = planOf(
    "Plugin_Remote_EnableClient=true\nPlugin_Remote_Hostname=localhost\nPlugin_Remote_Port=50001\n" +
      "Plugin_Remote_RetryCount=7\n",
  );
  deepEqual(r.plan, {
    mode: "tcp-server",
    bind: "127.0.0.1",
    port: 50001,
    retryCount: 7,
    origin: { file: "t.mdf", line: 1 },
  });
  equal(r.mmdagent.tcpClient?.host.value, "localhost");
});

Deno.test("TCP client defaults: localhost, port 60001, RetryCount 0; old ClientMode key works", () => {
  const r = planOf("Plugin_Remote_ClientMode=yes\n");
  deepEqual(r.plan, {
    mode: "tcp-server",
    bind: "127.0.0.1",
    port: 60001,
    retryCount: 0,
    origin: { file: "t.mdf", line: 1 },
  });
});

Deno.test("a non-local Hostname makes mmdbot bind all interfaces and say so; --bind overrides", () => {
  const text = "Plugin_Remote_EnableClient=true\nPlugin_Remote_Hostname=192.168.1.5\n";
  const r = planOf(text);
  equal(r.plan.mode === "tcp-server" && r.plan.bind, "0.0.0.0");
  const f = r.findings.find((x) => x.code === "bind-all-interfaces");
  equal(f?.line, 2);
  equal(f?.severity, "info");
  const o = planOf(text, { bind: "192.168.1.5" });
  equal(o.plan.mode === "tcp-server" && o.plan.bind, "192.168.1.5");
  equal(o.findings.some((x) => x.code === "bind-all-interfaces"), false);
  equal(bindFor("127.0.0.1"), "127.0.0.1");
  equal(bindFor("LocalHost"), "127.0.0.1");
});

Deno.test("server + client on the same localhost port: the loop guard drops client mode", () => {
  const r = planOf(
    "Plugin_Remote_EnableServer=true\nPlugin_Remote_EnableClient=true\nPlugin_Remote_Port=50001\n",
  );
  // Port doubles as the listen port when client mode is on and ListenPort is missing.
  deepEqual(r.plan, {
    mode: "tcp-client",
    host: "127.0.0.1",
    port: 50001,
    origin: { file: "t.mdf", line: 1 },
  });
  ok(r.mmdagent.loopGuard);
  equal(r.mmdagent.tcpClient, undefined);
  deepEqual(r.findings.map((f) => f.code), ["server-client-loop-guard"]);
});

Deno.test("server + client to elsewhere: mmdbot connects to the server and explains why", () => {
  const r = planOf(
    "Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=50001\n" +
      "Plugin_Remote_EnableClient=true\nPlugin_Remote_Hostname=localhost\nPlugin_Remote_Port=50002\n",
  );
  equal(r.plan.mode, "tcp-client");
  equal(r.plan.mode === "tcp-client" && r.plan.port, 50001);
  const f = r.findings.find((x) => x.code === "server-and-client");
  ok(f);
  equal(f.line, 3);
  ok(f.message.includes("gives up"));
});

Deno.test("MMDAgent-EX WebSocket client → mmdbot serves ws on Websocket_Port with path = Directory", () => {
  const r = planOf(
    "Plugin_Remote_Websocket_Host=localhost\nPlugin_Remote_Websocket_Port=9001\n" +
      "Plugin_Remote_Websocket_Directory=/chat\nPlugin_Remote_RetryCount=3\n",
  );
  deepEqual(r.plan, {
    mode: "ws-server",
    bind: "127.0.0.1",
    port: 9001,
    path: "/chat",
    tls: false,
    retryCount: 3,
    origin: { file: "t.mdf", line: 1 },
  });
});

Deno.test("WebSocket defaults are port 80 and path /; only port 443 means TLS", () => {
  const d = planOf("Plugin_Remote_Websocket_Host=localhost\n").plan;
  ok(d.mode === "ws-server");
  equal(d.port, 80);
  equal(d.path, "/");
  equal(d.tls, false);
  const tls =
    planOf("Plugin_Remote_Websocket_Host=localhost\nPlugin_Remote_Websocket_Port=443\n").plan;
  equal(tls.mode === "ws-server" && tls.tls, true);
  const other =
    planOf("Plugin_Remote_Websocket_Host=localhost\nPlugin_Remote_Websocket_Port=8443\n").plan;
  equal(other.mode === "ws-server" && other.tls, false);
});

Deno.test("WebSocket mode needs a non-empty Websocket_Host after %ENV expansion", () => {
  equal(planOf("Plugin_Remote_Websocket_Host=\n").plan.mode, "none");
  equal(planOf("Plugin_Remote_Websocket_Host=%ENV{WSHOST}\n").plan.mode, "none");
  equal(
    planOf("Plugin_Remote_Websocket_Host=%ENV{WSHOST}\n", {}, { WSHOST: "localhost" }).plan.mode,
    "ws-server",
  );
  equal(planOf("Plugin_Remote_Websocket_Port=9001\n").plan.mode, "none");
});

Deno.test("TCP and WebSocket together is an error that explains the select() stall and the thread death", () => {
  for (const tcp of ["Plugin_Remote_EnableServer=true", "Plugin_Remote_EnableClient=true"]) {
    const r = planOf(`${tcp}\nPlugin_Remote_Websocket_Host=localhost\n`);
    const f = r.findings.find((x) => x.code === "tcp-and-websocket");
    ok(f, tcp);
    equal(f.severity, "error");
    equal(f.line, 2);
    ok(f.message.includes("select()"));
    ok(f.message.includes("WebSocket connect fails"));
    ok(f.fix.length > 0);
    equal(r.plan.mode, "ws-server");
  }
});

Deno.test("no transport → mode none with a reason", () => {
  const r = planOf("SomeOtherKey=1\n");
  equal(r.plan.mode, "none");
  ok(r.plan.mode === "none" && r.plan.reason.length > 0);
});

Deno.test("a disabled Plugin_Remote opens no socket: plan none with a warning", () => {
  for (
    const off of [
      "disablePlugin=Remote",
      "disablePlugin=Audio,Remote",
      "disablePlugin=ALL",
      "exclude_Plugin_Remote=yes",
    ]
  ) {
    const r = planOf(`Plugin_Remote_EnableServer=true\n${off}\n`);
    equal(r.plan.mode, "none", off);
    deepEqual(r.findings.map((f) => f.code), ["remote-plugin-disabled"]);
  }
  equal(
    planOf("Plugin_Remote_EnableServer=true\ndisablePlugin=ALL\nenablePlugin=Remote\n").plan.mode,
    "tcp-client",
  );
  equal(
    planOf("Plugin_Remote_EnableServer=true\nexclude_Plugin_Remote=no\n").plan.mode,
    "tcp-client",
  );
});

Deno.test("stdio planning gives the stdio plan whatever the keys", () => {
  deepEqual(planOf("Plugin_Remote_EnableServer=true\n", { stdio: true }).plan, { mode: "stdio" });
});

Deno.test("the MMDAgent-EX side lists the origin of every value and the AllLog/lip-sync switches", () => {
  const r = planOf(
    "Plugin_Remote_EnableServer=true\nPlugin_Remote_ListenPort=5\nPlugin_Remote_AllLog=no\nPlugin_Remote_EnableLocalLipsync=Yes\n",
  );
  deepEqual(r.mmdagent.tcpServer?.port, { value: 5, origin: { file: "t.mdf", line: 2 } });
  equal(r.mmdagent.allLog, true);
  equal(r.mmdagent.localLipsync, true);
  deepEqual(r.mmdagent.retryCount, { value: 0 });
});

Deno.test("AnyScript commands: Command and Command1..9 are found; mmdbot with start --stdio is recognised", () => {
  const r = planOf(
    "Plugin_AnyScript_Command=python3 dialog.py\n" +
      "Plugin_AnyScript_Command3=deno run -A /opt/mmdbot/runtime/cli/main.ts start --stdio\n" +
      "Plugin_AnyScript_Command9=mmdbot start --stdio content.mdf\n" +
      "Plugin_AnyScript_Command2=mmdbot start\n" +
      "Plugin_AnyScript_Command5=\n",
  );
  deepEqual(
    r.anyScript.map((c) => [c.key, c.startsMmdbot, c.mentionsMmdbot]),
    [
      ["Plugin_AnyScript_Command", false, false],
      ["Plugin_AnyScript_Command2", false, true],
      ["Plugin_AnyScript_Command3", true, true],
      ["Plugin_AnyScript_Command9", true, true],
    ],
  );
  equal(r.plan.mode, "none");
  ok(r.plan.mode === "none" && r.plan.reason.includes("Plugin_AnyScript_Command3"));
  deepEqual(r.anyScript[2].words, [
    "deno",
    "run",
    "-A",
    "/opt/mmdbot/runtime/cli/main.ts",
    "start",
    "--stdio",
  ]);
});

Deno.test("the plan findings are only about modes", () => {
  deepEqual(codes("Plugin_Remote_EnableServer=true\nPlugin_Remote_EnableServer=no\n"), []);
});

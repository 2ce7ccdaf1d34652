import { deepEqual, equal, ok } from "node:assert/strict";
import { lintMdf, suggestKey } from "../../runtime/mdf/lint.ts";
import { planConnection } from "../../runtime/mdf/plan.ts";
import { REMOTE_KEYS } from "../../runtime/mdf/keys.ts";
import { parseMdf } from "../../runtime/mdf/read.ts";
import { layerMdf } from "../../runtime/mdf/layer.ts";
import type { Finding } from "../../runtime/mdf/finding.ts";
import { docOf } from "./helpers.ts";

const enc = new TextEncoder();

function lint(text: string | Uint8Array, vars: Record<string, string> = {}): Finding[] {
  const doc = docOf(text, vars);
  return lintMdf(doc, planConnection(doc));
}
const find = (fs: Finding[], code: string) => fs.filter((f) => f.code === code);
function one(fs: Finding[], code: string): Finding {
  const got = find(fs, code);
  equal(got.length, 1, `expected one ${code}, got ${JSON.stringify(fs.map((f) => f.code))}`);
  ok(got[0].message.length > 0);
  return got[0];
}
const SERVER = "Plugin_Remote_EnableServer=true\n";

Deno.test("the seed configurations lint clean (apart from the RetryCount advice)", () => {
  deepEqual(lint(SERVER + "Plugin_Remote_ListenPort=50001\n"), []);
  deepEqual(
    lint(
      "Plugin_Remote_EnableClient=true\nPlugin_Remote_Hostname=localhost\nPlugin_Remote_Port=50001\n",
    )
      .map((f) => f.code),
    ["retry-count-zero"],
  );
});

Deno.test("RetryCount 0 or missing while mmdbot must be the server is a warning naming the line", () => {
  const missing = one(lint("Plugin_Remote_EnableClient=true\n"), "retry-count-zero");
  equal(missing.severity, "warning");
  equal(missing.line, 1, "points at the line that made mmdbot the server");
  ok(missing.message.includes("reconnects only once"));
  ok(missing.fix.includes("Plugin_Remote_RetryCount="));
  const zero = one(
    lint("Plugin_Remote_Websocket_Host=localhost\nPlugin_Remote_RetryCount=0\n"),
    "retry-count-zero",
  );
  equal(zero.line, 2);
  equal(
    find(lint("Plugin_Remote_EnableClient=true\nPlugin_Remote_RetryCount=50\n"), "retry-count-zero")
      .length,
    0,
  );
  equal(find(lint(SERVER), "retry-count-zero").length, 0, "not when MMDAgent-EX is the server");
});

Deno.test("a BOM on line 1 is reported, naming the key it hides", () => {
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(SERVER)]);
  const f = one(lint(bom), "bom");
  equal(f.line, 1);
  ok(f.message.includes("Plugin_Remote_EnableServer"));
  const comment = one(lint(new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode("# hi\n")])), "bom");
  ok(comment.message.includes("comment"));
});

Deno.test("a space before = is reported: the key keeps it and never matches", () => {
  const f = one(lint("Plugin_Remote_EnableServer =true\n"), "space-before-equals");
  ok(f.message.includes("never matches `Plugin_Remote_EnableServer`"));
  equal(f.fix, "write `Plugin_Remote_EnableServer=true`");
});

Deno.test("leading whitespace in a key is reported", () => {
  const f = one(lint("  Plugin_Remote_ListenPort=50001\n"), "leading-whitespace-key");
  equal(f.line, 1);
  ok(f.message.includes("never matches"));
});

Deno.test("a # not in column 1 is reported: a setting if it has =, ignored otherwise", () => {
  equal(one(lint("  # Plugin_Remote_ListenPort=1\n"), "indented-comment").severity, "warning");
  equal(one(lint("\t# just a note\n"), "indented-comment").severity, "info");
  deepEqual(lint("# fine\n"), []);
});

Deno.test("a trailing # note in a value is reported with the value MMDAgent-EX sees", () => {
  const fs = lint(SERVER + "Plugin_Remote_ListenPort=50001 # the port\n");
  const f = one(fs, "trailing-comment");
  equal(f.line, 2);
  ok(f.message.includes("50001 # the port"));
  equal(find(fs, "number-junk").length, 0, "the comment is not reported twice");
});

Deno.test("switches MMDAgent-EX reads as ON although they look off: no, 0, False, empty", () => {
  for (const v of ["no", "0", "False", "", "off", " false"]) {
    const f = one(lint(`Plugin_Remote_EnableServer=${v}\n`), "bool-reads-on");
    ok(f.message.includes("ON"), v);
  }
  for (
    const key of [
      "Plugin_Remote_EnableClient",
      "Plugin_Remote_ServerMode",
      "Plugin_Remote_ClientMode",
      "Plugin_Remote_AllLog",
      "Plugin_Remote_Speak_16k",
    ]
  ) {
    one(lint(`${key}=no\n`), "bool-reads-on");
  }
  equal(find(lint("Plugin_Remote_EnableServer=false\n"), "bool-reads-on").length, 0);
});

Deno.test("EnableLocalLipsync/Passthrough=1 (or TRUE, on) read as OFF", () => {
  for (const v of ["1", "TRUE", "on", "YES"]) {
    one(lint(`Plugin_Remote_EnableLocalLipsync=${v}\n`), "bool-reads-off");
  }
  one(lint("Plugin_Remote_EnableLocalPassthrough=1\n"), "bool-reads-off");
  for (const v of ["true", "True", "yes", "Yes", "false"]) {
    equal(find(lint(`Plugin_Remote_EnableLocalLipsync=${v}\n`), "bool-reads-off").length, 0, v);
  }
});

Deno.test("key case mistakes and typos get a suggestion; unknown Plugin_Remote_ keys a warning", () => {
  const c = one(lint("Plugin_Remote_Listenport=50001\n"), "key-case");
  ok(c.message.includes("Plugin_Remote_ListenPort"));
  const t = one(lint("Plugin_Remote_EnableSever=true\n"), "key-typo");
  ok(t.message.includes("Plugin_Remote_EnableServer"));
  one(lint("Plugin_Remote_UseTLS=true\n"), "unknown-key");
  deepEqual(lint("Plugin_Julius_Something=1\n"), [], "other plugins' keys are not ours to judge");
  deepEqual(suggestKey("plugin_anyscript_command1"), {
    key: "Plugin_AnyScript_Command1",
    caseOnly: true,
  });
});

Deno.test("every key of the reference 2.7 table is known (no typo or unknown finding)", () => {
  for (const k of REMOTE_KEYS) {
    const fs = lint(`${k.key}=1\n`);
    for (const code of ["key-case", "key-typo", "unknown-key"]) {
      equal(find(fs, code).length, 0, `${k.key}: ${code}`);
    }
  }
  equal(REMOTE_KEYS.length, 22);
});

Deno.test("the never-read RotationRate/MoveRate keys are reported", () => {
  for (
    const key of [
      "RotationRateBody",
      "RotationRateNeck",
      "RotationRateHead",
      "MoveRateUpDown",
      "MoveRateSlide",
    ]
  ) {
    one(lint(`Plugin_Remote_${key}=1.0\n`), "never-read");
  }
});

Deno.test("ports: non-numeric is an error when used, trailing junk a warning, out of range an error", () => {
  equal(one(lint(SERVER + "Plugin_Remote_ListenPort=abc\n"), "port-not-number").severity, "error");
  const junk = one(lint(SERVER + "Plugin_Remote_ListenPort=50001abc\n"), "number-junk");
  ok(junk.message.includes("as 50001"));
  equal(junk.severity, "warning");
  for (const p of ["0", "70000", "-1"]) {
    equal(one(lint(SERVER + `Plugin_Remote_ListenPort=${p}\n`), "port-range").severity, "error", p);
  }
  ok(one(lint(SERVER + "Plugin_Remote_ListenPort=70000\n"), "port-range").message.includes("4464"));
  equal(
    one(
      lint(
        "Plugin_Remote_Websocket_Host=localhost\nPlugin_Remote_Websocket_Port=99999\nPlugin_Remote_RetryCount=9\n",
      ),
      "port-range",
    ).severity,
    "error",
  );
  equal(
    one(lint(SERVER + "Plugin_Remote_ListenPort=1\nPlugin_Remote_Port=0\n"), "port-range").severity,
    "warning",
    "an unused key is only a warning",
  );
});

Deno.test("RetryCount that is not a number or negative is reported", () => {
  one(
    lint("Plugin_Remote_EnableClient=true\nPlugin_Remote_RetryCount=many\n"),
    "number-not-number",
  );
  one(lint("Plugin_Remote_EnableClient=true\nPlugin_Remote_RetryCount=-3\n"), "number-negative");
});

Deno.test("Plugin_Remote_Port in a server-only .mdf is reported as ignored", () => {
  const f = one(lint(SERVER + "Plugin_Remote_Port=50001\n"), "key-ignored");
  ok(f.message.includes("60001"));
  equal(f.line, 2);
});

Deno.test("Websocket_Port 443 needs TLS; wss:// in the host is not how wss is chosen", () => {
  const ws = "Plugin_Remote_Websocket_Host=localhost\nPlugin_Remote_RetryCount=9\n";
  const tls = one(lint(ws + "Plugin_Remote_Websocket_Port=443\n"), "websocket-tls");
  ok(tls.message.includes("--cert"));
  equal(tls.line, 3);
  const host = one(
    lint(
      "Plugin_Remote_Websocket_Host=wss://example.com\nPlugin_Remote_Websocket_Port=8443\nPlugin_Remote_RetryCount=9\n",
    ),
    "websocket-host-form",
  );
  ok(host.message.includes("only possible on port 443"));
});

Deno.test("a Websocket_Directory without a leading / is reported", () => {
  const f = one(
    lint(
      "Plugin_Remote_Websocket_Host=localhost\nPlugin_Remote_Websocket_Directory=chat\nPlugin_Remote_RetryCount=9\n",
    ),
    "websocket-directory",
  );
  equal(f.fix, "write `Plugin_Remote_Websocket_Directory=/chat`");
});

Deno.test("Websocket keys without Websocket_Host are reported (WebSocket mode stays off)", () => {
  one(lint("Plugin_Remote_Websocket_Port=9001\n"), "websocket-host-missing");
  const f = one(
    lint("Plugin_Remote_Websocket_Host=%ENV{NOPE}\nPlugin_Remote_Websocket_Port=9001\n"),
    "websocket-host-missing",
  );
  ok(f.message.includes("NOPE"));
});

Deno.test("AllLog on is reported: messages arrive as log records", () => {
  equal(one(lint(SERVER + "Plugin_Remote_AllLog=true\n"), "all-log").line, 2);
  equal(find(lint(SERVER + "Plugin_Remote_AllLog=false\n"), "all-log").length, 0);
});

Deno.test("a Hostname that is not an IPv4 literal or localhost is a note; IPv6 a warning", () => {
  const client = "Plugin_Remote_EnableClient=true\nPlugin_Remote_RetryCount=9\n";
  equal(
    one(lint(client + "Plugin_Remote_Hostname=mypc.local\n"), "hostname-resolve").severity,
    "info",
  );
  equal(one(lint(client + "Plugin_Remote_Hostname=::1\n"), "hostname-ipv6").severity, "warning");
  equal(find(lint(client + "Plugin_Remote_Hostname=192.168.0.3\n"), "hostname-resolve").length, 0);
});

Deno.test("duplicate keys are a note at the winning line naming the earlier one", () => {
  const f = one(
    lint(SERVER + "Plugin_Remote_ListenPort=1\nPlugin_Remote_ListenPort=50001\n"),
    "duplicate-key",
  );
  equal(f.severity, "info");
  equal(f.line, 3);
  ok(f.message.includes("line 2"));
  ok(f.message.includes("50001"));
});

Deno.test("a duplicate across system and content files names the system file", () => {
  const sys = parseMdf(enc.encode("Plugin_Remote_ListenPort=1\n"), "sys.mdf");
  const content = parseMdf(enc.encode(SERVER + "Plugin_Remote_ListenPort=2\n"), "c.mdf");
  const doc = layerMdf(content, sys, "/x/c.mdf");
  const f = one(lintMdf(doc, planConnection(doc)), "duplicate-key");
  equal(f.file, "c.mdf");
  ok(f.message.includes("sys.mdf:1"));
});

Deno.test("lines without =, empty keys, over-long lines and invalid UTF-8 are reported", () => {
  one(lint("Plugin_Remote_EnableServer true\n"), "no-equals");
  deepEqual(lint("just some text\n"), []);
  one(lint("=value\n"), "empty-key");
  one(lint("k=" + "x".repeat(2045) + "tail=1\n"), "line-too-long");
  one(lint(new Uint8Array([...enc.encode("a="), 0x82, 0xa0, 0x0a])), "invalid-utf8");
});

Deno.test("parse errors of the reader come out as error findings with file:line", () => {
  const f = one(lint("a=%ENV{OOPS\n"), "env-unterminated");
  equal(f.severity, "error");
  equal(f.line, 1);
  equal(f.file, "t.mdf");
});

Deno.test("a known key taking its value from %ENV gets a note with the expanded value", () => {
  const f = one(
    lint(SERVER + "Plugin_Remote_ListenPort=%ENV{PORT}\n", { PORT: "50001" }),
    "env-used",
  );
  ok(f.message.includes("50001"));
});

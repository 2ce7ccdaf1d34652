/**
 * Lint for `.mdf` files: the traps of reference 2.7 and Part 5 where MMDAgent-EX reads a file
 * differently from what its author most likely meant (a BOM, a space before `=`, `EnableServer=no`
 * meaning ON, a key in the wrong case, RetryCount 0 while mmdbot is the server, …). Every finding
 * names `file:line` and a fix.
 */
import type { Origin } from "./plan_types.ts";
import type { MdfDocument } from "./layer.ts";
import type { MdfEntry, MdfFile, MdfLine } from "./read.ts";
import { type Finding, finding } from "./finding.ts";
import { KNOWN_KEYS, type KnownKey } from "./keys.ts";
import { atoi, onForTrueYes } from "./values.ts";
import type { PlanResult } from "./plan.ts";

import { editDistance } from "../text/suggest.ts";
import { mmdbotCommand } from "../paths/invocation.ts";

const BOM = "\uFEFF";
const FALSE_LOOKING = /^(no|n|0|off|false|disable|disabled|none|)$/i;
const TRUE_LOOKING = /^(1|on|y|yes|true|enable|enabled)$/i;

/** The known key a misspelt key most likely meant, if any. */
export function suggestKey(key: string): { key: string; caseOnly: boolean } | undefined {
  const lower = key.toLowerCase();
  let best: { key: string; d: number } | undefined;
  for (const k of KNOWN_KEYS.keys()) {
    if (k.toLowerCase() === lower) return { key: k, caseOnly: true };
    const d = editDistance(lower, k.toLowerCase());
    if (d <= 3 && (!best || d < best.d)) best = { key: k, d };
  }
  return best && { key: best.key, caseOnly: false };
}

/** Findings about the shape of each line (independent of what keys mean). */
function lintLines(f: MdfFile): Finding[] {
  const out: Finding[] = [];
  const reportedSplit = new Set<number>();
  for (const l of f.lines) {
    const at = l.origin;
    if (at.line === 1 && !l.continuation && l.text.startsWith(BOM)) out.push(bomFinding(l));
    if (l.continuation && l.kind !== "blank" && !reportedSplit.has(at.line)) {
      reportedSplit.add(at.line);
      out.push(finding(
        "warning",
        at,
        "line-too-long",
        "line is longer than 2047 bytes: MMDAgent-EX cuts it there and reads the rest as a line of " +
          `its own (\`${l.text.slice(0, 40)}…\`)`,
        "shorten the line (values over 2047 bytes cannot be expressed in an .mdf)",
      ));
    }
    if (l.invalidUtf8) {
      out.push(finding(
        "warning",
        at,
        "invalid-utf8",
        "line is not valid UTF-8 (Shift-JIS?): MMDAgent-EX takes the bytes as UTF-8 anyway",
        "save the file as UTF-8 without BOM",
      ));
    }
    const bare = l.text.replace(new RegExp(`^${BOM}`), "");
    if (l.kind !== "comment" && /^[ \t]+#/.test(bare)) {
      out.push(
        l.kind === "entry"
          ? finding(
            "warning",
            at,
            "indented-comment",
            "`#` starts a comment only in column 1: this line has `=`, so MMDAgent-EX stores it " +
              `as a setting named \`${l.key}\``,
            "move `#` to the first column",
          )
          : finding(
            "info",
            at,
            "indented-comment",
            "`#` starts a comment only in column 1; this line is ignored only because it has no `=`",
            "move `#` to the first column",
          ),
      );
      continue;
    }
    if (
      l.kind === "no-equals" && /^[ \t]*(Plugin_|enablePlugin|disablePlugin|exclude_)/.test(bare)
    ) {
      out.push(finding(
        "warning",
        at,
        "no-equals",
        "line has no `=`, so MMDAgent-EX ignores it",
        "write it as `key=value`",
      ));
    }
    if (l.kind !== "entry") continue;
    const key = l.key!.replace(new RegExp(`^${BOM}`), "");
    const trimmed = key.trim();
    const means = KNOWN_KEYS.has(trimmed)
      ? ` and never matches \`${trimmed}\`, so the setting is ignored`
      : "";
    if (trimmed === "") {
      out.push(
        finding(
          "warning",
          at,
          "empty-key",
          "line starts with `=`: the key is empty",
          "write `key=value`",
        ),
      );
      continue;
    }
    if (/[ \t]$/.test(key)) {
      out.push(finding(
        "warning",
        at,
        "space-before-equals",
        `space before \`=\`: MMDAgent-EX keeps it as part of the key (\`${key}\`)${means}`,
        `write \`${trimmed}=${l.rawValue}\``,
      ));
    }
    if (/^[ \t]/.test(key)) {
      out.push(finding(
        "warning",
        at,
        "leading-whitespace-key",
        `whitespace before the key: MMDAgent-EX keeps it as part of the key (\`${key}\`)${means}`,
        "start the key in the first column",
      ));
    }
    if (/[ \t]#/.test(l.rawValue!)) {
      out.push(finding(
        "warning",
        at,
        "trailing-comment",
        `.mdf files have no trailing comments: the value is \`${l.rawValue}\`, \`#\` and all`,
        "put the comment on its own line, with `#` in the first column",
      ));
    }
    if (!KNOWN_KEYS.has(trimmed)) {
      const s = suggestKey(trimmed);
      if (s?.caseOnly) {
        out.push(finding(
          "warning",
          at,
          "key-case",
          `\`${trimmed}\` is not read: keys are case-sensitive, MMDAgent-EX reads \`${s.key}\``,
          `write \`${s.key}\``,
        ));
      } else if (s) {
        out.push(finding(
          "warning",
          at,
          "key-typo",
          `\`${trimmed}\` is not a key MMDAgent-EX reads; did you mean \`${s.key}\`?`,
          `write \`${s.key}\``,
        ));
      } else if (/^plugin_(remote|anyscript)_/i.test(trimmed)) {
        out.push(finding(
          "warning",
          at,
          "unknown-key",
          `\`${trimmed}\` is not a key Plugin_Remote or Plugin_AnyScript reads`,
          `remove it, or see \`${mmdbotCommand("check --help")}\` for the keys MMDAgent-EX reads`,
        ));
      }
    }
  }
  return out;
}

function bomFinding(l: MdfLine): Finding {
  const rest = l.text.slice(1);
  const key = l.kind === "entry" ? l.key!.slice(1) : undefined;
  const effect = rest.startsWith("#")
    ? "it also keeps the `#` on line 1 from counting as a comment"
    : key && KNOWN_KEYS.has(key)
    ? `it becomes part of the first key, so \`${key}\` on line 1 is never read`
    : "it becomes part of the first key";
  return finding(
    "warning",
    l.origin,
    "bom",
    `the file starts with a UTF-8 BOM, which MMDAgent-EX does not skip: ${effect}`,
    "save the file as UTF-8 without BOM",
  );
}

/** Findings about the values of the keys MMDAgent-EX reads (the winning occurrence of each). */
function lintValues(doc: MdfDocument, plan: PlanResult): Finding[] {
  const out: Finding[] = [];
  const side = plan.mmdagent;
  const tcpClientOn = side.tcpClient !== undefined || side.loopGuard;
  const used = new Set<string>();
  if (side.tcpServer) used.add("Plugin_Remote_ListenPort");
  if (tcpClientOn) used.add("Plugin_Remote_Port").add("Plugin_Remote_Hostname");
  if (side.tcpServer && tcpClientOn) used.add("Plugin_Remote_Port");
  if (side.websocket) {
    used.add("Plugin_Remote_Websocket_Port").add("Plugin_Remote_Websocket_Directory");
  }

  for (const [key, e] of doc.keys) {
    const known = KNOWN_KEYS.get(key);
    if (!known) continue;
    out.push(...lintEnv(e));
    out.push(...lintValue(known, e, used.has(key)));
  }

  const k = (key: string) => doc.keys.get(key);
  const port = k("Plugin_Remote_Port");
  if (port && side.tcpServer && !tcpClientOn) {
    out.push(finding(
      "warning",
      port.origin,
      "key-ignored",
      "Plugin_Remote_Port is read only in client mode; this TCP server listens on " +
        `Plugin_Remote_ListenPort (now ${side.tcpServer.port.value})`,
      "write `Plugin_Remote_ListenPort=…` instead",
    ));
  }
  const host = k("Plugin_Remote_Hostname");
  if (host && !tcpClientOn && side.websocket === undefined && side.tcpServer) {
    out.push(finding(
      "info",
      host.origin,
      "key-ignored",
      "Plugin_Remote_Hostname is read only in client mode (EnableClient); it has no effect here",
      "remove it",
    ));
  }
  if (!side.websocket) {
    const stray = ["Plugin_Remote_Websocket_Port", "Plugin_Remote_Websocket_Directory"]
      .map(k).find((x) => x !== undefined);
    if (stray) {
      const h = k("Plugin_Remote_Websocket_Host");
      out.push(finding(
        "warning",
        h?.origin ?? stray.origin,
        "websocket-host-missing",
        h
          ? "Plugin_Remote_Websocket_Host is empty" +
            (h.envNames.length ? ` (after expanding ${h.envNames.join(", ")})` : "") +
            ", so WebSocket mode is off and the other Websocket keys are ignored"
          : "WebSocket keys without Plugin_Remote_Websocket_Host: WebSocket mode is off",
        "set `Plugin_Remote_Websocket_Host=localhost` (or the server's name)",
      ));
    }
  }

  if (side.websocket) {
    const ws = side.websocket;
    const hostText = ws.host.value;
    const at = ws.host.origin ?? ws.origin;
    if (/^[a-z]+:\/\//i.test(hostText) || /[/:]/.test(hostText.replace(/^\[.*\]$/, ""))) {
      const wss = /^wss:\/\//i.test(hostText);
      out.push(finding(
        "warning",
        at,
        "websocket-host-form",
        "Plugin_Remote_Websocket_Host must be a bare host name; MMDAgent-EX does not parse a " +
          "scheme, port or path in it" +
          (wss && !ws.tls
            ? "; and wss is only possible on port 443 (any other port is plain ws)"
            : ""),
        "write the host only, with the port in Plugin_Remote_Websocket_Port (443 = wss) and the " +
          "path in Plugin_Remote_Websocket_Directory",
      ));
    }
    if (ws.tls) {
      out.push(finding(
        "warning",
        ws.port.origin ?? at,
        "websocket-tls",
        "port 443: MMDAgent-EX speaks wss (TLS) on it, so mmdbot needs --cert and --key; and " +
          "MMDAgent-EX builds other than Windows do not initialise their TLS setup themselves, " +
          "so wss may fail there. wss is only possible on 443; any other port is plain ws",
        "use another port (e.g. 9001) for a local connection, or give mmdbot --cert/--key",
      ));
    }
    const dir = ws.directory.value;
    if (!dir.startsWith("/")) {
      out.push(finding(
        "warning",
        ws.directory.origin ?? at,
        "websocket-directory",
        `Plugin_Remote_Websocket_Directory \`${dir}\` does not start with \`/\`: MMDAgent-EX sends ` +
          `\`GET ${dir} HTTP/1.1\`, which servers reject`,
        `write \`Plugin_Remote_Websocket_Directory=/${dir}\``,
      ));
    }
  }

  if (side.allLog && (side.tcpServer || side.tcpClient || side.websocket)) {
    const e = k("Plugin_Remote_AllLog")!;
    out.push(finding(
      "warning",
      e.origin,
      "all-log",
      "Plugin_Remote_AllLog is on: MMDAgent-EX sends its log lines (with blank lines between them) " +
        "instead of plain messages, so bots see log records, not `TYPE|ARGS` events",
      "remove the line or write `Plugin_Remote_AllLog=false` (only exactly `false` turns it off)",
    ));
  }

  if (tcpClientOn) {
    const h = k("Plugin_Remote_Hostname");
    const name = h?.value ?? "localhost";
    if (h && name.includes(":")) {
      out.push(finding(
        "warning",
        h.origin,
        "hostname-ipv6",
        `Plugin_Remote_Hostname \`${name}\` looks like an IPv6 address or has a port, but MMDAgent-EX ` +
          "resolves host names as IPv4 only, so it cannot connect",
        "write an IPv4 address or host name, and the port in Plugin_Remote_Port",
      ));
    } else if (h && !isIPv4(name) && name !== "localhost") {
      out.push(finding(
        "info",
        h.origin,
        "hostname-resolve",
        `Plugin_Remote_Hostname \`${name}\` is resolved by MMDAgent-EX as IPv4 only, first address ` +
          "used; make sure it resolves to the machine mmdbot runs on",
      ));
    }
  }

  if (plan.plan.mode === "tcp-server" || plan.plan.mode === "ws-server") {
    const rc = side.retryCount;
    if (rc.value <= 0) {
      const at = rc.origin ?? plan.plan.origin ?? { file: doc.content.file, line: 0 };
      out.push(finding(
        "warning",
        at,
        "retry-count-zero",
        `${
          rc.origin
            ? `Plugin_Remote_RetryCount is ${rc.value}`
            : "Plugin_Remote_RetryCount is not set (0)"
        }` +
          " while mmdbot must be the server: MMDAgent-EX tries to connect once at start-up and gives " +
          "up for good if mmdbot is not listening yet, and after a disconnect it reconnects only once",
        "add `Plugin_Remote_RetryCount=120` (a minute of tries, 0.5 s apart) and start mmdbot " +
          "before MMDAgent-EX",
      ));
    }
  }
  return out;
}

function isIPv4(s: string): boolean {
  return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) &&
    s.split(".").every((p) => Number(p) <= 255);
}

function lintEnv(e: MdfEntry): Finding[] {
  if (e.envNames.length === 0) return [];
  return [finding(
    "info",
    e.origin,
    "env-used",
    `${e.key} uses ${e.envNames.map((n) => `%ENV{${n}}`).join(", ")}; here it expands to ` +
      `\`${e.value}\`, but MMDAgent-EX uses the environment it was started with`,
  )];
}

function lintValue(known: KnownKey, e: MdfEntry, used: boolean): Finding[] {
  const v = e.value;
  switch (known.parse) {
    case "on-unless-false":
      if (v !== "false" && FALSE_LOOKING.test(v.trim())) {
        return [finding(
          "warning",
          e.origin,
          "bool-reads-on",
          `MMDAgent-EX reads \`${e.key}=${v}\` as ON: only the exact text \`false\` turns it off`,
          `write \`${e.key}=false\`, or remove the line`,
        )];
      }
      return [];
    case "true-yes":
      if (!onForTrueYes(v) && TRUE_LOOKING.test(v.trim())) {
        return [finding(
          "warning",
          e.origin,
          "bool-reads-off",
          `MMDAgent-EX reads \`${e.key}=${v}\` as OFF: only \`true\`, \`True\`, \`yes\` or \`Yes\` ` +
            "turn it on",
          `write \`${e.key}=true\``,
        )];
      }
      return [];
    case "port":
      return lintNumber(e, used, true);
    case "int":
      return lintNumber(e, true, false);
    case "never-read":
      return [finding(
        "warning",
        e.origin,
        "never-read",
        `${e.key} is never read: it belonged to the head-tracking feature removed from ` +
          "MMDAgent-EX in 2023",
        "remove the line",
      )];
    case "text":
      return [];
  }
}

function lintNumber(e: MdfEntry, used: boolean, isPort: boolean): Finding[] {
  const n = atoi(e.value);
  const severity = used ? "error" : "warning";
  if (n.noDigits) {
    return [finding(
      isPort ? severity : "warning",
      e.origin,
      isPort ? "port-not-number" : "number-not-number",
      `\`${e.value}\` is not a number: MMDAgent-EX's atoi reads it as 0`,
      isPort ? "write a port between 1 and 65535" : "write a whole number",
    )];
  }
  const out: Finding[] = [];
  if (n.junk !== "" && !/^[ \t]+#/.test(n.junk)) {
    out.push(finding(
      "warning",
      e.origin,
      "number-junk",
      `MMDAgent-EX reads \`${e.value}\` as ${n.value} (atoi ignores \`${n.junk}\`)`,
      `write \`${e.key}=${n.value}\``,
    ));
  }
  if (isPort && (n.value < 1 || n.value > 65535)) {
    const wrapped = ((n.value % 65536) + 65536) % 65536;
    out.push(finding(
      severity,
      e.origin,
      "port-range",
      `port ${n.value} is out of range 1-65535` +
        (n.value === 0 ? "" : `; MMDAgent-EX would truncate it to ${wrapped}`),
      "write a port between 1 and 65535 (above 1023 needs no privileges)",
    ));
  }
  if (!isPort && n.value < 0) {
    out.push(
      finding(
        "warning",
        e.origin,
        "number-negative",
        `${e.key} is negative; it acts as 0`,
        "write 0 or more",
      ),
    );
  }
  return out;
}

/** Duplicate keys: the last occurrence wins (content over system); names both places. */
function lintDuplicates(doc: MdfDocument): Finding[] {
  const out: Finding[] = [];
  const files = doc.system ? [doc.system, doc.content] : [doc.content];
  const seen = new Map<string, MdfEntry[]>();
  for (const f of files) {
    for (const e of f.entries) seen.set(e.key, [...(seen.get(e.key) ?? []), e]);
  }
  for (const [key, list] of seen) {
    if (list.length < 2) continue;
    const last = list[list.length - 1];
    const where = (o: Origin) =>
      o.file === last.origin.file ? `line ${o.line}` : `${o.file}:${o.line}`;
    const earlier = list.slice(0, -1).map((e) => where(e.origin)).join(", ");
    out.push(finding(
      "info",
      last.origin,
      "duplicate-key",
      `${key} is also set on ${earlier}; the last one wins (this line, \`${last.value}\`)`,
      "remove the earlier lines",
    ));
  }
  return out;
}

/**
 * All lint findings for a loaded document, given its plan (some traps depend on which role mmdbot
 * takes). Does not include the plan's own findings nor the AnyScript ones.
 *
 * @example
 * ```ts
 * const doc = await loadMdf("content.mdf");
 * const findings = lintMdf(doc, planConnection(doc));
 * ```
 */
export function lintMdf(doc: MdfDocument, plan: PlanResult): Finding[] {
  const files = doc.system ? [doc.system, doc.content] : [doc.content];
  return [
    ...doc.errors.map((e) => e.toFinding()),
    ...files.flatMap(lintLines),
    ...lintValues(doc, plan),
    ...lintDuplicates(doc),
  ];
}

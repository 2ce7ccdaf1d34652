/**
 * The connection plan: what MMDAgent-EX will do with its `Plugin_Remote_*` keys (reference
 * 2.1-2.5), and the opposite role mmdbot takes. MMDAgent-EX server → mmdbot connects; MMDAgent-EX
 * TCP client → mmdbot listens on `Plugin_Remote_Port`; MMDAgent-EX WebSocket client → mmdbot runs a
 * WebSocket server on `Plugin_Remote_Websocket_Port`.
 */
import type { ConnectionPlan, Origin } from "./plan_types.ts";
import type { MdfDocument } from "./layer.ts";
import type { MdfEntry } from "./read.ts";
import { type Finding, finding } from "./finding.ts";
import { atoi, onForTrueYes, onUnlessFalse, toPort16 } from "./values.ts";
import { type AnyScriptCommand, anyScriptCommands } from "./anyscript.ts";

/** Options of {@link planConnection}. */
export interface PlanOptions {
  /** Where MMDAgent-EX runs when it is the TCP server (default `127.0.0.1`). */
  host?: string;
  /** Address to listen on when mmdbot is the server; overrides the localhost rule. */
  bind?: string;
  /** Plan the Plugin_AnyScript child role (`start --stdio`) instead of a socket. */
  stdio?: boolean;
}

/** A value MMDAgent-EX uses, with where it came from (no origin: the built-in default). */
export interface Sourced<T> {
  value: T;
  origin?: Origin;
}

/** What MMDAgent-EX itself will do, as read from its keys. */
export interface MmdagentSide {
  /** False when `enablePlugin`/`disablePlugin`/`exclude_Plugin_Remote` keep Plugin_Remote from loading. */
  pluginLoaded: boolean;
  /** TCP server mode (MMDAgent-EX listens on all interfaces). */
  tcpServer?: { port: Sourced<number>; origin: Origin };
  /** TCP client mode (after the loop guard). */
  tcpClient?: { host: Sourced<string>; port: Sourced<number>; origin: Origin };
  /** True when client mode was configured but the loop guard turned it off. */
  loopGuard: boolean;
  /** WebSocket client mode. */
  websocket?: {
    host: Sourced<string>;
    port: Sourced<number>;
    directory: Sourced<string>;
    tls: boolean;
    origin: Origin;
  };
  /** Extra connection attempts (TCP client and WebSocket). */
  retryCount: Sourced<number>;
  allLog: boolean;
  localLipsync: boolean;
}

/** The plan plus everything `check` says about it. */
export interface PlanResult {
  plan: ConnectionPlan;
  mmdagent: MmdagentSide;
  /** Plugin_AnyScript commands and whether each starts mmdbot. */
  anyScript: AnyScriptCommand[];
  /** Findings about the combination of modes (the per-key traps are in lint.ts). */
  findings: Finding[];
}

/** The built-in defaults of Plugin_Remote (reference 2.7). */
export const DEFAULTS = {
  port: 60001,
  hostname: "localhost",
  websocketPort: 80,
  websocketDirectory: "/",
  retryCount: 0,
  tcpHost: "127.0.0.1",
} as const;

/** True when MMDAgent-EX would load the named plugin (`Plugin.cpp` isAllowed). */
export function pluginAllowed(doc: Pick<MdfDocument, "keys">, name: string): boolean {
  const list = (key: string) => doc.keys.get(key)?.value;
  const enable = list("enablePlugin");
  const disable = list("disablePlugin");
  if (enable === "ALL") return true;
  if (enable !== undefined && enable !== "NONE" && enable.split(",").includes(name)) return true;
  if (disable === "ALL") return false;
  if (disable !== undefined && disable !== "NONE" && disable.split(",").includes(name)) {
    return false;
  }
  const exclude = list(`exclude_Plugin_${name}`);
  return !(exclude === "yes" || exclude === "true");
}

/** The address mmdbot listens on: loopback when MMDAgent-EX connects to localhost. */
export function bindFor(host: string): string {
  return isLoopbackName(host) ? "127.0.0.1" : "0.0.0.0";
}

function isLoopbackName(host: string): boolean {
  return host.toLowerCase() === "localhost" || host === "127.0.0.1";
}

function int(e: MdfEntry | undefined, fallback: number): Sourced<number> {
  return e ? { value: atoi(e.value).value, origin: e.origin } : { value: fallback };
}

function port(e: MdfEntry | undefined, fallback: number): Sourced<number> {
  const n = int(e, fallback);
  return { ...n, value: toPort16(n.value) };
}

/** Reads what MMDAgent-EX will do from the keys, exactly as Plugin_Remote does at start-up. */
export function mmdagentSide(doc: Pick<MdfDocument, "keys">): MmdagentSide {
  const k = (key: string) => doc.keys.get(key);
  const switchOf = (...names: string[]) =>
    names.map(k).find((e) => e !== undefined && onUnlessFalse(e.value));
  const server = switchOf("Plugin_Remote_EnableServer", "Plugin_Remote_ServerMode");
  const client = switchOf("Plugin_Remote_EnableClient", "Plugin_Remote_ClientMode");
  const wsHost = k("Plugin_Remote_Websocket_Host");
  const side: MmdagentSide = {
    pluginLoaded: pluginAllowed(doc, "Remote"),
    loopGuard: false,
    retryCount: int(k("Plugin_Remote_RetryCount"), DEFAULTS.retryCount),
    allLog: onUnlessFalse(k("Plugin_Remote_AllLog")?.value),
    localLipsync: onForTrueYes(k("Plugin_Remote_EnableLocalLipsync")?.value),
  };
  // Plugin_Remote_Port is read only in client mode; then it also serves as the listen port when
  // ListenPort is missing (PR.cpp:437-451).
  const clientPort = client ? port(k("Plugin_Remote_Port"), DEFAULTS.port) : undefined;
  if (server) {
    const listen = k("Plugin_Remote_ListenPort")
      ? port(k("Plugin_Remote_ListenPort"), DEFAULTS.port)
      : clientPort ?? { value: DEFAULTS.port };
    side.tcpServer = { port: listen, origin: server.origin };
  }
  if (client && clientPort) {
    const h = k("Plugin_Remote_Hostname");
    const host: Sourced<string> = h
      ? { value: h.value, origin: h.origin }
      : { value: DEFAULTS.hostname };
    const guard = side.tcpServer !== undefined &&
      (host.value === "localhost" || host.value === "127.0.0.1") &&
      clientPort.value === side.tcpServer.port.value;
    if (guard) side.loopGuard = true;
    else side.tcpClient = { host, port: clientPort, origin: client.origin };
  }
  if (wsHost && wsHost.value !== "") {
    const p = port(k("Plugin_Remote_Websocket_Port"), DEFAULTS.websocketPort);
    const d = k("Plugin_Remote_Websocket_Directory");
    side.websocket = {
      host: { value: wsHost.value, origin: wsHost.origin },
      port: p,
      directory: d ? { value: d.value, origin: d.origin } : { value: DEFAULTS.websocketDirectory },
      tls: p.value === 443,
      origin: wsHost.origin,
    };
  }
  return side;
}

/**
 * Derives mmdbot's connection plan from a loaded `.mdf`.
 *
 * @example
 * ```ts
 * const { plan, findings } = planConnection(await loadMdf("examples/tcp-server.mdf"));
 * // plan: { mode: "tcp-client", host: "127.0.0.1", port: 50001, origin: … }
 * ```
 */
export function planConnection(doc: MdfDocument, options: PlanOptions = {}): PlanResult {
  const side = mmdagentSide(doc);
  const anyScript = anyScriptCommands(doc);
  const findings: Finding[] = [];
  const file = { file: doc.content.file, line: 0 };
  const result = (plan: ConnectionPlan): PlanResult => ({
    plan,
    mmdagent: side,
    anyScript,
    findings,
  });
  const retryCount = side.retryCount.value;
  const bind = (host: string, at: Origin): string => {
    if (options.bind) return options.bind;
    const b = bindFor(host);
    if (b === "0.0.0.0") {
      findings.push(finding(
        "info",
        at,
        "bind-all-interfaces",
        `MMDAgent-EX connects to "${host}", not to this machine's loopback, so mmdbot will listen ` +
          "on all interfaces (0.0.0.0): other hosts on the network can reach it",
        "run mmdbot on the machine named there; use --bind <address> to listen on one address only",
      ));
    }
    return b;
  };

  if (options.stdio) return result({ mode: "stdio" });

  const tcpOn = side.tcpServer !== undefined || side.tcpClient !== undefined || side.loopGuard;
  if (!side.pluginLoaded && (tcpOn || side.websocket)) {
    findings.push(finding(
      "warning",
      side.tcpServer?.origin ?? side.tcpClient?.origin ?? side.websocket?.origin ?? file,
      "remote-plugin-disabled",
      "Plugin_Remote is configured but enablePlugin/disablePlugin/exclude_Plugin_Remote keep it " +
        "from loading, so MMDAgent-EX opens no socket",
      "remove Remote from disablePlugin (or add it to enablePlugin)",
    ));
    return result({ mode: "none", reason: "Plugin_Remote is not loaded" });
  }

  if (tcpOn && side.websocket) {
    const tcp = side.tcpServer ?? side.tcpClient!;
    findings.push(finding(
      "error",
      side.websocket.origin,
      "tcp-and-websocket",
      `TCP (line ${tcp.origin.line}) and WebSocket (line ${side.websocket.origin.line}) are both ` +
        "configured. MMDAgent-EX then starts both in one network loop and misbehaves: each pass " +
        "waits on the WebSocket, then blocks in the TCP select() with no timeout, so while no TCP " +
        "client is connected no WebSocket data is read or sent (and with one connected the loop " +
        "busy-spins); all connections share one receive buffer; and if the WebSocket connect " +
        "fails, the whole network thread ends, TCP server included. No single peer can make this " +
        "work (with --force, mmdbot serves the WebSocket)",
      "keep only one transport: remove the Plugin_Remote_Websocket_* keys, or the TCP keys " +
        "(EnableServer/EnableClient/ServerMode/ClientMode)",
    ));
  }

  if (side.websocket) {
    const ws = side.websocket;
    return result({
      mode: "ws-server",
      bind: bind(ws.host.value, ws.host.origin ?? ws.origin),
      port: ws.port.value,
      path: ws.directory.value,
      tls: ws.tls,
      retryCount,
      origin: ws.origin,
    });
  }

  if (side.loopGuard && side.tcpServer) {
    findings.push(finding(
      "info",
      side.tcpServer.origin,
      "server-client-loop-guard",
      "TCP server and client are both on, and the client would connect to MMDAgent-EX's own " +
        `listen port ${side.tcpServer.port.value} on localhost: MMDAgent-EX's loop guard turns ` +
        "client mode off, so it is a plain TCP server",
      "remove the client keys (EnableClient/ClientMode, Hostname, Port) to say what happens",
    ));
  }

  if (side.tcpServer && side.tcpClient) {
    findings.push(finding(
      "info",
      side.tcpClient.origin,
      "server-and-client",
      `TCP server (port ${side.tcpServer.port.value}) and client (to ` +
        `${side.tcpClient.host.value}:${side.tcpClient.port.value}) are both on. MMDAgent-EX ` +
        `first tries its client connection (${
          1 + retryCount
        } tries, 0.5 s apart), then drops client mode ` +
        "and keeps serving; mmdbot takes the connecting side, because MMDAgent-EX's server keeps " +
        "accepting after any disconnect while its client gives up for good",
      "remove the client keys so MMDAgent-EX starts without the failed connection attempts",
    ));
  }

  if (side.tcpServer) {
    return result({
      mode: "tcp-client",
      host: options.host ?? DEFAULTS.tcpHost,
      port: side.tcpServer.port.value,
      origin: side.tcpServer.origin,
    });
  }

  if (side.tcpClient) {
    const c = side.tcpClient;
    return result({
      mode: "tcp-server",
      bind: bind(c.host.value, c.host.origin ?? c.origin),
      port: c.port.value,
      retryCount,
      origin: c.origin,
    });
  }

  const starter = anyScript.find((c) => c.startsMmdbot);
  return result({
    mode: "none",
    reason: starter
      ? `no Plugin_Remote transport; MMDAgent-EX starts mmdbot itself through ${starter.key} ` +
        `(${starter.origin.file}:${starter.origin.line}), which runs \`start --stdio\``
      : "no Plugin_Remote transport is configured (EnableServer, EnableClient or Websocket_Host)",
  });
}

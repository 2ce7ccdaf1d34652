/**
 * The connection plan: which role mmdbot takes, derived from MMDAgent-EX's `Plugin_Remote_*` keys
 * (mmdbot takes the opposite role of MMDAgent-EX), or stdio when run as a Plugin_AnyScript child,
 * or none (console mode).
 */

/** Where a value came from, so every message can name `file:line`. */
export interface Origin {
  file: string;
  line: number;
}

/** mmdbot connects to MMDAgent-EX's TCP server. */
export interface TcpClientPlan {
  mode: "tcp-client";
  host: string;
  port: number;
  origin?: Origin;
}

/** mmdbot listens; MMDAgent-EX connects as a TCP client. */
export interface TcpServerPlan {
  mode: "tcp-server";
  bind: string;
  port: number;
  /** MMDAgent-EX's `Plugin_Remote_RetryCount` (it gives up after 1 + this many tries). */
  retryCount: number;
  origin?: Origin;
}

/** mmdbot runs a WebSocket server; MMDAgent-EX connects as a WebSocket client. */
export interface WsServerPlan {
  mode: "ws-server";
  bind: string;
  port: number;
  /** The configured `Plugin_Remote_Websocket_Directory`; any path is accepted, others warned. */
  path: string;
  /** Port 443: MMDAgent-EX speaks wss, so `--cert/--key` are needed. */
  tls: boolean;
  retryCount: number;
  origin?: Origin;
}

/** mmdbot is a Plugin_AnyScript child: MMDAgent-EX's messages on stdin, ours on stdout. */
export interface StdioPlan {
  mode: "stdio";
}

/** No transport configured: console mode against the in-process emulator. */
export interface NonePlan {
  mode: "none";
  reason: string;
}

/** One of the ways mmdbot reaches MMDAgent-EX. */
export type ConnectionPlan = TcpClientPlan | TcpServerPlan | WsServerPlan | StdioPlan | NonePlan;

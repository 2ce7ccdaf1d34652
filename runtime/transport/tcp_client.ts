/**
 * mmdbot as the TCP client: MMDAgent-EX runs `Plugin_Remote_EnableServer` and listens; we dial it.
 */
import type { Conn } from "./conn.ts";
import { wrapTcpConn } from "./tcp_conn.ts";

/**
 * Opens one TCP connection to MMDAgent-EX's server. Rejects when the connect fails (the link
 * retries with backoff).
 *
 * @example
 * const conn = await dialTcp("127.0.0.1", 50001);
 */
export async function dialTcp(host: string, port: number, signal?: AbortSignal): Promise<Conn> {
  const tcp = await Deno.connect({ hostname: host, port, transport: "tcp", signal });
  return wrapTcpConn(tcp);
}

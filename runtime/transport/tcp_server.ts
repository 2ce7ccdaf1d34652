/**
 * mmdbot as the TCP server: MMDAgent-EX runs `Plugin_Remote_EnableClient` and connects to us.
 * MMDAgent-EX has one client socket; what to do when a second connection arrives is the link's
 * decision (see link.ts), this module only accepts.
 */
import { createChannel } from "./channel.ts";
import type { Conn, Listener } from "./conn.ts";
import { formatAddr, wrapTcpConn } from "./tcp_conn.ts";

/**
 * Listens on `bind:port` (port 0 picks a free one) and yields every accepted connection.
 *
 * @example
 * const listener = listenTcp("127.0.0.1", 50001);
 * for await (const conn of listener.connections()) console.error(conn.id);
 */
export function listenTcp(bind: string, port: number): Listener {
  const server = Deno.listen({ hostname: bind, port, transport: "tcp" });
  const conns = createChannel<Conn>();
  let stopped = false;
  const loop = (async () => {
    try {
      for await (const tcp of server) conns.push(wrapTcpConn(tcp));
    } catch {
      // The listener was closed, or accept failed for good; either way no more connections come.
    } finally {
      conns.close();
    }
  })();
  return {
    address: formatAddr(server.addr),
    port: (server.addr as Deno.NetAddr).port,
    connections: () => conns,
    async close() {
      if (!stopped) {
        stopped = true;
        try {
          server.close();
        } catch {
          // Already closed.
        }
      }
      await loop;
    },
  };
}

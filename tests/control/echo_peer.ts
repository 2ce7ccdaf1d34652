/**
 * A loopback stand-in for MMDAgent-EX's TCP server that behaves as the real one does for what
 * `send` relies on: a line a peer writes is taken by the main loop only at its next frame, and
 * only while that peer is still connected (on Linux a disconnect breaks Plugin_Remote before the
 * main loop takes the line: reference 7.5); every line it issues is echoed to every open peer.
 * `echo: false` is an MMDAgent-EX that takes nothing (wedged), to test the failure path.
 */
export interface EchoPeer {
  port: number;
  /** Lines MMDAgent-EX issued (and echoed), in order. */
  issued: string[];
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/** Starts the peer on an ephemeral loopback port. */
export function startEchoPeer(options: { echo?: boolean; frameMs?: number } = {}): EchoPeer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const frameMs = options.frameMs ?? 50;
  const issued: string[] = [];
  const open = new Set<Deno.TcpConn>();
  const tasks: Promise<void>[] = [];
  let accepted = 0;
  const enc = new TextEncoder();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        accepted++;
        open.add(conn);
        tasks.push((async () => {
          const dec = new TextDecoder();
          let buf = "";
          try {
            for await (const chunk of conn.readable) {
              buf += dec.decode(chunk, { stream: true });
              let i;
              while ((i = buf.indexOf("\n")) !== -1) {
                const line = buf.slice(0, i);
                buf = buf.slice(i + 1);
                if (options.echo === false) continue;
                // The main loop takes it at the next frame, if the sender is still there.
                setTimeout(() => {
                  if (!open.has(conn)) return;
                  issued.push(line);
                  for (const c of open) c.write(enc.encode(line + "\n")).catch(() => {});
                }, frameMs);
              }
            }
          } catch { /* reset */ }
          open.delete(conn);
        })());
      }
    } catch { /* listener closed */ }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    issued,
    get accepted() {
      return accepted;
    },
    async close() {
      listener.close();
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      open.clear();
      await accepting;
      await Promise.allSettled(tasks);
      // Let pending frame timers run out (they see no open peer and issue nothing).
      await new Promise((r) => setTimeout(r, frameMs + 10));
    },
  };
}

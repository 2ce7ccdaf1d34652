/**
 * Serves a running session's {@link ControlTarget} on its control endpoint (see `endpoint.ts` for
 * why a Unix socket in a 0700 directory, and `protocol.ts` for the JSON lines). Each client
 * connection gets its requests answered in order; `tail` streams until the client goes away.
 * Nothing here touches MMDAgent-EX's connection: the target does.
 */
import type { Logger } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import type { ControlTarget } from "./target.ts";
import {
  EndpointError,
  endpointFor,
  type EndpointPaths,
  probeEndpoint,
  readDiscovery,
  removeEndpoint,
  writeDiscovery,
} from "./endpoint.ts";
import { readLines, writeAll } from "./lines.ts";
import {
  frame,
  MAX_FRAME_BYTES,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
  type Request,
  requestSchema,
  zodMessage,
} from "./protocol.ts";
import { mmdbotCommand, shellPath } from "../paths/invocation.ts";

/**
 * Control clients served at once; one more is told so and closed. The channel is the operator's
 * (a 0600 socket), but a stuck script opening connections in a loop must not grow the runtime.
 */
export const MAX_CONTROL_CLIENTS = 32;
/** Live tails one client may hold (each keeps its own bounded backlog of records). */
export const MAX_TAILS_PER_CLIENT = 4;

/** Options of {@link serveControl}. */
export interface ServeControlOptions {
  /** The session's `.mdf`; undefined for console mode. */
  mdfPath?: string;
  /** The runtime's logger (the channel logs under `control`). */
  logger?: Logger;
  /** Runtime directory override (default: see `endpoint.ts`). */
  dir?: string;
}

/** A serving control endpoint. */
export interface ControlServer {
  /** The socket path clients connect to. */
  readonly endpoint: string;
  /** The endpoint's files. */
  readonly paths: EndpointPaths;
  /** Number of client connections open now (for status and tests). */
  readonly clients: number;
  /** Stops accepting, ends every tail, closes every client, removes the socket and its file. */
  close(): Promise<void>;
}

/**
 * Starts serving `target`. Fails when a live runtime already serves the same `.mdf` (with how to
 * stop it); removes a stale socket left by a runtime that died.
 *
 * @example
 * const control = await serveControl(session, { mdfPath: "examples/tcp-server.mdf", logger });
 * // … later, during shutdown:
 * await control.close();
 */
export async function serveControl(
  target: ControlTarget,
  options: ServeControlOptions = {},
): Promise<ControlServer> {
  const log = (options.logger ?? silentLogger).child("control");
  if (Deno.build.os === "windows") {
    throw new EndpointError(
      "the control channel needs Unix domain sockets, which mmdbot does not use on Windows yet",
      "run without a control channel: send and listen will open their own connection",
    );
  }
  const paths = await endpointFor(options.mdfPath, { dir: options.dir });
  const found = await probeEndpoint(paths);
  if (found.state === "live") {
    found.conn.close();
    const who = found.info ? ` (pid ${found.info.pid}, since ${found.info.started})` : "";
    const mdf = options.mdfPath ? ` ${shellPath(options.mdfPath)}` : "";
    throw new EndpointError(
      `a runtime is already running for ${options.mdfPath ?? "console mode"}${who}`,
      `stop it first with \`${mmdbotCommand(`stop${mdf}`)}\`, or talk to it with ` +
        `\`${mmdbotCommand(`send${mdf || " <mdf>"} <line>`)}\` and \`${
          mmdbotCommand(`listen${mdf || " <mdf>"}`)
        }\``,
    );
  }
  if (found.state === "stale") {
    log.info("removing a stale control socket", { socket: paths.socket, reason: found.reason });
    await removeEndpoint(paths);
  }

  const listener = Deno.listen({ transport: "unix", path: paths.socket });
  // The 0700 directory already keeps others out between bind and this chmod.
  await Deno.chmod(paths.socket, 0o600);
  await writeDiscovery(paths, {
    version: 1,
    pid: Deno.pid,
    mdf: paths.mdf,
    started: new Date().toISOString(),
    socket: paths.socket,
  });
  log.info("control channel ready", { socket: paths.socket });

  const hello = {
    hello: PROTOCOL_NAME,
    version: PROTOCOL_VERSION,
    pid: Deno.pid,
    ...(paths.mdf ? { mdf: paths.mdf } : {}),
  };
  const live = new Map<Deno.UnixConn, { abort: AbortController; done: Promise<void> }>();
  let closing = false;
  let refusedClients = 0;

  const acceptLoop = (async () => {
    try {
      for await (const conn of listener) {
        if (closing) {
          conn.close();
          break;
        }
        if (live.size >= MAX_CONTROL_CLIENTS) {
          const message = `too many control clients (${MAX_CONTROL_CLIENTS} open); close some ` +
            "(`listen`, `send --keep`) and retry";
          if (!refusedClients++) log.warn(message);
          void writeAll(conn, frame({ id: 0, ok: false, error: { message } }))
            .catch(() => {})
            .finally(() => {
              try {
                conn.close();
              } catch { /* already closed */ }
            });
          continue;
        }
        const abort = new AbortController();
        const entry = { abort, done: Promise.resolve() };
        live.set(conn, entry);
        entry.done = serveClient(conn, abort.signal).finally(() => {
          live.delete(conn);
          try {
            conn.close();
          } catch { /* already closed */ }
        });
      }
    } catch (err) {
      if (!closing) log.error("control channel stopped accepting", { error: String(err) });
    }
  })();

  async function serveClient(conn: Deno.UnixConn, signal: AbortSignal): Promise<void> {
    let writing: Promise<void> = Promise.resolve();
    /** Serialises writes so stream items and replies never interleave inside a line. */
    const send = (message: unknown): Promise<void> => {
      const bytes = frame(message);
      writing = writing.then(() => writeAll(conn, bytes)).catch(() => {});
      return writing;
    };
    const tails: Promise<void>[] = [];
    let liveTails = 0;
    const gone = new AbortController();
    const onAbort = () => gone.abort();
    signal.addEventListener("abort", onAbort);
    try {
      await send(hello);
      for await (const item of readLines(conn.readable, MAX_FRAME_BYTES)) {
        if (signal.aborted) break;
        if (!item.ok) {
          await send({ id: 0, ok: false, error: { message: "request too long" } });
          break;
        }
        let request: Request;
        try {
          const parsed = requestSchema.safeParse(JSON.parse(new TextDecoder().decode(item.bytes)));
          if (!parsed.success) {
            await send({
              id: 0,
              ok: false,
              error: { message: `bad request: ${zodMessage(parsed.error)}` },
            });
            continue;
          }
          request = parsed.data;
        } catch {
          await send({ id: 0, ok: false, error: { message: "bad request: not JSON" } });
          continue;
        }
        if (request.op === "tail") {
          if (liveTails >= MAX_TAILS_PER_CLIENT) {
            await send({
              id: request.id,
              ok: false,
              error: { message: `at most ${MAX_TAILS_PER_CLIENT} tails per connection` },
            });
            continue;
          }
          liveTails++;
          tails.push(
            runTail(request.id, request.json, gone.signal, send).finally(() => liveTails--),
          );
          continue;
        }
        await handle(request, send, conn);
      }
    } catch (err) {
      if (!signal.aborted) log.debug("control client error", { error: String(err) });
    } finally {
      signal.removeEventListener("abort", onAbort);
      gone.abort();
      await Promise.all(tails);
      await writing;
    }
  }

  async function runTail(
    id: number,
    json: boolean,
    signal: AbortSignal,
    send: (m: unknown) => Promise<void>,
  ): Promise<void> {
    try {
      for await (const record of target.tail(signal)) {
        if (signal.aborted) break;
        if (json) await send({ id, record });
        else if (record.dir === "in") await send({ id, line: record.line });
      }
    } catch (err) {
      if (!signal.aborted) {
        await send({ id, ok: false, error: { message: `tail failed: ${errorText(err)}` } });
      }
    }
  }

  async function handle(
    request: Exclude<Request, { op: "tail" }>,
    send: (m: unknown) => Promise<void>,
    conn: Deno.UnixConn,
  ): Promise<void> {
    const { id } = request;
    try {
      switch (request.op) {
        case "send": {
          const { line, allowDangerous, echoTimeoutMs } = request;
          if (echoTimeoutMs !== undefined && echoTimeoutMs > 0 && target.deliver) {
            // The write is awaited (lines stay in order); the echo is awaited beside the next
            // requests, so a client can keep lines flowing while earlier ones are confirmed.
            const delivery = target.deliver(line, { allowDangerous, echoTimeoutMs });
            await delivery.sent.catch(() => {});
            void delivery.outcome.then(
              (result) => send({ id, ok: true, result }),
              (err) => send({ id, ok: false, error: { message: errorText(err) } }),
            );
            return;
          }
          const result = await target.send(line, { allowDangerous });
          await send({ id, ok: true, result });
          return;
        }
        case "status":
          await send({ id, ok: true, result: target.status() });
          return;
        case "reload": {
          log.info("reload requested through the control channel", { bot: request.bot });
          await send({ id, ok: true, result: await target.reload(request.bot) });
          return;
        }
        case "stop": {
          log.info("stop requested through the control channel");
          // Acknowledge first, then stop without awaiting here: the session's stop closes this
          // server, whose close() waits for this very client loop. The client waits for EOF.
          await send({ id, ok: true, result: "stopping" });
          target.stop().catch((err) => log.error("stop failed", { error: errorText(err) }))
            .finally(() => {
              try {
                conn.close();
              } catch { /* already closed by close() */ }
            });
          return;
        }
      }
    } catch (err) {
      await send({ id, ok: false, error: { message: errorText(err) } });
    }
  }

  return {
    endpoint: paths.socket,
    paths,
    get clients() {
      return live.size;
    },
    async close() {
      if (closing) return;
      closing = true;
      // Remove the files first so no new client finds a runtime that is going away; only ours.
      const info = await readDiscovery(paths);
      if (!info || info.pid === Deno.pid) await removeEndpoint(paths).catch(() => {});
      try {
        listener.close();
      } catch { /* already closed */ }
      await acceptLoop;
      for (const [conn, entry] of live) {
        entry.abort.abort();
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      await Promise.all([...live.values()].map((e) => e.done));
      log.debug("control channel closed");
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

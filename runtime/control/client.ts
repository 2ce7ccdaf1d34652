/**
 * The client side of the control channel: finds the runtime running for an `.mdf` (or console
 * mode), connects, checks its hello, and offers typed calls with timeouts and errors a person can
 * act on. Used by the CLI's `send`, `listen`, `status`, `reload` and `stop`.
 */
import type { TrafficRecord } from "../record/schema.ts";
import type { ControlSendResult, SessionStatus } from "./target.ts";
import {
  EndpointError,
  endpointFor,
  type EndpointPaths,
  probeEndpoint,
  removeEndpoint,
} from "./endpoint.ts";
import { readLines, writeAll } from "./lines.ts";
import {
  frame,
  type Hello,
  helloSchema,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  reloadResultSchema,
  type RequestBody,
  sendResultSchema,
  serverMessageSchema,
  statusSchema,
  zodMessage,
} from "./protocol.ts";
import { mmdbotCommand, shellPath } from "../paths/invocation.ts";
import { MmdbotError } from "../errors/error.ts";

/** Options of {@link findRuntime}. */
export interface FindOptions {
  /** Runtime directory override (default: see `endpoint.ts`). */
  dir?: string;
  /** How long to wait for the server's hello (default 5 s). */
  helloTimeoutMs?: number;
}

/** Thrown by calls that need a running runtime when there is none. */
export class NoRuntimeError extends MmdbotError {
  /** Builds the message: which `.mdf`, and how to start a runtime for it. */
  constructor(mdfPath: string | undefined) {
    const start = mmdbotCommand(mdfPath ? `start ${shellPath(mdfPath)}` : "start");
    super(`no runtime is running for ${mdfPath ?? "console mode"}; start one with \`${start}\``);
    this.name = "NoRuntimeError";
  }
}

/** A live tail: iterate for items; `close()` (or the signal) detaches. */
export interface TailStream extends AsyncIterable<string | TrafficRecord> {
  /** Resolves when the runtime ends the stream (it stopped) or the client closed. */
  readonly ended: Promise<void>;
}

/** An open connection to a running runtime's control channel. */
export interface ControlClient {
  /** What the runtime said about itself on connect. */
  readonly hello: Hello;
  /** The endpoint's files. */
  readonly paths: EndpointPaths;
  /**
   * Sends one line (the runtime applies its operator ACL and the guard). With `echoTimeoutMs`, the
   * answer waits for MMDAgent-EX's echo: `delivered`, or `not-delivered` after that bound (a
   * runtime that cannot see echoes answers `written`). Calls may overlap: lines are written in call
   * order.
   */
  send(line: string, allowDangerous?: boolean, echoTimeoutMs?: number): Promise<ControlSendResult>;
  /** The runtime's state: plan, link counters, bots. */
  status(): Promise<SessionStatus>;
  /** Reloads one bot or all; the names reloaded. */
  reload(bot?: string): Promise<string[]>;
  /** Asks the runtime to stop and waits (up to `timeoutMs`, default 30 s) until it has closed. */
  stop(timeoutMs?: number): Promise<void>;
  /** Starts a tail: inbound lines' text (`json: false`) or records of both directions. */
  tail(json: boolean): TailStream;
  /** Resolves when the runtime closes this connection. */
  readonly closed: Promise<void>;
  /** Closes this connection (ends its tails); the runtime keeps running. */
  close(): void;
}

type Pending = {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
};

/**
 * Connects to the runtime for `mdfPath` (undefined = console mode); undefined when none runs. A
 * stale socket (its runtime died) is removed on the way. Throws {@link EndpointError} for unsafe
 * directories and sockets of another user.
 *
 * @example
 * const client = await findRuntime("examples/tcp-server.mdf");
 * if (client) console.log(await client.send("MOTION_ADD|mei|wave|wave.vmd"));
 */
export async function findRuntime(
  mdfPath: string | undefined,
  options: FindOptions = {},
): Promise<ControlClient | undefined> {
  // No control channel on Windows yet (see endpoint.ts): callers fall back to their own link.
  if (Deno.build.os === "windows") return undefined;
  const paths = await endpointFor(mdfPath, { dir: options.dir });
  return await attachEndpoint(paths, options);
}

/**
 * Connects to the runtime at `paths`; undefined when none runs there (a stale socket is removed).
 */
export async function attachEndpoint(
  paths: EndpointPaths,
  options: Pick<FindOptions, "helloTimeoutMs"> = {},
): Promise<ControlClient | undefined> {
  const found = await probeEndpoint(paths);
  if (found.state === "absent") return undefined;
  if (found.state === "stale") {
    await removeEndpoint(paths).catch(() => {});
    return undefined;
  }
  return await attach(found.conn, paths, options.helloTimeoutMs ?? 5000);
}

/** Like {@link findRuntime}, but a missing runtime is a {@link NoRuntimeError}. */
export async function requireRuntime(
  mdfPath: string | undefined,
  options: FindOptions = {},
): Promise<ControlClient> {
  const client = await findRuntime(mdfPath, options);
  if (!client) throw new NoRuntimeError(mdfPath);
  return client;
}

async function attach(
  conn: Deno.UnixConn,
  paths: EndpointPaths,
  helloTimeoutMs: number,
): Promise<ControlClient> {
  const lines = readLines(conn.readable, MAX_FRAME_BYTES);
  const decoder = new TextDecoder();
  let helloTimer: number | undefined;
  let hello: Hello;
  try {
    const first = await Promise.race([
      lines.next(),
      new Promise<never>((_, reject) => {
        helloTimer = setTimeout(
          () =>
            reject(
              new EndpointError(
                `the runtime at ${paths.socket} accepted but did not answer within ` +
                  `${helloTimeoutMs} ms`,
                "it may be hung: check its log, or stop it (kill the pid in " + paths.info + ")",
              ),
            ),
          helloTimeoutMs,
        ) as unknown as number;
      }),
    ]);
    if (first.done || !first.value.ok) {
      throw new EndpointError(
        `the runtime at ${paths.socket} closed the control connection at once`,
        "it may be stopping; try again",
      );
    }
    const parsed = helloSchema.safeParse(JSON.parse(decoder.decode(first.value.bytes)));
    if (!parsed.success) {
      throw new EndpointError(
        `${paths.socket} does not speak mmdbot's control protocol (${zodMessage(parsed.error)})`,
        `remove it if no mmdbot uses it: rm ${paths.socket}`,
      );
    }
    hello = parsed.data;
    if (hello.version !== PROTOCOL_VERSION) {
      throw new EndpointError(
        `the runtime speaks control protocol ${hello.version}, this mmdbot ${PROTOCOL_VERSION}`,
        "use the same mmdbot version for start and for this command",
      );
    }
  } catch (err) {
    clearTimeout(helloTimer);
    try {
      conn.close();
    } catch { /* closed */ }
    await lines.return(undefined).catch(() => {});
    throw err;
  }
  clearTimeout(helloTimer);

  let nextId = 1;
  const pending = new Map<number, Pending>();
  const tails = new Map<number, { push(item: string | TrafficRecord): void; end(): void }>();
  let closedByUs = false;
  let writing: Promise<void> = Promise.resolve();

  const closed = (async () => {
    try {
      for await (const item of { [Symbol.asyncIterator]: () => lines }) {
        if (!item.ok) continue;
        const parsed = serverMessageSchema.safeParse(JSON.parse(decoder.decode(item.bytes)));
        if (!parsed.success) continue;
        const m = parsed.data;
        if ("ok" in m) {
          const p = pending.get(m.id);
          if (p) {
            pending.delete(m.id);
            if (m.ok) p.resolve(m.result);
            else p.reject(new Error(m.error.message));
          } else if (!m.ok) {
            // A failed tail ends that tail; a reply to id 0 is a protocol complaint.
            tails.get(m.id)?.end();
          }
        } else if ("record" in m) tails.get(m.id)?.push(m.record);
        else tails.get(m.id)?.push(m.line);
      }
    } catch { /* connection reset or closed by us */ }
    const gone = new Error(
      closedByUs ? "control connection closed" : "the runtime closed the control connection " +
        "(it is stopping or stopped)",
    );
    for (const p of pending.values()) p.reject(gone);
    pending.clear();
    for (const t of tails.values()) t.end();
    tails.clear();
  })();

  const request = (body: RequestBody, timeoutMs: number): Promise<unknown> => {
    const id = nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(
          new Error(`the runtime did not answer \`${body.op}\` within ${timeoutMs / 1000} s`),
        );
      }, timeoutMs) as unknown as number;
      pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const bytes = frame({ id, ...body });
      writing = writing.then(() => writeAll(conn, bytes)).catch((err) => {
        pending.get(id)?.reject(new Error(`cannot reach the runtime: ${String(err)}`));
        pending.delete(id);
      });
    });
  };

  const validated = <T>(
    schema: {
      safeParse(v: unknown): { success: true; data: T } | { success: false; error: unknown };
    },
    what: string,
  ) =>
  (v: unknown): T => {
    const r = schema.safeParse(v);
    if (!r.success) throw new Error(`the runtime sent a malformed ${what} answer`);
    return r.data;
  };

  const client: ControlClient = {
    hello,
    paths,
    closed,
    send: (line, allowDangerous = false, echoTimeoutMs) =>
      request(
        echoTimeoutMs === undefined
          ? { op: "send", line, allowDangerous }
          : { op: "send", line, allowDangerous, echoTimeoutMs },
        30_000 + (echoTimeoutMs ?? 0),
      ).then(
        validated(sendResultSchema, "send"),
      ),
    status: () => request({ op: "status" }, 10_000).then(validated(statusSchema, "status")),
    reload: (bot) =>
      request(bot === undefined ? { op: "reload" } : { op: "reload", bot }, 120_000).then(
        validated(reloadResultSchema, "reload"),
      ),
    async stop(timeoutMs = 30_000) {
      await request({ op: "stop" }, 10_000);
      let timer: number | undefined;
      const waited = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>((
          r,
        ) => (timer = setTimeout(() => r(false), timeoutMs) as unknown as number)),
      ]);
      clearTimeout(timer);
      if (!waited) {
        throw new Error(
          `the runtime (pid ${hello.pid}) accepted stop but is still running after ` +
            `${timeoutMs / 1000} s; kill ${hello.pid} if it stays`,
        );
      }
    },
    tail(json) {
      const id = nextId++;
      const buffer: (string | TrafficRecord)[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      let endResolve!: () => void;
      const ended = new Promise<void>((r) => (endResolve = r));
      tails.set(id, {
        push(item) {
          buffer.push(item);
          wake?.();
        },
        end() {
          done = true;
          endResolve();
          wake?.();
        },
      });
      const bytes = frame({ id, op: "tail", json });
      writing = writing.then(() => writeAll(conn, bytes)).catch(() => tails.get(id)?.end());
      return {
        ended,
        async *[Symbol.asyncIterator]() {
          for (;;) {
            if (buffer.length > 0) {
              yield buffer.shift()!;
              continue;
            }
            if (done) return;
            await new Promise<void>((r) => (wake = r));
            wake = undefined;
          }
        },
      };
    },
    close() {
      if (closedByUs) return;
      closedByUs = true;
      try {
        conn.close();
      } catch { /* already closed */ }
    },
  };
  return client;
}

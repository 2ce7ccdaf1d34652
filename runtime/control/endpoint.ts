/**
 * Where a running runtime's control channel lives, so that `send`, `listen`, `status`, `reload` and
 * `stop` find the runtime for the same `.mdf` without the user naming a socket.
 *
 * Choice (issue 7, item 1): a **Unix domain socket**, never a TCP port. A Unix socket has no network
 * address at all, so it cannot be reached from another host, and the file system is the credential:
 *
 * - the socket lives in a per-user directory, `$MMDBOT_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/mmdbot`,
 *   else `/tmp/mmdbot-<uid>`, created with mode 0700; before use the directory is checked to be a
 *   real directory (not a symlink), owned by this user, with no group/other permission bits;
 * - the socket itself is chmod 0600 right after it is bound (the 0700 directory already shuts
 *   others out between bind and chmod).
 *
 * Deno cannot read `SO_PEERCRED`, so the peer's uid is not checked on accept: the 0700 directory
 * and the 0600 socket are the guard, as for ssh-agent, tmux and PostgreSQL's socket. (root passes
 * any file permission; root is outside what a per-user runtime can defend against.)
 *
 * Naming: `<name>-<16 hex of SHA-256 of the .mdf's realpath>.sock`, or `console.sock` without an
 * `.mdf`; beside it `<same>.json` (pid, mdf, started, socket) tells clients what runs there. A
 * socket whose connect is refused is stale (its process died without cleanup) and is removed. The
 * connect is the liveness test: a pid check would need `/proc`, which Deno only opens with
 * `--allow-all`, and a pid can be reused.
 *
 * Not implemented: the loopback-plus-token fallback for systems without Unix sockets (Windows
 * before AF_UNIX support). There {@link serveControl} fails with an error saying so, and the
 * runtime runs without a control channel.
 */
import { basename, isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { MmdbotError } from "../errors/error.ts";

/** The files of one runtime's control endpoint. */
export interface EndpointPaths {
  /** The per-user runtime directory (checked safe). */
  dir: string;
  /** `tcp-server-0123456789abcdef` or `console`. */
  name: string;
  /** The Unix socket. */
  socket: string;
  /** The discovery file beside it. */
  info: string;
  /** The `.mdf`'s realpath, absent for console mode. */
  mdf?: string;
}

/** What a running runtime writes beside its socket (mode 0600). */
export interface DiscoveryInfo {
  /** Format version of this file. */
  version: 1;
  /** The runtime's process id (informational: liveness is tested by connecting). */
  pid: number;
  /** Realpath of the `.mdf`; absent for console mode. */
  mdf?: string;
  /** ISO time the runtime started serving. */
  started: string;
  /** The socket path. */
  socket: string;
}

const discoverySchema: z.ZodType<DiscoveryInfo> = z.object({
  version: z.literal(1),
  pid: z.number().int().positive(),
  mdf: z.string().optional(),
  started: z.string(),
  socket: z.string(),
});

/** Environment variable that overrides the runtime directory (tests, unusual set-ups). */
export const RUNTIME_DIR_ENV = "MMDBOT_RUNTIME_DIR";

/** Longest socket path every Unix accepts (`sun_path` is 104 bytes on macOS, 108 on Linux). */
const MAX_SOCKET_PATH = 103;

/** A control endpoint problem a person can act on. */
export class EndpointError extends MmdbotError {
  /** What to do about it. */
  readonly fix: string;
  /** Builds an error whose message ends with the fix. */
  constructor(message: string, fix: string) {
    super(`${message} (fix: ${fix})`);
    this.name = "EndpointError";
    this.fix = fix;
  }
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

let cachedUid: number | undefined;

/**
 * This process's uid. `Deno.uid()` needs `--allow-sys=uid`, which mmdbot's tasks do not grant, so
 * without it the owner of a freshly made temporary file tells the same.
 */
export async function ownUid(): Promise<number> {
  if (cachedUid !== undefined) return cachedUid;
  try {
    const u = Deno.uid();
    if (u !== null) return (cachedUid = u);
  } catch { /* no sys permission: fall through */ }
  const probe = await Deno.makeTempFile({ prefix: "mmdbot-uid-" });
  try {
    const uid = (await Deno.lstat(probe)).uid;
    if (uid === null) throw new Error("this system reports no file owners");
    return (cachedUid = uid);
  } finally {
    await Deno.remove(probe).catch(() => {});
  }
}

/**
 * The per-user runtime directory, created 0700 when missing and checked: a real directory, owned
 * by this user, with no group or other permissions. Throws an {@link EndpointError} otherwise.
 */
export async function runtimeDir(override?: string): Promise<string> {
  const uid = await ownUid();
  const xdg = env("XDG_RUNTIME_DIR");
  const dir = override ?? env(RUNTIME_DIR_ENV) ??
    (xdg && isAbsolute(xdg) ? join(xdg, "mmdbot") : `/tmp/mmdbot-${uid}`);
  try {
    await Deno.mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) {
      throw new EndpointError(
        `cannot create the control directory ${dir}: ${(err as Error).message}`,
        `create it yourself with mode 700, or set ${RUNTIME_DIR_ENV} to a directory you own`,
      );
    }
  }
  const st = await Deno.lstat(dir);
  if (st.isSymlink || !st.isDirectory) {
    throw new EndpointError(
      `the control directory ${dir} is ${st.isSymlink ? "a symlink" : "not a directory"}; ` +
        "someone else may have placed it to intercept the control socket",
      `remove it, or set ${RUNTIME_DIR_ENV} to a directory you own`,
    );
  }
  if (st.uid !== null && st.uid !== uid) {
    throw new EndpointError(
      `the control directory ${dir} belongs to uid ${st.uid}, not to you (uid ${uid})`,
      `remove it (as its owner), or set ${RUNTIME_DIR_ENV} to a directory you own`,
    );
  }
  if (st.mode !== null && (st.mode & 0o077) !== 0) {
    throw new EndpointError(
      `the control directory ${dir} has mode ${(st.mode & 0o777).toString(8)}: other users ` +
        "could reach the control socket",
      `chmod 700 ${dir}`,
    );
  }
  return dir;
}

async function sha256Hex(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The realpath of an `.mdf`, which names its endpoint (so `a.mdf`, `./a.mdf` and a symlink to it
 * find the same runtime). Throws an error naming the file when it does not exist.
 */
export async function mdfRealPath(mdfPath: string): Promise<string> {
  try {
    return await Deno.realPath(resolve(mdfPath));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new EndpointError(`${mdfPath}: no such file`, "check the path of the .mdf");
    }
    throw err;
  }
}

/**
 * The endpoint for an `.mdf` (or console mode when `mdfPath` is undefined), in a checked runtime
 * directory.
 *
 * @example
 * const ep = await endpointFor("examples/tcp-server.mdf");
 * // ep.socket: "/run/user/1000/mmdbot/tcp-server-3f2a9c0d1e2b4a5f.sock"
 */
export async function endpointFor(
  mdfPath: string | undefined,
  options: { dir?: string } = {},
): Promise<EndpointPaths> {
  const dir = await runtimeDir(options.dir);
  let name = "console";
  let mdf: string | undefined;
  if (mdfPath !== undefined) {
    mdf = await mdfRealPath(mdfPath);
    const slug = basename(mdf).replace(/\.mdf$/i, "").replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 24);
    name = `${slug || "mdf"}-${(await sha256Hex(mdf)).slice(0, 16)}`;
  }
  const socket = join(dir, `${name}.sock`);
  if (new TextEncoder().encode(socket).length > MAX_SOCKET_PATH) {
    throw new EndpointError(
      `the control socket path ${socket} is longer than Unix sockets allow (${MAX_SOCKET_PATH} bytes)`,
      `set ${RUNTIME_DIR_ENV} to a shorter directory, e.g. /tmp/mmdbot-$(id -u)`,
    );
  }
  return { dir, name, socket, info: join(dir, `${name}.json`), mdf };
}

/** Writes the discovery file atomically with mode 0600. */
export async function writeDiscovery(paths: EndpointPaths, info: DiscoveryInfo): Promise<void> {
  const tmp = `${paths.info}.${info.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(info) + "\n", { mode: 0o600 });
  await Deno.chmod(tmp, 0o600);
  await Deno.rename(tmp, paths.info);
}

/** Reads the discovery file; undefined when missing or unreadable (treated as absent). */
export async function readDiscovery(paths: EndpointPaths): Promise<DiscoveryInfo | undefined> {
  try {
    const parsed = discoverySchema.safeParse(JSON.parse(await Deno.readTextFile(paths.info)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** What is at an endpoint: a live runtime, a stale socket, or nothing. */
export type EndpointState =
  | { state: "live"; conn: Deno.UnixConn; info?: DiscoveryInfo }
  | { state: "stale"; reason: string }
  | { state: "absent" };

/**
 * Connects to the endpoint's socket to see whether a runtime serves it. On `live`, the caller owns
 * the returned connection. A permission error is thrown (another user's socket), not hidden.
 */
export async function probeEndpoint(paths: EndpointPaths): Promise<EndpointState> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.lstat(paths.socket);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { state: "absent" };
    throw err;
  }
  if (!st.isSocket) {
    throw new EndpointError(
      `${paths.socket} exists but is not a socket`,
      `remove it: rm ${paths.socket}`,
    );
  }
  try {
    const conn = await Deno.connect({ transport: "unix", path: paths.socket });
    return { state: "live", conn, info: await readDiscovery(paths) };
  } catch (err) {
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new EndpointError(
        `permission denied on the control socket ${paths.socket}: it belongs to another user`,
        "run the command as the user who started the runtime",
      );
    }
    if (err instanceof Deno.errors.NotFound) return { state: "absent" };
    return { state: "stale", reason: (err as Error).message };
  }
}

/** Removes a stale endpoint's socket and discovery file (missing files are fine). */
export async function removeEndpoint(paths: EndpointPaths): Promise<void> {
  for (const p of [paths.socket, paths.info]) {
    await Deno.remove(p).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
}

/** Every endpoint in the runtime directory (live or stale), for `status --all`. */
export async function listEndpoints(options: { dir?: string } = {}): Promise<EndpointPaths[]> {
  const dir = await runtimeDir(options.dir);
  const found: EndpointPaths[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.endsWith(".sock")) continue;
    const name = e.name.slice(0, -".sock".length);
    const paths: EndpointPaths = {
      dir,
      name,
      socket: join(dir, e.name),
      info: join(dir, `${name}.json`),
    };
    const info = await readDiscovery(paths);
    found.push({ ...paths, mdf: info?.mdf });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * A real RabbitMQ broker for the tests: Debian's `rabbitmq-server`, started privately (own node
 * name, ports, data folder and HOME; reference rabbitmq.md §1), outside systemd. `.ci/run` installs
 * the package; on a machine without it the broker tests are skipped with a message saying so.
 *
 * One broker serves every test in the process ({@link controlledBroker}; it takes ~6 s to accept
 * AMQP); the tests that restart it start it again before they end.
 */
import { BrokerClient } from "../../runtime/broker/connection.ts";

const SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const EPMD = "epmd";

/** A free TCP port on 127.0.0.1 (bound, read and released; the broker binds it next). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Resolves once something accepts TCP on the port (bounded). */
async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`epmd did not listen on ${port} within ${deadlineMs} ms`);
}

/** Kills a child's whole process group (it runs in its own session) and waits for it. */
async function killGroup(child: Deno.ChildProcess): Promise<void> {
  try {
    Deno.kill(-child.pid, "SIGKILL");
  } catch { /* gone */ }
  // The child is unref'd (a forgotten broker must not keep the test process alive); awaiting its
  // status needs it ref'd, or the event loop may run dry while we wait.
  child.ref();
  await child.status;
}

/**
 * True when the broker can be started here (or one is given in MMDBOT_TEST_AMQP_URL). With
 * MMDBOT_REQUIRE_BROKER=1 (set by `.ci/run`) the tests run anyway and fail loudly without it.
 */
export const brokerAvailable: boolean = (() => {
  if (Deno.env.get("MMDBOT_TEST_AMQP_URL") || Deno.env.get("MMDBOT_REQUIRE_BROKER") === "1") {
    return true;
  }
  try {
    return Deno.statSync(SERVER).isFile;
  } catch {
    return false;
  }
})();

/** Why broker tests are skipped, for their names. */
export const skipReason = brokerAvailable
  ? ""
  : " (skipped: rabbitmq-server not installed; `apt-get install rabbitmq-server`, as .ci/run does)";

/** A private broker process. */
export interface TestBroker {
  url: string;
  port: number;
  /**
   * Stops the broker (data kept) as `systemctl restart` would: SIGTERM, a graceful shutdown that
   * writes its state out (SIGKILL after 60 s).
   */
  stop(): Promise<void>;
  /**
   * Kills the broker (SIGKILL), as a crash would. RabbitMQ writes durable queue definitions to
   * disk lazily: a queue declared a moment before the crash can be gone after it, with what it
   * held (seen here: one in four restarts within ~1 s of the declare). A test that needs messages
   * to survive the stop uses {@link TestBroker.stop}.
   */
  crash(): Promise<void>;
  /** Starts it again on the same port and data; resolves when it accepts AMQP. */
  start(): Promise<void>;
  /** Running (started and not stopped). */
  readonly running: boolean;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** Waits until a broker accepts an AMQP login and a channel (a listening port is not enough). */
async function waitForAmqp(url: string, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  let last = "";
  while (Date.now() < end) {
    // Each probe is bounded, and its socket dropped whatever happens: a broker still booting may
    // accept TCP and never answer the handshake.
    const c = new BrokerClient(url);
    try {
      const probe = (async () => {
        await c.connect();
        await c.channel();
        await c.close();
      })();
      probe.catch(() => {});
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        probe,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("probe timed out")), 5000);
        }),
      ]).finally(() => clearTimeout(timer));
      return;
    } catch (err) {
      c.drop();
      last = String((err as Error)?.message ?? err);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`rabbitmq-server did not accept AMQP within ${deadlineMs} ms (${last})`);
}

/**
 * Starts a private broker; resolves when it accepts AMQP. Its Erlang port mapper (epmd) is our own
 * child on a private port, started first in the foreground: the broker then uses it instead of
 * daemonising one that would outlive the test (and reading /proc to find it needs --allow-all).
 */
export async function startTestBroker(): Promise<TestBroker> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-rabbit-" });
  const port = freePort();
  const distPort = freePort();
  const epmdPort = freePort();
  const node = `mmdbot-test-${port}@localhost`;
  const env = {
    HOME: dir,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: "127.0.0.1",
    RABBITMQ_MNESIA_BASE: `${dir}/mnesia`,
    RABBITMQ_LOG_BASE: `${dir}/log`,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  let child: Deno.ChildProcess | undefined;
  let epmd: Deno.ChildProcess | undefined;

  // stdio to /dev/null: an inherited pipe would keep a test runner's `tee` waiting forever.
  // Each in its own session (setsid), so the whole tree (shell script, erl, beam) dies with one kill.
  const spawn = (args: string[]) => {
    const c = new Deno.Command("setsid", {
      args,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    c.unref();
    return c;
  };
  const stopGracefully = async () => {
    if (!child) return;
    const c = child;
    child = undefined;
    try {
      Deno.kill(-c.pid, "SIGTERM");
    } catch { /* gone */ }
    c.ref();
    const t = setTimeout(() => {
      try {
        Deno.kill(-c.pid, "SIGKILL");
      } catch { /* gone */ }
    }, 60_000);
    await c.status;
    clearTimeout(t);
    // What is left of its process group (erl_child_setup, inet_gethost) goes too.
    try {
      Deno.kill(-c.pid, "SIGKILL");
    } catch { /* gone */ }
  };
  const kill = async () => {
    if (!child) return;
    const c = child;
    child = undefined;
    await killGroup(c);
  };
  const start = async () => {
    if (!epmd) {
      epmd = spawn([EPMD, "-port", String(epmdPort), "-address", "127.0.0.1"]);
      await waitForPort(epmdPort, 10_000);
    }
    child = spawn([SERVER]);
    await waitForAmqp(url, 120_000);
  };
  globalThis.addEventListener("unload", () => {
    for (const c of [child, epmd]) {
      try {
        if (c) Deno.kill(-c.pid, "SIGKILL");
      } catch { /* gone */ }
    }
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* still being written or gone */ }
  });
  try {
    await start();
  } catch (err) {
    await kill();
    if (epmd) await killGroup(epmd);
    throw err;
  }
  return {
    url,
    port,
    stop: stopGracefully,
    crash: kill,
    start,
    get running() {
      return child !== undefined;
    },
    async dispose() {
      await kill();
      if (epmd) await killGroup(epmd);
      epmd = undefined;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

let controlled: Promise<TestBroker> | undefined;

/**
 * The broker this test process starts once and controls: every broker test shares it, and the
 * ones that restart it (stop, then start on the same data) leave it running again. One start per
 * run instead of one per file (a start takes ~6 s, more on a loaded machine).
 */
export function controlledBroker(): Promise<TestBroker> {
  controlled ??= startTestBroker();
  return controlled;
}

/** The URL of the broker shared by this test process (MMDBOT_TEST_AMQP_URL, or the controlled one). */
export function sharedBrokerUrl(): Promise<string> {
  const given = Deno.env.get("MMDBOT_TEST_AMQP_URL");
  if (given) return Promise.resolve(given);
  return controlledBroker().then((b) => b.url);
}

/** `p`, or a failure naming `what` after `ms` (a hang becomes a readable failure, not a stall). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

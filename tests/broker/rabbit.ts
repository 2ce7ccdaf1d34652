/**
 * A real RabbitMQ broker for the tests: Debian's `rabbitmq-server`, started privately (own node
 * name, ports, data folder and HOME; reference rabbitmq.md §1), outside systemd. `.ci/run` installs
 * the package; on a machine without it the broker tests are skipped with a message saying so.
 *
 * One shared broker serves every test in the process (it takes ~6 s to accept AMQP); a test that
 * restarts the broker starts its own.
 */
import { AMQPClient } from "@cloudamqp/amqp-client";

const SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server";

/**
 * Ends the epmd (Erlang's port mapper) our broker started: it daemonises and outlives the broker.
 * Found by the private port in its environment, so no other Erlang's epmd is touched.
 */
function killEpmd(port: number): void {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (!cmd.includes("epmd")) continue;
      const env = Deno.readTextFileSync(`/proc/${e.name}/environ`).split("\0");
      if (env.includes(`ERL_EPMD_PORT=${port}`)) Deno.kill(Number(e.name), "SIGKILL");
    } catch { /* gone or not ours */ }
  }
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
  /** Stops the broker (data kept), as a crash or restart would. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; resolves when it accepts AMQP. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** Waits until a broker accepts an AMQP login and a channel (a listening port is not enough). */
async function waitForAmqp(url: string, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  let last = "";
  while (Date.now() < end) {
    try {
      const c = new AMQPClient(url);
      const conn = await c.connect();
      await conn.channel();
      await conn.close();
      return;
    } catch (err) {
      last = String((err as Error)?.message ?? err);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`rabbitmq-server did not accept AMQP within ${deadlineMs} ms (${last})`);
}

/** Starts a private broker; resolves when it accepts AMQP. */
export async function startTestBroker(): Promise<TestBroker> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-rabbit-" });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const node = `mmdbot-test-${port}@localhost`;
  const env = {
    HOME: dir,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(port + 1),
    ERL_EPMD_PORT: String(port + 2),
    RABBITMQ_MNESIA_BASE: `${dir}/mnesia`,
    RABBITMQ_LOG_BASE: `${dir}/log`,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  let child: Deno.ChildProcess | undefined;

  const kill = async () => {
    if (!child) return;
    const c = child;
    child = undefined;
    try {
      Deno.kill(-c.pid, "SIGKILL");
    } catch { /* gone */ }
    await c.status;
    killEpmd(port + 2);
  };
  const start = async () => {
    // stdio to /dev/null: an inherited pipe would keep a test runner's `tee` waiting forever.
    // Its own session (setsid), so the whole tree (shell script, erl, beam) dies with one kill.
    child = new Deno.Command("setsid", {
      args: [SERVER],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child.unref();
    await waitForAmqp(url, 30_000);
  };
  globalThis.addEventListener("unload", () => {
    if (!child) return;
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch { /* gone */ }
    killEpmd(port + 2);
  });
  await start();
  return {
    url,
    port,
    stop: kill,
    start,
    async dispose() {
      await kill();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

let shared: Promise<string> | undefined;

/** The URL of the broker shared by this test process (started on first use). */
export function sharedBrokerUrl(): Promise<string> {
  const given = Deno.env.get("MMDBOT_TEST_AMQP_URL");
  if (given) return Promise.resolve(given);
  shared ??= startTestBroker().then((b) => b.url);
  return shared;
}

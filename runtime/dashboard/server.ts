/**
 * The dashboard's web server: one page, one live stream, two actions, all on 127.0.0.1 behind the
 * token printed at start (see `access.ts` for who may connect and why).
 *
 * | route              | token in | what                                                        |
 * | ------------------ | -------- | ----------------------------------------------------------- |
 * | `GET /`            | query    | the page (HTML with its CSS and script inlined, no CDN)     |
 * | `GET /events`      | query    | SSE: a snapshot, then traffic, bots, link, conversation     |
 * | `GET /api/state`   | header   | the same snapshot as JSON (scripts, curl)                   |
 * | `POST /api/send`   | header   | `{line, allowDangerous?}` through the operator path          |
 * | `POST /api/reload` | header   | `{name?}` reloads one bot or all                             |
 *
 * Memory is bounded: the most recent traffic is a ring (`trafficCapacity` rows, each cut to
 * `SHOWN_CHARS`), and the live stream has bounded clients and backlog (`sse.ts`).
 */
import { z } from "zod";
import type { Logger } from "../log/logger.ts";
import { createLogThrottle } from "../log/throttle.ts";
import { realClock } from "../clock/clock.ts";
import { type AccessPolicy, checkAccess, newToken, type TokenPlace } from "./access.ts";
import { linkItem, refusedItem, type TrafficItem, trafficItem } from "./items.ts";
import { loadPage } from "./page.ts";
import { createRing } from "./ring.ts";
import type { DashboardSource } from "./source.ts";
import { createSseHub } from "./sse.ts";
import { MmdbotError } from "../errors/error.ts";

/** Options of {@link serveDashboard}. */
export interface DashboardOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  logger: Logger;
  /** Recent traffic rows kept for pages opened later (default 2000). */
  trafficCapacity?: number;
  /** Most pages streaming at once (default 8). */
  maxClients?: number;
  /** How often bot states and link counters are compared and sent when changed (default 500 ms). */
  pollMs?: number;
}

/** A running dashboard. */
export interface Dashboard {
  /** What to open: `http://127.0.0.1:<port>/?token=<token>`. */
  readonly url: string;
  readonly token: string;
  readonly port: number;
  /** Pages streaming now. */
  readonly clients: number;
  /** Ends every stream and stops the server. */
  close(): Promise<void>;
}

/** Why the dashboard could not start. */
export class DashboardError extends MmdbotError {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "DashboardError";
  }
}

/** Recent turns the page draws. */
const TURNS_SHOWN = 30;

/** Largest request body the actions accept (a line is at most 2000 bytes). */
const MAX_BODY = 64 * 1024;

const sendBody = z.strictObject({
  line: z.string({ error: "line must be a string" }),
  allowDangerous: z.boolean({ error: "allowDangerous must be true or false" }).optional(),
});
const reloadBody = z.strictObject({
  name: z.string({ error: "name must be a bot's name" }).optional(),
});

/** Headers every answer carries: no caching, no framing, no sniffing, no referrer (the token). */
const BASE_HEADERS: Record<string, string> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
};

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...BASE_HEADERS, "content-type": "application/json; charset=utf-8" },
  });
}

function text(status: number, body: string): Response {
  return new Response(body + "\n", {
    status,
    headers: { ...BASE_HEADERS, "content-type": "text/plain; charset=utf-8" },
  });
}

/** Reads a small JSON body, or says why not. */
async function readJson(req: Request): Promise<{ ok: true; value: unknown } | Response> {
  const type = req.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    return json(415, { error: "send JSON (content-type: application/json)" });
  }
  const length = Number(req.headers.get("content-length") ?? NaN);
  if (!Number.isFinite(length) || length > MAX_BODY) {
    return json(413, { error: `the body must state its length and be at most ${MAX_BODY} bytes` });
  }
  try {
    return { ok: true, value: JSON.parse(await req.text()) };
  } catch {
    return json(400, { error: "the body is not valid JSON" });
  }
}

function issues(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ` : "") + i.message).join(
    "; ",
  );
}

/**
 * Serves the dashboard for `source` on 127.0.0.1.
 *
 * @example
 * ```ts
 * const dash = await serveDashboard(sessionSource(session), { logger });
 * logger.info(`dashboard: ${dash.url}`);
 * ```
 */
export async function serveDashboard(
  source: DashboardSource,
  options: DashboardOptions,
): Promise<Dashboard> {
  const log = options.logger.child("dashboard");
  const token = newToken();
  const ring = createRing<TrafficItem>(options.trafficCapacity ?? 2000);
  const hub = createSseHub({ maxClients: options.maxClients ?? 8 });
  const page = await loadPage();
  const stop = new AbortController();
  let seq = 0;

  // Traffic rows are sent in small batches: a busy session can carry thousands of lines a second.
  let pending: TrafficItem[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    flushTimer = undefined;
    const batch = pending;
    pending = [];
    hub.broadcast("traffic", batch);
  };
  const add = (item: TrafficItem) => {
    ring.push(item);
    if (hub.clients === 0) return;
    pending.push(item);
    flushTimer ??= setTimeout(flush, 50);
  };

  const unTraffic = source.onTraffic((r) => add(trafficItem(++seq, r)));
  const unRefused = source.onRefused((r) => add(refusedItem(++seq, r)));
  const unLink = source.onLinkState?.((ev) => add(linkItem(++seq, ev))) ?? (() => {});

  // The conversation view is small (the avatar, recent turns, percentiles): sent whole, at most
  // every 100 ms however busy the conversation is.
  const conv = source.conversation;
  const conversation = () =>
    conv
      ? { avatar: conv.avatar(), turns: conv.turns().slice(-TURNS_SHOWN), metrics: conv.metrics() }
      : null;
  let convTimer: ReturnType<typeof setTimeout> | undefined;
  const unConv = conv?.subscribe(() => {
    if (hub.clients === 0) return;
    convTimer ??= setTimeout(() => {
      convTimer = undefined;
      hub.broadcast("conversation", conversation());
    }, 100);
  }) ?? (() => {});

  const snapshot = () => ({
    traffic: ring.items(),
    trafficCapacity: options.trafficCapacity ?? 2000,
    bots: source.bots(),
    link: source.link(),
    conversation: conversation(),
  });

  // Bot states and link counters change without an event: compare and send what changed.
  let lastBots = "";
  let lastLink = "";
  const poll = setInterval(() => {
    if (hub.clients === 0) return;
    const bots = source.bots();
    const botsJson = JSON.stringify(bots);
    if (botsJson !== lastBots) {
      lastBots = botsJson;
      hub.broadcast("bots", bots);
    }
    const link = source.link();
    const linkJson = JSON.stringify(link);
    if (linkJson !== lastLink) {
      lastLink = linkJson;
      hub.broadcast("link", link);
    }
  }, options.pollMs ?? 500);

  // A local process knocking without the token is logged, but a few times a second at most.
  const denials = createLogThrottle(log, realClock);
  let policy: AccessPolicy = { token, port: 0 };
  const guarded = (req: Request, place: TokenPlace): Response | null => {
    const denial = checkAccess(req, policy, place);
    if (!denial) return null;
    denials.log(`denied:${denial.status}`, "warn", `refused a request: ${denial.reason}`, {
      path: new URL(req.url).pathname,
    });
    return text(denial.status, `${denial.status} ${denial.reason}`);
  };

  const handler = async (req: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const path = new URL(req.url).pathname;
    const method = req.method;
    if (method === "GET" && (path === "/" || path === "/events")) {
      const denied = guarded(req, "query");
      if (denied) return denied;
      if (path === "/") {
        const nonce = newToken();
        return new Response(page(nonce), {
          headers: {
            ...BASE_HEADERS,
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": [
              "default-src 'none'",
              `script-src 'nonce-${nonce}'`,
              `style-src 'nonce-${nonce}'`,
              "connect-src 'self'",
              "img-src 'self' data:",
              "base-uri 'none'",
              "form-action 'none'",
              "frame-ancestors 'none'",
            ].join("; "),
          },
        });
      }
      const stream = hub.open(info.completed, [{ event: "snapshot", data: snapshot() }]);
      if (!stream) {
        return text(503, `503 already ${hub.clients} pages open; close one and reload`);
      }
      return stream;
    }
    // Everything else needs the token in the header, so a link or a form can never trigger it.
    const denied = guarded(req, "header");
    if (denied) return denied;
    if (method === "GET" && path === "/api/state") return json(200, snapshot());
    if (method === "POST" && path === "/api/send") {
      const body = await readJson(req);
      if (body instanceof Response) return body;
      const parsed = sendBody.safeParse(body.value);
      if (!parsed.success) return json(400, { error: issues(parsed.error) });
      const allowDangerous = parsed.data.allowDangerous ?? false;
      log.info("operator line from the dashboard", {
        line: parsed.data.line.slice(0, 200),
        allowDangerous,
      });
      return json(200, await source.send(parsed.data.line, { allowDangerous }));
    }
    if (method === "POST" && path === "/api/reload") {
      const body = await readJson(req);
      if (body instanceof Response) return body;
      const parsed = reloadBody.safeParse(body.value);
      if (!parsed.success) return json(400, { error: issues(parsed.error) });
      log.info(`reload of ${parsed.data.name ?? "every bot"} from the dashboard`);
      return json(200, { results: await source.reload(parsed.data.name) });
    }
    return text(404, `404 no ${method} ${path} here`);
  };

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      onListen: () => {},
      signal: stop.signal,
    }, handler);
  } catch (e) {
    clearInterval(poll);
    denials.close();
    unRefused();
    unTraffic();
    unLink();
    unConv();
    stop.abort();
    hub.close();
    if (e instanceof Deno.errors.AddrInUse) {
      throw new DashboardError(
        `dashboard: port ${options.port} on 127.0.0.1 is in use; choose another port ` +
          "(--dashboard <port>) or give none to use a free one",
      );
    }
    throw e;
  }
  const port = server.addr.port;
  policy = { token, port };
  const url = `http://127.0.0.1:${port}/?token=${token}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    token,
    port,
    get clients() {
      return hub.clients;
    },
    close() {
      closing ??= (async () => {
        clearInterval(poll);
        if (flushTimer !== undefined) clearTimeout(flushTimer);
        if (convTimer !== undefined) clearTimeout(convTimer);
        denials.close();
        unRefused();
        unTraffic();
        unLink();
        unConv();
        hub.close();
        stop.abort();
        await server.finished;
      })();
      return closing;
    },
  };
}

/**
 * Who may talk to the dashboard: a browser on this machine that holds the token printed at start.
 *
 * - The server binds 127.0.0.1 only, so no other machine can connect.
 * - The `Host` header must name that address (or `localhost`) and the port: a page on another site
 *   that re-points its DNS name at 127.0.0.1 (DNS rebinding) sends its own name and is refused.
 * - An `Origin` or `Sec-Fetch-Site` header, when the browser sends one, must be this very origin, so
 *   another site's page (or another local server's page on another port) cannot use it.
 * - Every request carries the token: the page and its live stream in `?token=` (what the printed URL
 *   holds; EventSource cannot set headers), actions in an `Authorization: Bearer` header, which a
 *   cross-site form cannot set and a cross-origin fetch cannot send without a CORS preflight this
 *   server never grants. Tokens are compared in constant time.
 */

/** Bytes of randomness in a token (256 bits). */
const TOKEN_BYTES = 32;

/** A fresh random token, URL-safe base64. */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(TOKEN_BYTES));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Compares two strings in time that depends only on their lengths. */
export function sameToken(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i];
  return diff === 0;
}

/** Where a request may carry the token. */
export type TokenPlace = "query" | "header";

/** Why a request was turned away (the page shows no more than the status line). */
export interface Denial {
  status: 400 | 401 | 403;
  reason: string;
}

/** What {@link checkAccess} compares against. */
export interface AccessPolicy {
  token: string;
  /** The port the server listens on (the Host and Origin must carry it). */
  port: number;
}

/** The `Host` values this server answers to. */
function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** Turns a request away unless it is local, same-origin and carries the token in `place`. */
export function checkAccess(req: Request, policy: AccessPolicy, place: TokenPlace): Denial | null {
  const host = (req.headers.get("host") ?? "").toLowerCase();
  const hosts = allowedHosts(policy.port);
  if (!hosts.includes(host)) {
    return { status: 403, reason: `Host ${JSON.stringify(host)} is not this dashboard` };
  }
  const origin = req.headers.get("origin");
  if (origin !== null && !hosts.some((h) => origin.toLowerCase() === `http://${h}`)) {
    return { status: 403, reason: `Origin ${JSON.stringify(origin)} is not this dashboard` };
  }
  const site = req.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return { status: 403, reason: `a ${site} request` };
  }
  const given = place === "query"
    ? new URL(req.url).searchParams.get("token")
    : bearer(req.headers.get("authorization"));
  if (given === null || !sameToken(given, policy.token)) {
    return {
      status: 401,
      reason: "missing or wrong token: open the URL printed at start (it ends in ?token=…)",
    };
  }
  return null;
}

function bearer(header: string | null): string | null {
  if (header === null) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m ? m[1] : null;
}

/** Who may reach the dashboard: local Host, same Origin, the right token in the right place. */
import { assert, assertEquals } from "../assert.ts";
import { checkAccess, newToken, sameToken } from "../../runtime/dashboard/access.ts";

const policy = { token: "s3cret-token", port: 4321 };
const req = (url: string, headers: Record<string, string> = {}) =>
  new Request(`http://127.0.0.1:4321${url}`, { headers: { host: "127.0.0.1:4321", ...headers } });

Deno.test("a token is 43 URL-safe characters (256 bits) and differs every time", () => {
  const a = newToken();
  assert(/^[A-Za-z0-9_-]{43}$/.test(a), a);
  assert(a !== newToken());
});

Deno.test("tokens compare equal only when identical, whatever their lengths", () => {
  assert(sameToken("abc", "abc"));
  assert(!sameToken("abd", "abc"));
  assert(!sameToken("ab", "abc"));
  assert(!sameToken("abcd", "abc"));
  assert(!sameToken("", "abc"));
});

Deno.test("the page's token goes in the query; actions' in the Authorization header", () => {
  assertEquals(checkAccess(req("/?token=s3cret-token"), policy, "query"), null);
  assertEquals(
    checkAccess(req("/api/state", { authorization: "Bearer s3cret-token" }), policy, "header"),
    null,
  );
  // A token in the query does not authorise an action: a link or a form could carry it.
  assertEquals(checkAccess(req("/api/send?token=s3cret-token"), policy, "header")?.status, 401);
  assertEquals(checkAccess(req("/"), policy, "query")?.status, 401);
  assertEquals(checkAccess(req("/?token=s3cret-tokeN"), policy, "query")?.status, 401);
});

Deno.test("another Host (DNS rebinding) or port is refused even with the token", () => {
  for (const host of ["evil.example:4321", "127.0.0.1:4322", "127.0.0.1", "[::1]:4321", ""]) {
    const d = checkAccess(req("/?token=s3cret-token", { host }), policy, "query");
    assertEquals(d?.status, 403, host);
  }
  assertEquals(
    checkAccess(req("/?token=s3cret-token", { host: "localhost:4321" }), policy, "query"),
    null,
  );
});

Deno.test("a request from another origin or site is refused even with the token", () => {
  const token = { authorization: "Bearer s3cret-token" };
  for (const origin of ["http://evil.example", "http://127.0.0.1:8080", "null"]) {
    assertEquals(
      checkAccess(req("/api/send", { ...token, origin }), policy, "header")?.status,
      403,
    );
  }
  assertEquals(
    checkAccess(req("/api/send", { ...token, "sec-fetch-site": "cross-site" }), policy, "header")
      ?.status,
    403,
  );
  assertEquals(
    checkAccess(
      req("/api/send", {
        ...token,
        origin: "http://127.0.0.1:4321",
        "sec-fetch-site": "same-origin",
      }),
      policy,
      "header",
    ),
    null,
  );
});

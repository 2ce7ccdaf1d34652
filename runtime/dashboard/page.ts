/**
 * The page itself: `assets/index.html` with `assets/dashboard.css` and `assets/dashboard.js`
 * inlined, so one authenticated request delivers everything and the page needs nothing from any
 * other host (it works offline; no CDN, fonts or remote scripts). The inlined tags carry a
 * per-response nonce that the Content-Security-Policy requires, so nothing injected can run.
 */

const ASSETS = new URL("./assets/", import.meta.url);

/** Reads the assets once; returns the page for a nonce. */
export async function loadPage(): Promise<(nonce: string) => string> {
  const [html, css, js] = await Promise.all(
    ["index.html", "dashboard.css", "dashboard.js"].map((f) =>
      Deno.readTextFile(new URL(f, ASSETS))
    ),
  );
  for (const [what, text] of [["style", css], ["script", js]]) {
    if (text.includes(`</${what}`)) throw new Error(`dashboard.${what} must not contain </${what}`);
  }
  // Split once: the page is built per request by joining, never by re-parsing.
  const parts = html.split(/<!-- mmdbot:(style|script) -->/);
  if (parts.length !== 5) throw new Error("index.html must hold one style and one script marker");
  return (nonce) =>
    parts.map((p, i) => {
      if (i % 2 === 0) return p;
      return p === "style"
        ? `<style nonce="${nonce}">\n${css}</style>`
        : `<script nonce="${nonce}">\n${js}</script>`;
    }).join("");
}

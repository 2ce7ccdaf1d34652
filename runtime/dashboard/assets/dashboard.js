// The dashboard page's script: plain browser JavaScript, no library, no build step. It reads the
// token from its own URL, opens the live stream (server-sent events) and renders what arrives.
// Every text from the session is set with textContent, never parsed as HTML: traffic lines come
// from MMDAgent-EX and from bots and may contain anything.
"use strict";
(() => {
  const token = new URLSearchParams(location.search).get("token") ?? "";
  /** Most traffic rows kept on the page (older ones are removed as new ones arrive). */
  const MAX_ROWS = 1000;

  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const el = (/** @type {string} */ tag, /** @type {string} */ cls = "", text = "") => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  };

  /** @param {string} path @param {unknown} body */
  async function post(path, body) {
    const res = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error ?? `${res.status} ${res.statusText}`);
    return data;
  }

  // ---- traffic ----
  const tbody = /** @type {HTMLTableSectionElement} */ ($("traffic").querySelector("tbody"));
  const scroller = /** @type {HTMLElement} */ ($("traffic-panel").querySelector(".scroll"));
  const filter = /** @type {HTMLInputElement} */ ($("traffic-filter"));
  const showEcho = /** @type {HTMLInputElement} */ ($("show-echo"));
  const pause = /** @type {HTMLInputElement} */ ($("pause"));
  /** @type {any[]} */
  let held = [];
  let lastSeq = 0;

  /** @param {string} iso */
  function clock(iso) {
    const d = new Date(iso);
    const p = (/** @type {number} */ n, w = 2) => String(n).padStart(w, "0");
    return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${
      p(d.getMilliseconds(), 3)
    }`;
  }

  /** @param {HTMLTableRowElement} tr */
  function visible(tr) {
    if (tr.classList.contains("echo") && !showEcho.checked) return false;
    const f = filter.value.trim().toLowerCase();
    return !f || (tr.textContent ?? "").toLowerCase().includes(f);
  }

  /** @param {any} item */
  function row(item) {
    const tr = /** @type {HTMLTableRowElement} */ (el("tr"));
    tr.dataset.dir = item.dir;
    tr.dataset.seq = String(item.seq);
    if (item.echo) tr.classList.add("echo");
    tr.append(el("td", "time", clock(item.time)));
    const arrow = item.refused ? "✕" : item.dir === "in" ? "←" : "→";
    const dir = el("td", "dir", arrow);
    dir.title = item.refused
      ? "refused: never written"
      : item.dir === "in"
      ? "from MMDAgent-EX"
      : "to MMDAgent-EX";
    tr.append(dir);
    tr.append(el("td", "bot", item.bot ?? ""));
    const line = el("td", "line");
    if (item.refused) {
      tr.classList.add("refused");
      tr.dataset.refused = item.refused.code;
      line.append(el("span", "badge", `refused: ${item.refused.code}`));
    }
    line.append(document.createTextNode(item.line));
    if (item.fullLength) line.append(el("span", "muted", ` … (${item.fullLength} chars)`));
    if (item.refused) {
      line.append(el("span", "why", item.refused.reason));
      if (item.refused.fix) line.append(el("span", "why fix", `fix: ${item.refused.fix}`));
    }
    tr.append(line);
    tr.hidden = !visible(tr);
    return tr;
  }

  /** @param {any[]} items */
  function addTraffic(items) {
    if (pause.checked) {
      held.push(...items);
      if (held.length > MAX_ROWS) held = held.slice(-MAX_ROWS);
      return;
    }
    const atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 24;
    const frag = document.createDocumentFragment();
    for (const item of items) {
      if (item.seq <= lastSeq) continue;
      lastSeq = item.seq;
      frag.append(row(item));
    }
    tbody.append(frag);
    while (tbody.rows.length > MAX_ROWS) tbody.deleteRow(0);
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  const refilter = () => {
    for (const tr of tbody.rows) tr.hidden = !visible(tr);
  };
  filter.addEventListener("input", refilter);
  showEcho.addEventListener("change", refilter);
  pause.addEventListener("change", () => {
    if (!pause.checked) {
      const items = held;
      held = [];
      addTraffic(items);
    }
  });

  // ---- bots ----
  /** @param {any[]} bots */
  function renderBots(bots) {
    const list = $("bots");
    list.replaceChildren();
    for (const b of bots) {
      const li = el("li", "bot");
      li.dataset.name = b.name;
      li.dataset.state = b.state;
      const name = el("div", "name", b.name);
      name.append(el("span", `state ${b.state}`, b.state));
      li.append(name);
      const reload = el("button", "reload", "reload");
      reload.title =
        `reload ${b.name} (if the new version fails to load, the old one keeps running)`;
      reload.addEventListener("click", () => reloadBots(b.name, reload));
      li.append(reload);
      const facts = [
        b.level ? `isolation ${b.level}${b.why ? ` (${b.why})` : ""}` : "isolation: not started",
        `restarts ${b.restarts}`,
      ];
      if (b.pid) facts.push(`pid ${b.pid}`);
      if (b.rateLimited) facts.push(`rate-limited ${b.rateLimited}`);
      if (b.handlerErrors) facts.push(`handler errors ${b.handlerErrors}`);
      li.append(el("div", "facts", facts.join(" · ")));
      if (b.lastError) li.append(el("div", "error", `last error: ${b.lastError}`));
      list.append(li);
    }
  }

  /** @param {string | undefined} name @param {HTMLElement} button */
  async function reloadBots(name, button) {
    const was = button.textContent;
    button.textContent = "reloading…";
    try {
      const { results } = await post("/api/reload", name === undefined ? {} : { name });
      const failed = results.filter((/** @type {any} */ r) => !r.ok);
      button.textContent = failed.length ? "failed" : "reloaded";
      if (failed.length) button.title = failed.map((/** @type {any} */ r) => r.error).join("\n");
    } catch (e) {
      button.textContent = "failed";
      button.title = String(e);
    }
    setTimeout(() => (button.textContent = was), 1500);
  }
  $("reload-all").addEventListener("click", (ev) => {
    reloadBots(undefined, /** @type {HTMLElement} */ (ev.currentTarget));
  });

  // ---- link ----
  /** @param {any} link */
  function renderLink(link) {
    const s = link.stats ?? {};
    const state = $("link-state");
    const connected = s.state === "connected" || s.connected === true;
    state.textContent = s.state ?? (connected ? "connected" : "not connected");
    state.className = `pill ${connected ? "ok" : "bad"}`;
    $("link-plan").textContent = link.plan;
    const counts = [];
    for (
      const [k, label] of [["linesIn", "in"], ["linesOut", "out"], ["reconnects", "reconnects"]]
    ) {
      if (typeof s[k] === "number") counts.push(`${label} ${s[k]}`);
    }
    $("link-counts").textContent = counts.join(" · ");
  }

  // ---- send ----
  const sendLine = /** @type {HTMLInputElement} */ ($("send-line"));
  const dangerous = /** @type {HTMLInputElement} */ ($("send-dangerous"));
  const result = $("send-result");
  $("send-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const line = sendLine.value;
    if (!line) return;
    result.className = "muted";
    result.textContent = "sending…";
    try {
      const r = await post("/api/send", { line, allowDangerous: dangerous.checked });
      result.className = r.status;
      if (r.status === "refused") {
        result.textContent = `refused (${r.refusal.code}): ${r.refusal.reason}` +
          (r.refusal.fix ? ` Fix: ${r.refusal.fix}` : "");
      } else if (r.status === "written") {
        result.textContent = `written to ${r.conn}`;
        sendLine.value = "";
      } else if (r.status === "queued") {
        result.textContent = `queued (${r.depth} waiting): MMDAgent-EX is not connected`;
        sendLine.value = "";
      } else {
        result.textContent = `dropped: ${r.reason}`;
      }
    } catch (e) {
      result.className = "refused";
      result.textContent = String(e);
    }
  });

  // ---- stream ----
  const streamState = $("stream-state");
  const events = new EventSource(`/events?token=${encodeURIComponent(token)}`);
  events.addEventListener("open", () => {
    streamState.textContent = "live";
    streamState.className = "pill ok";
  });
  events.addEventListener("error", () => {
    streamState.textContent = "reconnecting…";
    streamState.className = "pill bad";
  });
  events.addEventListener("snapshot", (ev) => {
    const s = JSON.parse(/** @type {MessageEvent} */ (ev).data);
    tbody.replaceChildren();
    lastSeq = 0;
    held = [];
    addTraffic(s.traffic);
    renderBots(s.bots);
    renderLink(s.link);
    document.body.dataset.ready = "true";
  });
  events.addEventListener(
    "traffic",
    (ev) => addTraffic(JSON.parse(/** @type {MessageEvent} */ (ev).data)),
  );
  events.addEventListener(
    "bots",
    (ev) => renderBots(JSON.parse(/** @type {MessageEvent} */ (ev).data)),
  );
  events.addEventListener(
    "link",
    (ev) => renderLink(JSON.parse(/** @type {MessageEvent} */ (ev).data)),
  );
})();

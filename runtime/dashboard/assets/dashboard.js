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
  /** The rows on the page as the stream sent them, for "save" (JSON lines). @type {any[]} */
  let kept = [];

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
    if (item.dir === "link") {
      tr.classList.add("link");
      tr.append(el("td", "dir", "⇄"));
      tr.append(el("td", "bot", "link"));
      tr.append(el("td", "line", item.line));
      tr.hidden = !visible(tr);
      return tr;
    }
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
      kept.push(item);
    }
    tbody.append(frag);
    while (tbody.rows.length > MAX_ROWS) tbody.deleteRow(0);
    if (kept.length > MAX_ROWS) kept = kept.slice(-MAX_ROWS);
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  $("traffic-save").addEventListener("click", () => {
    const text = kept.map((r) => JSON.stringify(r)).join("\n") + "\n";
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type: "application/x-ndjson" }));
    a.download = `mmdbot-traffic-${new Date().toISOString().replaceAll(":", "-")}.jsonl`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  });
  $("traffic-clear").addEventListener("click", () => {
    tbody.replaceChildren();
    kept = [];
  });

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

  // ---- conversation: the avatar mirror and the turns ----
  const SVG = "http://www.w3.org/2000/svg";
  const svg = (/** @type {string} */ tag, /** @type {Record<string, string | number>} */ attrs) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  };
  const ms = (/** @type {number | undefined} */ v) => v === undefined ? "–" : `${Math.round(v)} ms`;
  const COLORS = { user: "#93b4f5", wait: "#e2e6ec", speak: "#0f8a5f", cut: "#c2410c" };

  /** @param {any} a */
  function renderAvatar(a) {
    const dl = $("avatar");
    dl.replaceChildren();
    const add = (/** @type {string} */ k, /** @type {string} */ v, cls = "") => {
      dl.append(el("dt", "", k));
      const dd = el("dd", cls, v);
      dd.dataset.key = k;
      dl.append(dd);
    };
    add("connection", a.connected ? (a.connection ?? "connected") : "not connected");
    add("user", a.userSpeaking ? "speaking" : "silent");
    add("turn", a.turn ? `#${a.turn}` : "none yet");
    for (const m of a.models ?? []) {
      const parts = [];
      if (m.speaking) parts.push(`speaking “${m.speaking.text}” (${m.speaking.owner})`);
      else parts.push("quiet");
      if (m.queued) parts.push(`${m.queued} queued`);
      if (m.motions?.length) parts.push(`motions: ${m.motions.join(", ")}`);
      add(m.alias, parts.join(" · "), m.speaking ? "speaking" : "");
    }
    if (a.timers?.length) add("timers", a.timers.map((/** @type {any} */ t) => t.name).join(", "));
    const vars = Object.entries(a.variables ?? {});
    if (vars.length) {
      add(
        "variables",
        vars.slice(0, 12).map(([k, v]) => `${k}=${v}`).join(" ") +
          (vars.length > 12 ? ` … (${vars.length})` : ""),
      );
    }
  }

  /** Times of a turn relative to the end of the user's speech (ms). @param {any} t */
  function phases(t) {
    const zero = t.userEndAt ?? t.startedAt;
    const rel = (/** @type {number | undefined} */ v) => v === undefined ? undefined : v - zero;
    return {
      start: rel(t.startedAt) ?? 0,
      answer: rel(t.firstCommandAt),
      wire: rel(t.firstWireAt),
      audio: rel(t.firstAudioAt),
      end: rel(t.endAt ?? (t.interrupted ? t.endedAt : undefined)),
    };
  }

  /** @param {any[]} turns @param {any} metrics */
  function renderTurns(turns, metrics) {
    const m = metrics ?? {};
    $("turns-summary").textContent = `${m.turns ?? turns.length} turns · ` +
      `first audio p50 ${ms(m.toAudioMs?.p50)} / p95 ${ms(m.toAudioMs?.p95)} · ` +
      `answer start p50 ${ms(m.toFirstCommandMs?.p50)} · ` +
      `interruptions ${m.interruptions ?? 0}`;
    renderChart(turns, m);
    // One shared scale, so bars compare: from the earliest user start to the latest end.
    const ps = turns.map(phases);
    const lo = Math.max(-5000, Math.min(-200, ...ps.map((p) => p.start)));
    const hi = Math.min(20000, Math.max(1000, ...ps.map((p) => p.end ?? p.audio ?? p.wire ?? 0)));
    const x = (/** @type {number} */ v) =>
      ((Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo)) * 1000;
    const list = $("turns");
    list.replaceChildren();
    for (const [i, t] of [...turns.entries()].reverse()) {
      const p = ps[i];
      const li = el("li", "turn");
      li.dataset.turn = String(t.id);
      if (t.interrupted) li.dataset.interrupted = "true";
      const said = el("span", "said", `#${t.id} “${t.text ?? "…"}”`);
      said.title = [
        `user speech ends → answer start ${ms(p.answer)}`,
        `→ written ${ms(p.wire)}`,
        `→ first audio ${ms(p.audio)}`,
        `→ end ${ms(p.end)}`,
        t.claimedBy ? `answered by ${t.claimedBy}` : "",
        t.interrupted ? "interrupted" : "",
      ].filter(Boolean).join("\n");
      li.append(said);
      const bar = svg("svg", { viewBox: "0 0 1000 14", preserveAspectRatio: "none" });
      bar.append(
        svg("rect", {
          x: x(p.start),
          y: 3,
          width: x(0) - x(p.start),
          height: 8,
          fill: COLORS.user,
        }),
      );
      const speakFrom = p.audio ?? p.wire;
      if (speakFrom !== undefined) {
        bar.append(
          svg("rect", { x: x(0), y: 3, width: x(speakFrom) - x(0), height: 8, fill: COLORS.wait }),
        );
        if (p.end !== undefined) {
          bar.append(svg("rect", {
            x: x(speakFrom),
            y: 3,
            width: Math.max(2, x(p.end) - x(speakFrom)),
            height: 8,
            fill: t.interrupted ? COLORS.cut : COLORS.speak,
          }));
        }
      }
      for (const [v, c] of [[p.answer, "#4b5568"], [p.audio, COLORS.speak]]) {
        if (v !== undefined) {
          bar.append(
            svg("rect", {
              x: x(/** @type {number} */ (v)) - 2,
              y: 0,
              width: 4,
              height: 14,
              fill: /** @type {string} */ (c),
            }),
          );
        }
      }
      bar.append(
        svg("line", { x1: x(0), x2: x(0), y1: 0, y2: 14, stroke: "#1d2330", "stroke-width": 2 }),
      );
      li.append(bar);
      list.append(li);
    }
    if (turns.length) {
      // The scale: 0 is the end of the user's speech; a label at every whole second.
      const axis = el("li", "turn axis");
      axis.append(el("span", "said muted", "seconds after the user stopped"));
      const labels = el("div", "ticks muted");
      for (let sec = Math.ceil(lo / 1000); sec <= Math.floor(hi / 1000); sec++) {
        const at = x(sec * 1000) / 10;
        const tick = el(
          "span",
          at > 96 ? "end" : at < 4 ? "start" : "",
          sec > 0 ? `+${sec}` : `${sec}`,
        );
        tick.style.left = `${at}%`;
        labels.append(tick);
      }
      axis.append(labels);
      list.append(axis);
    }
  }

  /** Time to first audio per recent turn, with the p50 and p95 lines. @param {any[]} turns @param {any} m */
  function renderChart(turns, m) {
    const box = $("turns-chart");
    box.replaceChildren();
    const vals = turns.map((t) => {
      const p = phases(t);
      return { id: t.id, v: p.audio ?? p.wire, audio: p.audio !== undefined, cut: t.interrupted };
    });
    // A round top value a little above the largest bar, so the scale reads at a glance.
    const peak = Math.max(50, m.toAudioMs?.p95 ?? 0, ...vals.map((d) => d.v ?? 0)) * 1.1;
    const step = 10 ** Math.floor(Math.log10(peak));
    const top = Math.ceil(peak / step) * step;
    const W = 600, H = 100, L = 48, R = 80, B = 16;
    const chart = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img" });
    const title = svg("title", {});
    title.textContent = "time from the end of the user's speech to first audio, per turn";
    chart.append(title);
    const y = (/** @type {number} */ v) => H - B - (v / top) * (H - B - 6);
    const text = (/** @type {string} */ t, /** @type {Record<string, string | number>} */ at) => {
      const e = svg("text", { "font-size": 10, fill: "#687386", ...at });
      e.textContent = t;
      chart.append(e);
    };
    text(`${top} ms`, { x: L - 4, y: y(top) + 4, "text-anchor": "end" });
    text("0", { x: L - 4, y: y(0) + 4, "text-anchor": "end" });
    chart.append(svg("line", { x1: L, x2: L, y1: y(top), y2: y(0), stroke: "#c8ced8" }));
    const n = Math.max(vals.length, 12);
    const bw = (W - L - R) / n;
    vals.forEach((d, i) => {
      if (d.v === undefined) return;
      const bar = svg("rect", {
        x: L + i * bw + 2,
        y: y(d.v),
        width: Math.max(2, bw - 4),
        height: Math.max(1, y(0) - y(d.v)),
        fill: d.cut ? COLORS.cut : d.audio ? COLORS.speak : "#9aa5b5",
      });
      const tip = svg("title", {});
      tip.textContent = `turn #${d.id}: ${Math.round(d.v)} ms${
        d.audio ? "" : " (written; no audio yet)"
      }`;
      bar.append(tip);
      chart.append(bar);
    });
    let lastY = Infinity;
    for (
      const [label, v, dash] of [["p50", m.toAudioMs?.p50, "4 3"], ["p95", m.toAudioMs?.p95, "1 3"]]
    ) {
      if (v === undefined) continue;
      chart.append(svg("line", {
        x1: L,
        x2: W - R + 4,
        y1: y(v),
        y2: y(v),
        stroke: "#1d2330",
        "stroke-dasharray": dash,
      }));
      // Keep the two labels apart when the percentiles are close.
      const ly = Math.min(y(v) + 4, lastY - 11);
      lastY = ly;
      text(`${label} ${Math.round(v)} ms`, { x: W - R + 8, y: ly, fill: "#1d2330" });
    }
    chart.append(svg("line", { x1: L, x2: W - R + 4, y1: y(0), y2: y(0), stroke: "#c8ced8" }));
    text(`time to first audio, last ${vals.length} turns`, { x: L, y: H - 3 });
    box.append(chart);
    const legend = el("div", "legend");
    for (
      const [c, t] of [
        [COLORS.user, "user speech"],
        [COLORS.wait, "waiting"],
        ["#4b5568", "answer start"],
        [COLORS.speak, "speaking / first audio"],
        [COLORS.cut, "interrupted"],
      ]
    ) {
      const i = el("i");
      i.style.background = c;
      legend.append(i, document.createTextNode(t));
    }
    box.append(legend);
  }

  /** @param {any} c */
  function renderConversation(c) {
    $("avatar-panel").hidden = !c;
    $("turns-panel").hidden = !c;
    if (!c) return;
    renderAvatar(c.avatar);
    renderTurns(c.turns, c.metrics);
  }

  // ---- stream ----
  const streamState = $("stream-state");
  const events = new EventSource(`/events?token=${encodeURIComponent(token)}`);
  events.addEventListener("open", () => {
    streamState.textContent = "live";
    streamState.className = "pill ok";
  });
  events.addEventListener("error", () => {
    // EventSource retries by itself after a network error; after a refusal (a restarted runtime
    // has a new token) it gives up, and only the URL the new start printed will do.
    const closed = events.readyState === EventSource.CLOSED;
    streamState.textContent = closed ? "stopped" : "reconnecting…";
    streamState.title = closed
      ? "the runtime stopped or restarted: open the URL the new start printed"
      : "the stream broke; retrying every second";
    streamState.className = "pill bad";
  });
  events.addEventListener("snapshot", (ev) => {
    const s = JSON.parse(/** @type {MessageEvent} */ (ev).data);
    tbody.replaceChildren();
    kept = [];
    lastSeq = 0;
    held = [];
    addTraffic(s.traffic);
    renderBots(s.bots);
    renderLink(s.link);
    renderConversation(s.conversation);
    document.body.dataset.ready = "true";
  });
  /** @type {Record<string, (data: any) => void>} */
  const handlers = {
    traffic: addTraffic,
    bots: renderBots,
    link: renderLink,
    conversation: renderConversation,
  };
  for (const [name, fn] of Object.entries(handlers)) {
    events.addEventListener(name, (ev) => fn(JSON.parse(/** @type {MessageEvent} */ (ev).data)));
  }
})();

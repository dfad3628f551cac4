/* Leadwire console: a small single-page app over the admin API (same origin).
 * No build step, no framework: DOM built with textContent (lead data is untrusted), Chart.js for
 * charts. Endpoints a server does not have yet show a "not available" note instead of breaking. */
"use strict";

// Each route renders into a <main> of its own (see route()): a page still loading when the
// reader moves on writes into its detached element, never over the next page.
let currentMain = document.getElementById("main");
const statusLine = document.getElementById("status");
const charts = [];
const DAY = 86400000;
const PALETTE = ["#1f5fbf", "#d9730d", "#1b7a3a", "#b3261e", "#6b4fbb", "#0f7c8c", "#8a5a00", "#c2185b"];
const context = { serverNow: null };  // the server's "now" (simulated clock locally), once an answer told it

// -- DOM -----------------------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
/** Replace an element's children, skipping the null/false of conditional parts. */
function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
}
const link = (href, text) => h("a", { href }, text);
const leadHref = (id) => `#/leads/${encodeURIComponent(id)}`;
const segmentHref = (id) => `#/segments/${encodeURIComponent(id)}`;
const enc = encodeURIComponent;

function announce(text) {
  statusLine.textContent = text;
}

function table(caption, headers, rows, numeric = []) {
  return h("div", { class: "table-wrap" },
    h("table", {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((name, i) =>
        h("th", { scope: "col", class: numeric.includes(i) ? "num" : null }, name)))),
      h("tbody", {}, rows.length ? rows.map((cells) => h("tr", {}, cells.map((cell, i) =>
        i === 0 && cell instanceof Node && cell.tagName === "TH" ? cell
          : h("td", { class: numeric.includes(i) ? "num" : null }, cell))))
        : h("tr", {}, h("td", { colspan: headers.length, class: "muted" }, "Nothing here.")))));
}

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

function card(title, ...children) {
  const id = "s-" + title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

// -- formatting ----------------------------------------------------------------------------------
const count = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US"));
const percent = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`);
const score = (x) => (x === null || x === undefined ? "—" : Number(x).toFixed(1));
const when = (iso) => (iso ? iso.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, " UTC") : "—");
const day = (iso) => (iso ? iso.slice(0, 10) : "");
const json = (value) => JSON.stringify(value, null, 2);

function sizeBadge(warning, known) {
  if (!known) return h("span", { class: "badge unknown", title: "sizeWarning is not available" }, "—");
  if (warning === "too_large") return h("span", { class: "badge too_large" }, "Too large");
  if (warning === "too_small") return h("span", { class: "badge too_small" }, "Too small");
  return h("span", { class: "badge ok" }, "OK");
}

// -- the admin API -------------------------------------------------------------------------------
async function api(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      // The header tells `leadwire console`'s signing proxy that the call comes from this page.
      headers: { "x-leadwire-console": "1", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    return { ok: false, status: 0, body: null, unavailable: false, message: `cannot reach the API: ${error}` };
  }
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  const error = parsed && parsed.error;
  // An endpoint the server lacks: leadwire's "no route" 404, API Gateway's bare 404, or 405/501.
  const unavailable = (response.status === 404 && (!error || /^no route for/.test(error.message || "")))
    || response.status === 405 || response.status === 501;
  // A 404's details only repeat the id its message names; a 400's say which field.
  const message = error ? `${error.message}${error.details && response.status !== 404 ? " " + JSON.stringify(error.details) : ""}`
    : (response.ok ? "" : `HTTP ${response.status}`);
  return { ok: response.ok, status: response.status, body: parsed, unavailable, message };
}

function unavailableNote(what, path) {
  return h("p", { class: "unavailable", role: "note" },
    `${what} is not available on this server yet (it has no ${path}).`);
}

function notFound(text) {
  return h("p", { class: "error", role: "alert" }, text, " ", link("#/segments", "Back to the segments"));
}

function problem(result, what) {
  return h("p", { class: "error", role: "alert" }, `${what}: ${result.message || "HTTP " + result.status}`);
}

/** A result's element: its content when it worked, else a "not available" note or the error. */
function outcome(result, what, path, render) {
  if (result.ok) return render(result.body);
  if (result.unavailable) return unavailableNote(what, path);
  return problem(result, what);
}

async function allPages(path, key, limit = 1000, maxPages = 20) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const sep = path.includes("?") ? "&" : "?";
    const result = await api("GET", `${path}${sep}limit=${limit}${cursor ? "&cursor=" + enc(cursor) : ""}`);
    if (!result.ok) return { ...result, items };
    items.push(...result.body[key]);
    cursor = result.body.cursor;
    if (!cursor) return { ok: true, items };
  }
  return { ok: true, items, truncated: true };
}

async function inBatches(items, size, work) {
  const results = [];
  for (let i = 0; i < items.length; i += size) {
    results.push(...await Promise.all(items.slice(i, i + size).map(work)));
  }
  return results;
}

// -- charts --------------------------------------------------------------------------------------
function chartsReady() {
  return typeof window.Chart === "function";
}

function chartBox(label, description, tall) {
  const canvas = h("canvas", { role: "img", "aria-label": label });
  canvas.textContent = description || label;  // fallback text for browsers without canvas
  return { box: h("div", { class: tall ? "chart tall" : "chart" }, canvas), canvas };
}

function draw(canvas, config) {
  if (!chartsReady()) {
    canvas.replaceWith(h("p", { class: "unavailable" }, "Charts need Chart.js: run make setup (it copies it into the package)."));
    return null;
  }
  config.options = {
    responsive: true, maintainAspectRatio: false, animation: false,
    interaction: { mode: "index", intersect: false },
    ...config.options,
  };
  const chart = new window.Chart(canvas, config);
  charts.push(chart);
  return chart;
}

function sparkline(canvas, values) {
  return draw(canvas, {
    type: "line",
    data: { labels: values.map((_, i) => i), datasets: [{ data: values, borderColor: PALETTE[0], borderWidth: 2, pointRadius: 0, fill: false, tension: 0.3 }] },
    options: {
      plugins: { legend: { display: false }, tooltip: { enabled: false } },
      scales: { x: { display: false }, y: { display: false, beginAtZero: true } },
      interaction: { mode: null },
    },
  });
}

// -- insight -------------------------------------------------------------------------------------
function analyticsPath(segmentId, params = {}) {
  const query = new URLSearchParams({ interval: "P1D" });
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  return `/segments/${enc(segmentId)}/analytics?${query}`;
}

function rememberNow(at) {
  if (at && (!context.serverNow || at > context.serverNow)) context.serverNow = at;
}

function referenceNow() {
  return context.serverNow ? new Date(context.serverNow) : new Date();
}

function explainTree(node) {
  const holds = node.holds;
  const observed = [];
  if (node.value !== undefined) observed.push(`observed ${JSON.stringify(node.value)}`);
  if (node.expected !== undefined) observed.push(`expected ${JSON.stringify(node.expected)}`);
  return h("li", {},
    h("span", { class: holds ? "holds" : "fails" }, holds ? "✓ holds" : "✗ does not hold"), " ",
    h("code", {}, node.node), observed.length ? ` — ${observed.join(", ")}` : "",
    node.children && node.children.length ? h("ul", {}, node.children.map(explainTree)) : null);
}

async function explainInto(target, segmentId, leadId) {
  fill(target, h("p", { class: "muted" }, `Explaining ${leadId} in ${segmentId}…`));
  const path = `/segments/${enc(segmentId)}/explain/${enc(leadId)}`;
  const result = await api("GET", path);
  fill(target, outcome(result, "Explain", "GET /segments/{id}/explain/{leadId}", (body) => {
    const change = body.lastChange;
    return h("div", { class: "explain", "data-explain": `${segmentId}/${leadId}` },
      h("p", {}, h("strong", {}, body.member ? `${leadId} is a member of ${segmentId}` : `${leadId} is not a member of ${segmentId}`),
        body.holds !== body.member ? " (the condition now says otherwise: hysteresis or a flip the sweep has not reached yet)" : ""),
      change ? h("p", { class: "muted" }, `Last ${change.kind} at ${when(change.at)}, cause: ${typeof change.cause === "string" ? change.cause : JSON.stringify(change.cause)}`) : null,
      h("ul", { class: "tree", "aria-label": "Why, node by node" }, explainTree(body.tree)));
  }));
  announce(`Explanation for ${leadId} loaded`);
}

// -- pages ---------------------------------------------------------------------------------------
async function segmentsPage(main) {
  const list = await api("GET", "/segments");
  if (!list.ok) return [h("h1", {}, "Segments"), problem(list, "Loading segments")];
  const segments = list.body.segments;
  const countsKnown = segments.every((s) => s.memberCount !== undefined);
  if (!countsKnown) {  // before the insight fields: count the members page by page
    await inBatches(segments.filter((s) => s.memberCount === undefined), 4, async (segment) => {
      const members = await allPages(`/segments/${enc(segment.id)}/members`, "members");
      segment.memberCount = members.ok ? members.items.length : null;
      segment.countedHere = true;
    });
  }
  const summary = h("p", { class: "sub" });
  const sparkCells = new Map();
  const trendCells = new Map();
  const rows = segments.map((segment) => {
    const spark = h("div", { class: "spark" });
    const trend = h("span", { class: "muted" }, "…");
    sparkCells.set(segment.id, spark);
    trendCells.set(segment.id, trend);
    return h("tr", { "data-segment": segment.id },
      h("th", { scope: "row" }, link(segmentHref(segment.id), segment.name), h("div", { class: "muted" }, segment.id)),
      h("td", { class: "num", "data-count": segment.memberCount ?? "", "data-label": "Members" }, count(segment.memberCount)),
      h("td", { class: "num", "data-label": "Share" }, percent(segment.shareOfLeads)),
      h("td", { "data-label": "Size" }, sizeBadge(segment.sizeWarning, segment.sizeWarning !== undefined)),
      h("td", { "data-label": "Last 30 days" }, spark),
      h("td", { class: "num", "data-label": "Score change" }, trend));
  });
  const tooLarge = segments.filter((s) => s.sizeWarning === "too_large").map((s) => s.name);
  summary.textContent = `${segments.length} segments.` + (tooLarge.length ? ` Too large (over half of all leads): ${tooLarge.join(", ")}.` : "");
  const insightNote = h("div");
  const view = [
    h("h1", { tabindex: "-1" }, "Segments"), summary,
    countsKnown ? null : h("p", { class: "unavailable", role: "note" }, "Share of leads and size warnings are not available on this server yet (GET /segments has no memberCount); member counts were counted from the members lists."),
    insightNote,
    h("div", { class: "table-wrap" }, h("table", { id: "segments-table" },
      h("caption", {}, "Every live segment: members now, their share of all known leads, and the last 30 days"),
      h("thead", {}, h("tr", {}, ["Segment", "Members", "Share of leads", "Size", "Size, last 30 days", "Average score, 30-day change"].map((name, i) =>
        h("th", { scope: "col", class: [1, 2, 5].includes(i) ? "num" : null }, name)))),
      h("tbody", {}, rows))),
  ];
  fill(main, ...view);
  // Sparklines and score trends, from the analytics endpoint (when the server has it): one call
  // per segment, each a heavy read, so they fill in after the counts, two at a time.
  loadTrends(segments, sparkCells, trendCells, insightNote);
  return null;
}

async function loadTrends(segments, sparkCells, trendCells, insightNote) {
  const tableEl = insightNote.parentElement.querySelector("#segments-table");
  tableEl.dataset.trends = "loading";
  let available = true;
  const changes = new Map();
  await inBatches(segments, 2, async (segment) => {
    if (!available) return;
    const result = await api("GET", analyticsPath(segment.id));
    if (result.unavailable) {
      available = false;
      return;
    }
    const trend = trendCells.get(segment.id);
    if (!result.ok) {
      trend.textContent = "error";
      trend.title = result.message;
      return;
    }
    rememberNow(result.body.at);
    const series = result.body.series || [];
    const sizes = series.map((point) => point.members);
    const cell = sparkCells.get(segment.id);
    const { box, canvas } = chartBox(`${segment.name}: members over the last 30 days, ${sizes[0] ?? 0} to ${sizes[sizes.length - 1] ?? 0}`);
    box.className = "spark";
    cell.replaceWith(box);
    sparkline(canvas, sizes);
    const scores = series.map((point) => point.averageScore).filter((x) => x !== null && x !== undefined);
    if (scores.length >= 2) {
      const change = scores[scores.length - 1] - scores[0];
      changes.set(segment, change);
      trend.className = change < 0 ? "colder" : change > 0 ? "warmer" : "muted";
      trend.textContent = `${change > 0 ? "+" : ""}${change.toFixed(1)}${change < 0 ? " (colder)" : change > 0 ? " (warmer)" : ""}`;
    } else {
      trend.textContent = "—";
    }
  });
  const colder = [...changes].filter(([, change]) => change < 0)
    .sort((a, b) => a[1] - b[1] || (a[0].name < b[0].name ? -1 : a[0].name > b[0].name ? 1 : 0));  // ties by name
  if (available) {
    fill(insightNote, h("p", { id: "colder-summary" }, colder.length
      ? `Got colder over the last 30 days (members' average score): ${colder.map(([s, c]) => `${s.name} (${c.toFixed(1)})`).join(", ")}.`
      : "No segment's members got colder over the last 30 days."));
  } else {
    fill(insightNote, unavailableNote("Size over time and score trends", "GET /segments/{id}/analytics"));
    for (const trend of trendCells.values()) trend.textContent = "—";
  }
  tableEl.dataset.trends = available ? "done" : "unavailable";
}

function definitionOf(segment) {
  const { source, version, memberCount, shareOfLeads, sizeWarning, ...definition } = segment;
  return definition;
}

async function segmentPage(main, segmentId, params) {
  const [got, list] = await Promise.all([api("GET", `/segments/${enc(segmentId)}`), api("GET", "/segments")]);
  if (!got.ok) {
    return [h("h1", { tabindex: "-1" }, `Segment ${segmentId}`), got.status === 404 && !got.unavailable
      ? notFound(`No segment ${segmentId}.`) : problem(got, "Loading the segment")];
  }
  const segment = got.body;
  const listed = list.ok ? list.body.segments.find((s) => s.id === segmentId) || {} : {};
  if (listed.memberCount === undefined) {  // before the insight fields: count the members
    const members = await allPages(`/segments/${enc(segmentId)}/members`, "members");
    if (members.ok) listed.memberCount = members.items.length;
  }
  segment.memberCount = listed.memberCount;
  const overview = h("div");
  const overTime = h("div");
  const membersBox = h("div");
  const explainBox = h("div", { "aria-live": "polite" });
  const previewBox = h("div", { "aria-live": "polite" });
  const snapshotBox = h("div", { "aria-live": "polite" });

  fill(main, 
    h("h1", { tabindex: "-1" }, segment.name),
    h("p", { class: "sub" }, `${segment.id} · ${segment.type || "dynamic"} · from ${segment.source}, version ${segment.version}`),
    segment.description ? h("p", {}, segment.description) : null,
    card("Size", overview),
    card("Over time", overTime),
    h("div", { class: "grid" }, card("Members", membersBox), card("Explain a member", explainBox)),
    card("Definition", previewBox),
    card("Snapshot", snapshotBox));

  // Size now.
  fill(overview, facts([
    ["Members", h("span", { "data-count": listed.memberCount ?? "" }, count(listed.memberCount))],
    ["Share of leads", percent(listed.shareOfLeads)],
    ["Size warning", sizeBadge(listed.sizeWarning, listed.sizeWarning !== undefined)],
  ]));

  // Explain.
  const explainInput = h("input", { id: "explain-lead", name: "lead", required: true, autocomplete: "off" });
  const explainOut = h("div");
  explainBox.append(h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); explainInto(explainOut, segmentId, explainInput.value.trim()); } },
    h("label", { for: "explain-lead" }, "Lead id", explainInput), h("button", { type: "submit" }, "Explain")), explainOut);

  await Promise.all([
    analyticsSection(overTime, segment, params, overview),
    membersSection(membersBox, segmentId, (leadId) => { explainInput.value = leadId; explainInto(explainOut, segmentId, leadId); }),
  ]);
  definitionSection(previewBox, segment);
  snapshotSection(snapshotBox, segment);
  return null;
}

async function analyticsSection(box, segment, params, overview) {
  const fields = {
    from: h("input", { type: "date", id: "an-from", value: params.get("from") || "" }),
    to: h("input", { type: "date", id: "an-to", value: params.get("to") || "" }),
    interval: h("select", { id: "an-interval" }, [["P1D", "Day"], ["P7D", "Week"], ["PT1H", "Hour"]].map(([value, text]) =>
      h("option", { value, selected: (params.get("interval") || "P1D") === value }, text))),
    conversion_event: h("input", { id: "an-conv", value: params.get("conversion_event") || "purchase", autocomplete: "off" }),
    conversion_within: h("input", { id: "an-within", value: params.get("conversion_within") || "P30D", size: 6 }),
  };
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); load(); } },
    h("label", { for: "an-from" }, "From", fields.from), h("label", { for: "an-to" }, "To", fields.to),
    h("label", { for: "an-interval" }, "Interval", fields.interval),
    h("label", { for: "an-conv" }, "Conversion event", fields.conversion_event),
    h("label", { for: "an-within" }, "within", fields.conversion_within),
    h("button", { type: "submit" }, "Show"));
  fill(box, form, out);

  async function load() {
    const query = {
      interval: fields.interval.value,
      from: fields.from.value ? `${fields.from.value}T00:00:00Z` : null,
      to: fields.to.value ? `${fields.to.value}T23:59:59Z` : null,
      conversion_event: fields.conversion_event.value.trim(),
      conversion_within: fields.conversion_within.value.trim(),
    };
    fill(out, h("p", { class: "muted" }, "Loading analytics…"));
    const result = await api("GET", analyticsPath(segment.id, query));
    if (!result.ok) {
      fill(out, outcome(result, "Analytics", "GET /segments/{id}/analytics"), await enteredFallback(segment.id));
      return;
    }
    const body = result.body;
    rememberNow(body.at);
    fill(overview, facts([
      ["Members", h("span", { "data-count": body.memberCount }, count(body.memberCount))],
      ["Share of leads", percent(body.shareOfLeads)],
      ["Average score now", score(body.averageScore)],
      ["As of", when(body.at)],
    ]));
    const labels = body.series.map((p) => day(p.at) + (fields.interval.value === "PT1H" ? " " + p.at.slice(11, 16) : ""));
    const size = chartBox(`Members of ${segment.name} at the end of each interval, with entries and exits`, null, true);
    const avg = chartBox(`Average score of ${segment.name}'s members at the end of each interval`);
    const conv = body.conversion;
    fill(out, 
      h("div", { class: "grid" },
        h("div", {}, h("h3", {}, "Size"), size.box),
        h("div", {}, h("h3", {}, "Average score"), avg.box)),
      h("div", { class: "grid" },
        h("div", {}, table(`Top events of current members (${day(body.series[0]?.at)} to ${day(body.at)})`, ["Event", "Count", "Leads"],
          (body.topEvents || []).slice(0, 10).map((e) => [e.event, count(e.count), count(e.leads)]), [1, 2])),
        h("div", {}, h("h3", {}, "Conversion"), conv ? h("p", { "data-conversion": conv.rate ?? "" },
          `${count(conv.converted)} of ${count(conv.entered)} leads that entered performed ${conv.event} within ${conv.within} of entering: `,
          h("strong", {}, percent(conv.rate)), ".") : h("p", { class: "muted" }, "No conversion event given."))));
    draw(size.canvas, {
      type: "bar",
      data: {
        labels,
        datasets: [
          { type: "line", label: "Members", data: body.series.map((p) => p.members), borderColor: PALETTE[0], backgroundColor: PALETTE[0], yAxisID: "y", tension: 0.2, pointRadius: 2 },
          { label: "Entered", data: body.series.map((p) => p.entered), backgroundColor: "#7fb685", yAxisID: "y" },
          { label: "Exited (below zero)", data: body.series.map((p) => -p.exited), backgroundColor: "#e39a94", yAxisID: "y" },
        ],
      },
      // One axis, so the members line and the day's entries (up) and exits (down) share a zero.
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: "leads" } } } },
    });
    draw(avg.canvas, {
      type: "line",
      data: { labels, datasets: [{ label: "Average score", data: body.series.map((p) => p.averageScore), borderColor: PALETTE[1], backgroundColor: PALETTE[1], tension: 0.2, pointRadius: 2, spanGaps: true }] },
      options: { scales: { y: { beginAtZero: true } } },
    });
    announce("Analytics loaded");
  }
  await load();
}

/** Before the analytics endpoint: when today's members entered (from the members list). */
async function enteredFallback(segmentId) {
  const members = await allPages(`/segments/${enc(segmentId)}/members`, "members");
  if (!members.ok || !members.items.length) return h("p", { class: "muted" }, "No members to chart.");
  const days = [...new Set(members.items.map((m) => day(m.enteredAt)))].sort();
  let running = 0;
  const cumulative = days.map((d) => (running += members.items.filter((m) => day(m.enteredAt) === d).length));
  const chart = chartBox("Current members by the day they entered (cumulative)");
  const wrap = h("div", {}, h("h3", {}, "Current members by the day they entered"), chart.box);
  queueMicrotask(() => draw(chart.canvas, {
    type: "line",
    data: { labels: days, datasets: [{ label: "Current members who had entered by then", data: cumulative, borderColor: PALETTE[0], stepped: true, pointRadius: 2 }] },
    options: { scales: { y: { beginAtZero: true } } },
  }));
  return wrap;
}

/** A person's name from their traits: name, or first and last name. */
function personName(traits) {
  if (!traits) return "";
  if (typeof traits.name === "string" && traits.name.trim()) return traits.name.trim();
  return [traits.first_name, traits.last_name].filter((part) => typeof part === "string" && part.trim()).join(" ");
}

async function membersSection(box, segmentId, onExplain) {
  const pageSize = 20;
  const cursors = [null];
  let index = 0;
  const asOf = h("input", { type: "datetime-local", id: "members-asof", step: 1 });
  const list = h("div", { "aria-live": "polite" });
  const prev = h("button", { type: "button", class: "secondary", onclick: () => { index -= 1; load(); } }, "Previous");
  const next = h("button", { type: "button", class: "secondary", onclick: () => { index += 1; load(); } }, "Next");
  const position = h("span", { class: "muted" });
  fill(box, 
    h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); cursors.length = 1; index = 0; load(); } },
      h("label", { for: "members-asof" }, "As of (UTC, empty for now)", asOf), h("button", { type: "submit" }, "List")),
    list, h("div", { class: "pager" }, prev, next, position));

  async function load() {
    const at = asOf.value ? `&asOf=${enc(new Date(asOf.value + "Z").toISOString())}` : "";
    const cursor = cursors[index];
    const path = `/segments/${enc(segmentId)}/members?limit=${pageSize}${cursor ? "&cursor=" + enc(cursor) : ""}${at}`;
    const result = await api("GET", path);
    if (!result.ok) {
      fill(list, outcome(result, "Members", "GET /segments/{id}/members"));
      return;
    }
    cursors[index + 1] = result.body.cursor;
    const members = result.body.members;
    // Who each member is: name and email from the lead's traits (one GET /leads/{id} each, a page at a time).
    const profiles = await inBatches(members, 6, async (m) => (await api("GET", `/leads/${enc(m.leadId)}`)).body?.traits || {});
    const members_table = table(`Members${at ? " as of " + asOf.value.replace("T", " ") + " UTC" : ""}, page ${index + 1}`, ["Lead", "Name", "Email", "Entered", ""],
      members.map((m, i) => [link(leadHref(m.leadId), m.leadId), personName(profiles[i]) || "—", profiles[i].email || "—", when(m.enteredAt),
        h("button", { type: "button", class: "secondary", "aria-label": `Explain ${m.leadId}`, onclick: () => onExplain(m.leadId) }, "Explain")]));
    members_table.setAttribute("data-members", segmentId);
    fill(list, members_table);
    prev.disabled = index === 0;
    next.disabled = !result.body.cursor;
    position.textContent = `Page ${index + 1}`;
  }
  await load();
}

function definitionSection(box, segment) {
  const editor = h("textarea", { id: "definition-editor", spellcheck: "false" });
  editor.value = json(definitionOf(segment));
  const since = h("input", { id: "preview-since", value: "P30D", size: 6 });
  const out = h("div", { "aria-live": "polite", id: "preview-result" });
  const parse = () => {
    try {
      return JSON.parse(editor.value);
    } catch (error) {
      fill(out, h("p", { class: "error", role: "alert" }, `The definition is not valid JSON: ${error.message}`));
      return null;
    }
  };
  async function preview() {
    const definition = parse();
    if (!definition) return;
    fill(out, h("p", { class: "muted" }, "Replaying stored events through the edited definition…"));
    const result = await api("POST", "/segments/preview", { segment: definition, since: since.value.trim() || "P30D" });
    fill(out, outcome(result, "Preview", "POST /segments/preview", (body) => {
      const chart = chartBox("Preview: entries and exits over the replayed period");
      const view = h("div", { "data-preview-count": body.memberCount },
        h("p", { class: "notice" }, h("strong", {}, `${count(body.memberCount)} members`), ` with this definition (not saved). Now: ${count(segment.memberCount)}.`),
        body.sample && body.sample.length ? h("p", {}, "For example: ", body.sample.slice(0, 10).flatMap((id, i) => [i ? ", " : "", link(leadHref(id), id)])) : null,
        chart.box);
      queueMicrotask(() => draw(chart.canvas, {
        type: "bar",
        data: { labels: (body.series || []).map((p) => day(p.at)), datasets: [
          { label: "Would enter", data: (body.series || []).map((p) => p.entered), backgroundColor: "#7fb685" },
          { label: "Would exit", data: (body.series || []).map((p) => -p.exited), backgroundColor: "#e39a94" }] },
        options: { scales: { x: { stacked: true }, y: { stacked: true } } },
      }));
      return view;
    }));
    announce("Preview ready");
  }
  async function save() {
    const definition = parse();
    if (!definition) return;
    const result = await api("PUT", `/segments/${enc(segment.id)}`, { ...definition, version: segment.version });
    if (result.ok) {
      fill(out, h("p", { class: "notice", role: "status" }, `Saved as version ${result.body.version}; job ${result.body.job?.jobId || ""} re-evaluates every lead.`));
      segment.version = result.body.version;
    } else {
      fill(out, problem(result, "Saving"));
    }
  }
  fill(box, 
    h("p", { class: "muted" }, "Edit the definition (JSON), preview what it would do on the stored events, and only then save it."),
    h("label", { for: "definition-editor" }, "Definition"), editor,
    h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); preview(); } },
      h("label", { for: "preview-since" }, "Replay events since", since),
      h("button", { type: "submit", id: "preview-button" }, "Preview"),
      h("button", { type: "button", class: "secondary", id: "save-button", onclick: save }, "Save")),
    out);
}

function snapshotSection(box, segment) {
  const id = h("input", { id: "snap-id", required: true, value: `${segment.id}-snapshot`, autocomplete: "off" });
  const name = h("input", { id: "snap-name", required: true, value: `${segment.name} (snapshot)` });
  const asOf = h("input", { id: "snap-asof", type: "datetime-local", step: 1 });
  const out = h("div", { "aria-live": "polite" });
  fill(box, 
    h("p", { class: "muted" }, "Freeze today's members (or those of a past instant) into a new static segment."),
    h("form", { class: "inline", onsubmit: async (event) => {
      event.preventDefault();
      const body = { id: id.value.trim(), name: name.value.trim() };
      if (asOf.value) body.asOf = new Date(asOf.value + "Z").toISOString();
      const result = await api("POST", `/segments/${enc(segment.id)}/snapshot`, body);
      fill(out, outcome(result, "Snapshot", "POST /segments/{id}/snapshot", (created) =>
        h("p", { class: "notice" }, "Created ", link(segmentHref(created.id), created.name), ` with ${count((created.members || []).length)} members.`)));
    } },
    h("label", { for: "snap-id" }, "New segment id", id), h("label", { for: "snap-name" }, "Name", name),
    h("label", { for: "snap-asof" }, "As of (UTC, optional)", asOf), h("button", { type: "submit" }, "Snapshot")),
    out);
}

function eventSummary(event) {
  const props = event.properties || {};
  const keys = ["path", "title", "plan", "cart_id", "value", "template", "message_id"].filter((k) => props[k] !== undefined);
  const detail = keys.map((k) => `${k}: ${typeof props[k] === "object" ? JSON.stringify(props[k]) : props[k]}`).join(", ");
  return [h("strong", {}, event.event || event.type), detail ? h("span", { class: "muted" }, ` — ${detail}`) : null];
}

/** The lead's score at the end of each of the last 30 days (GET /leads/{id}/scores), or a note. */
function scoreChart(scores) {
  return outcome(scores, "Score over time", "GET /leads/{id}/scores", (body) => {
    const values = body.series.map((p) => p.score);
    const first = body.series[0], last = body.series[body.series.length - 1];
    const chart = chartBox(`Score at the end of each day, ${day(first?.at)} to ${day(last?.at)}: ${score(values[0])} to ${score(values[values.length - 1])}`);
    chart.box.dataset.scores = values.join(" ");
    queueMicrotask(() => draw(chart.canvas, {
      type: "line",
      data: { labels: body.series.map((p) => day(p.at)), datasets: [{ label: "Score", data: values, borderColor: PALETTE[1], backgroundColor: PALETTE[1], tension: 0.2, pointRadius: 2 }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, title: { display: true, text: "score" } } } },
    }));
    return h("div", {}, h("p", { class: "muted" }, "Decayed as the rules say, at the end of each day of the last 30."), chart.box);
  });
}

async function leadPage(main, leadId) {
  const got = await api("GET", `/leads/${enc(leadId)}`);
  if (!got.ok) {
    return [h("h1", { tabindex: "-1" }, `Lead ${leadId}`), got.status === 404 && !got.unavailable
      ? notFound(`No lead ${leadId}.`) : problem(got, "Loading the lead")];
  }
  const lead = got.body;
  const [segmentsList, history, deliveries, scores] = await Promise.all([
    api("GET", "/segments"), api("GET", `/leads/${enc(lead.leadId)}/history`),
    api("GET", `/leads/${enc(lead.leadId)}/deliveries?limit=100`), api("GET", `/leads/${enc(lead.leadId)}/scores`)]);
  if (scores.ok) rememberNow(scores.body.at);
  const names = new Map(segmentsList.ok ? segmentsList.body.segments.map((s) => [s.id, s.name]) : []);
  const nameOf = (id) => names.get(id) || id;
  const explainOut = h("div", { "aria-live": "polite" });
  const traitRows = Object.entries(lead.traits || {}).map(([key, value]) => [key, typeof value === "object" ? JSON.stringify(value) : String(value)]);
  const timelineBox = h("div");
  const historyBox = h("div");

  fill(main, 
    h("h1", { tabindex: "-1" }, lead.traits?.name || [lead.traits?.first_name, lead.traits?.last_name].filter(Boolean).join(" ")
      || lead.traits?.email || lead.leadId),
    h("p", { class: "sub" }, `Lead ${lead.leadId}` + (lead.leadId !== leadId ? ` (${leadId} was merged into it)` : "")),
    h("div", { class: "grid" },
      card("Profile", facts([
        ["Score", h("span", { "data-score": lead.score }, `${score(lead.score)} (${lead.band || ""})`)],
        ["Highest score", score(lead.maxScore)],
        ["First seen", when(lead.firstSeenAt)],
        ["Last activity", when(lead.lastActivityAt)],
        ["Merged ids", (lead.aliases || []).join(", ") || "none"],
      ]), table("Traits", ["Trait", "Value"], traitRows)),
      card("Segments now", h("ul", {}, (lead.segments || []).map((id) => h("li", {}, link(segmentHref(id), nameOf(id)), " ",
        h("button", { type: "button", class: "secondary", "aria-label": `Why is this lead in ${nameOf(id)}?`, onclick: () => explainInto(explainOut, id, lead.leadId) }, "Why?")))),
      (lead.segments || []).length ? null : h("p", { class: "muted" }, "In no segment."),
      explainOut)),
    card("Score over time", scoreChart(scores)),
    card("Membership history", historyBox),
    card("Deliveries", outcome(deliveries, "Deliveries", "GET /leads/{id}/deliveries", (body) =>
      table("What the triggers sent this lead, newest first", ["Fired", "Trigger", "Channel", "Variant", "Status"],
        body.deliveries.map((d) => [when(d.firedAt), d.triggerId, d.channel, d.variant || (d.status === "held_out" ? "holdout" : "—"), d.status])))),
    card("Timeline of events", timelineBox));

  fill(historyBox, outcome(history, "Membership history", "GET /leads/{id}/history", (body) => {
    const entries = body.history;
    if (!entries.length) return h("p", { class: "muted" }, "Never in a segment.");
    const segmentIds = [...new Set(entries.map((e) => e.segmentId))];
    const end = Math.max(Date.parse(lead.lastActivityAt || 0), Date.parse(context.serverNow || 0),
      ...entries.map((e) => Date.parse(e.exitedAt || e.enteredAt))) + DAY;
    const chart = chartBox(`Membership intervals of ${lead.leadId}: ${segmentIds.map(nameOf).join(", ")}`, null, segmentIds.length > 6);
    chart.box.style.height = `${Math.max(160, 34 * segmentIds.length + 70)}px`;
    queueMicrotask(() => draw(chart.canvas, {
      type: "bar",
      data: {
        labels: segmentIds.map(nameOf),
        datasets: [{
          label: "Member",
          data: entries.map((e) => ({ x: [Date.parse(e.enteredAt), e.exitedAt ? Date.parse(e.exitedAt) : end], y: nameOf(e.segmentId) })),
          backgroundColor: entries.map((e) => PALETTE[segmentIds.indexOf(e.segmentId) % PALETTE.length]),
          borderSkipped: false, barPercentage: 0.6,
        }],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item) => {
          const [from, to] = item.raw.x;
          return `${new Date(from).toISOString().slice(0, 16).replace("T", " ")} → ${to === end ? "now" : new Date(to).toISOString().slice(0, 16).replace("T", " ")}`;
        } } } },
        scales: { x: { type: "linear", min: Math.min(...entries.map((e) => Date.parse(e.enteredAt))) - DAY, max: end,
          ticks: { callback: (value) => new Date(value).toISOString().slice(5, 10), maxTicksLimit: 10 } } },
      },
    }));
    return h("div", {}, chart.box, h("details", {}, h("summary", {}, "As a table"),
      table("Membership intervals", ["Segment", "Entered", "Left", "Cause"], entries.map((e) => [
        link(segmentHref(e.segmentId), nameOf(e.segmentId)), when(e.enteredAt), e.exitedAt ? when(e.exitedAt) : "still a member",
        [e.cause?.entered, e.cause?.exited].filter(Boolean).join(" / ")]))));
  }));

  // The timeline: oldest first, as the API gives it; "Load more" follows the cursor.
  const list = h("ol", { class: "timeline", id: "timeline", tabindex: "0", "aria-label": "Events, oldest first" });
  const more = h("button", { type: "button", class: "secondary" }, "Load more");
  let cursor = null;
  async function loadEvents() {
    const result = await api("GET", `/leads/${enc(lead.leadId)}/events?limit=100${cursor ? "&cursor=" + enc(cursor) : ""}`);
    if (!result.ok) {
      fill(timelineBox, outcome(result, "Events", "GET /leads/{id}/events"));
      return;
    }
    for (const event of result.body.events) {
      list.append(h("li", { "data-event": event.event || event.type }, h("time", { datetime: event.timestamp }, when(event.timestamp)), h("span", {}, ...eventSummary(event))));
    }
    cursor = result.body.cursor;
    more.hidden = !cursor;
    announce(`${list.children.length} events shown`);
  }
  more.addEventListener("click", loadEvents);
  fill(timelineBox, list, more);
  await loadEvents();
  return null;
}

// -- triggers ------------------------------------------------------------------------------------
function describeOn(on) {
  if (!on) return "";
  if (on.enter) return `entering ${on.enter}`;
  if (on.exit) return `leaving ${on.exit}`;
  if (on.event) return `event ${on.event}`;
  if (on.anniversary) return `anniversary of ${on.anniversary.trait} at ${on.anniversary.at}`;
  return JSON.stringify(on);
}

function armOf(delivery) {
  return delivery.status === "held_out" ? "holdout" : (delivery.variant || "all");
}

function periodOf(params) {
  const to = params.get("to") ? new Date(`${params.get("to")}T23:59:59Z`) : new Date(referenceNow().getTime() + DAY);
  const from = params.get("from") ? new Date(`${params.get("from")}T00:00:00Z`) : new Date(to.getTime() - 92 * DAY);
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}

async function triggersPage(main, params) {
  if (!context.serverNow && !params.get("to")) {  // learn the server's now (its simulated clock) if it tells
    const list = await api("GET", "/segments");
    if (list.ok && list.body.segments.length) rememberNow((await api("GET", analyticsPath(list.body.segments[0].id))).body?.at);
  }
  const period = periodOf(params);
  const listed = await api("GET", "/triggers");
  if (!listed.ok) return [h("h1", {}, "Triggers"), problem(listed, "Loading triggers")];
  const fromInput = h("input", { type: "date", id: "tr-from", value: period.from });
  const toInput = h("input", { type: "date", id: "tr-to", value: period.to });
  const sections = listed.body.triggers.map((trigger) => h("section", { class: "card", "data-trigger": trigger.id, "aria-labelledby": `t-${trigger.id}` }));
  fill(main, 
    h("h1", { tabindex: "-1" }, "Triggers"),
    h("form", { class: "inline", onsubmit: (event) => {
      event.preventDefault();
      location.hash = `#/triggers?from=${fromInput.value}&to=${toInput.value}`;
    } }, h("label", { for: "tr-from" }, "Fired from", fromInput), h("label", { for: "tr-to" }, "to", toInput),
    h("button", { type: "submit" }, "Show")),
    h("p", { class: "sub" }, "Fires and sends per variant in this period (at most 93 days), and for A/B triggers the share of leads that reached the outcome, against the holdout."),
    ...sections);
  await inBatches(listed.body.triggers.map((t, i) => [t, sections[i]]), 3, ([trigger, section]) => triggerSection(section, trigger, period));
  return null;
}

async function triggerSection(section, listed, period) {
  const detail = await api("GET", `/triggers/${enc(listed.id)}`);  // it alone says whether it is paused
  const trigger = detail.ok ? detail.body : listed;
  const title = h("h2", { id: `t-${trigger.id}` }, trigger.name || trigger.id, " ");
  const pausedBox = h("div", { "aria-live": "polite" });
  const body = h("div", {}, h("p", { class: "muted" }, "Loading deliveries…"));
  fill(section, title,
    h("p", { class: "sub" }, `${trigger.id} · on ${describeOn(trigger.on)}` + (trigger.holdout ? ` · ${trigger.holdout}% holdout` : "")),
    trigger.description ? h("p", {}, trigger.description) : null, pausedBox, body);
  renderPaused(pausedBox, title, trigger);

  const deliveries = await allPages(`/triggers/${enc(trigger.id)}/deliveries?from=${period.from}T00:00:00Z&to=${period.to}T23:59:59Z`, "deliveries", 1000);
  if (!deliveries.ok) {
    fill(body, outcome(deliveries, "Deliveries", "GET /triggers/{id}/deliveries"));
    return;
  }
  const arms = new Map();
  const channels = new Set();
  for (const d of deliveries.items) {
    const arm = armOf(d);
    if (!arms.has(arm)) arms.set(arm, { fires: new Set(), leads: new Map(), sent: {}, statuses: {} });
    const entry = arms.get(arm);
    entry.fires.add(d.fireId);
    const firstFire = entry.leads.get(d.leadId);
    if (!firstFire || d.firedAt < firstFire) entry.leads.set(d.leadId, d.firedAt);
    if (d.status !== "held_out") {
      channels.add(d.channel);
      if (d.status === "sent") entry.sent[d.channel] = (entry.sent[d.channel] || 0) + 1;
      else entry.statuses[d.status] = (entry.statuses[d.status] || 0) + 1;
    }
  }
  if (!arms.size) {
    fill(body, h("p", { class: "muted", "data-fires": trigger.id, "data-empty": "" },
      `Did not fire between ${period.from} and ${period.to}. Widen the period above to look further back.`));
    return;
  }
  const channelList = [...channels].sort();
  const armNames = [...arms.keys()].sort((a, b) => (a === "holdout") - (b === "holdout") || a.localeCompare(b));
  const fireTable = table(`Fires and sends per ${trigger.variants ? "variant" : "trigger"}, ${period.from} to ${period.to}`,
    ["Arm", "Fires", "Leads", ...channelList.map((c) => `${c} sent`), "Not sent"],
    armNames.map((name) => {
      const arm = arms.get(name);
      return [name, count(arm.fires.size), count(arm.leads.size), ...channelList.map((c) => count(arm.sent[c] || 0)),
        Object.entries(arm.statuses).map(([s, n]) => `${n} ${s}`).join(", ") || "—"];
    }), [1, 2, ...channelList.map((_, i) => 3 + i)]);
  fireTable.setAttribute("data-fires", trigger.id);
  const parts = [fireTable];
  if (trigger.variants || trigger.holdout) parts.push(abSection(trigger, arms, armNames, period));
  fill(body, ...parts);
}

function renderPaused(box, title, trigger) {
  if (!trigger.paused) {
    fill(box);
    return;
  }
  title.append(h("span", { class: "badge paused" }, "Paused"));
  const out = h("span", {});
  fill(box, h("p", { class: "error" }, `Paused at ${when(trigger.paused.at)}: ${trigger.paused.reason}. `,
    h("button", { type: "button", onclick: async () => {
      const result = await api("POST", `/triggers/${enc(trigger.id)}/resume`);
      if (result.ok) {
        title.querySelector(".badge.paused")?.remove();
        fill(box, h("p", { class: "notice", role: "status" }, "Resumed."));
      } else {
        fill(out, outcome(result, "Resume", "POST /triggers/{id}/resume"));
      }
    } }, "Resume"), out));
}

async function resultsTable(trigger, period, goal, out) {
  // GET /triggers/{id}/results computes the arms on the server: fires, sends, opens, clicks, goal.
  const query = new URLSearchParams({ from: `${period.from}T00:00:00Z`, to: `${period.to}T23:59:59Z`, goal, within: "P7D" });
  const result = await api("GET", `/triggers/${enc(trigger.id)}/results?${query}`);
  if (!result.ok) {
    fill(out, outcome(result, "Results", "GET /triggers/{id}/results"));
    return;
  }
  const arms = result.body.variants;
  const results = table(`Outcome: performed ${goal} within 7 days of the first fire`,
    ["Arm", "Leads", "Emails sent", "Opened", "Clicked", "Reached", "Rate", "Lift vs holdout"],
    arms.map((arm) => [arm.name, count(arm.leads), count(arm.sends.email || 0), count(arm.opens), count(arm.clicks),
      count(arm.conversions), percent(arm.conversionRate),
      arm.liftVsHoldout === null ? "—" : `${arm.liftVsHoldout.toFixed(1)} points`]), [1, 2, 3, 4, 5, 6, 7]);
  results.setAttribute("data-results", trigger.id);
  const holdout = arms.some((arm) => arm.name === "holdout");
  fill(out, results,
    holdout ? null : h("p", { class: "muted" }, "No holdout lead fired in this period: variants compare with each other; lift cannot be measured."),
    h("p", { class: "muted" }, `Small groups: read rates with care (${arms.map((a) => `${a.name} ${a.leads}`).join(", ")} leads).`));
}

function abSection(trigger, arms, armNames, period) {
  const defaultOutcome = trigger.on?.enter ? `left:${trigger.on.enter}` : "event:purchase";
  const select = h("input", { id: `ab-${trigger.id}`, value: defaultOutcome, size: 28, autocomplete: "off" });
  const out = h("div", { "aria-live": "polite" });
  async function compare() {
    const [kind, target] = select.value.trim().split(/:(.*)/s);
    if (kind === "event" && target) {
      fill(out, h("p", { class: "muted" }, "Reading the results…"));
      await resultsTable(trigger, period, target, out);
      return;
    }
    fill(out, h("p", { class: "muted" }, "Reading each lead…"));
    const rows = [];
    const rates = new Map();
    for (const name of armNames) {
      const leads = [...arms.get(name).leads.entries()];
      const reached = await inBatches(leads, 6, async ([leadId, firedAt]) => {
        if (kind === "left") {
          const lead = await api("GET", `/leads/${enc(leadId)}`);
          return lead.ok && !(lead.body.segments || []).includes(target);
        }
        const events = await allPages(`/leads/${enc(leadId)}/events`, "events", 1000, 5);
        return events.ok && events.items.some((e) => (e.event || e.type) === target && e.timestamp >= firedAt);
      });
      const converted = reached.filter(Boolean).length;
      rates.set(name, leads.length ? converted / leads.length : null);
      rows.push([name, leads.length, converted]);
    }
    const holdout = rates.get("holdout");
    fill(out, table(`Outcome: ${kind === "left" ? `left ${target} since the fire` : `performed ${target} after the fire`}`,
      ["Arm", "Leads", "Reached", "Rate", "Lift vs holdout"],
      rows.map(([name, leads, converted]) => {
        const rate = rates.get(name);
        const lift = name === "holdout" || holdout === undefined || holdout === null || rate === null ? "—"
          : `${((rate - holdout) * 100).toFixed(1)} points`;
        return [name, count(leads), count(converted), percent(rate), lift];
      }), [1, 2, 3, 4]),
    holdout === undefined ? h("p", { class: "muted" }, "No holdout lead fired in this period: lift cannot be measured.") : null,
    h("p", { class: "muted" }, `Small groups: read rates with care (${rows.map(([n, l]) => `${n} ${l}`).join(", ")} leads).`));
  }
  const form = h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); compare(); } },
    h("label", { for: `ab-${trigger.id}` }, "Outcome (left:SEGMENT or event:NAME)", select), h("button", { type: "submit" }, "Compare"));
  queueMicrotask(compare);
  return h("div", { "data-ab": trigger.id }, h("h3", {}, "A/B results"), form, out);
}

// -- search --------------------------------------------------------------------------------------
async function searchPage(main, query) {
  const text = query.trim();
  const direct = await api("GET", `/leads/${enc(text)}`);
  if (direct.ok) {
    location.replace(leadHref(direct.body.leadId));
    return null;
  }
  if (!text.includes("@")) return [h("h1", { tabindex: "-1" }, "Find a lead"), h("p", { class: "error", role: "alert" }, `No lead has the id ${text}.`)];
  fill(main, h("h1", { tabindex: "-1" }, "Find a lead"), h("p", { class: "muted" }, `Looking for the email ${text} among the segments' members…`));
  // No email index in the admin API: every lead is in some score band segment, so read members.
  const list = await api("GET", "/segments");
  const ids = new Set();
  for (const segment of list.ok ? list.body.segments : []) {
    const members = await allPages(`/segments/${enc(segment.id)}/members`, "members", 1000, 5);
    for (const m of members.items || []) ids.add(m.leadId);
    if (ids.size > 2000) break;
  }
  const wanted = text.toLowerCase();
  const found = [];
  await inBatches([...ids], 8, async (id) => {
    const lead = await api("GET", `/leads/${enc(id)}`);
    if (lead.ok && String(lead.body.traits?.email || "").toLowerCase() === wanted) found.push(lead.body);
  });
  if (found.length === 1) {
    location.replace(leadHref(found[0].leadId));
    return null;
  }
  return [h("h1", { tabindex: "-1" }, "Find a lead"), found.length
    ? h("ul", { "data-found": text }, found.map((lead) => h("li", {}, link(leadHref(lead.leadId), lead.leadId),
      ` ${personName(lead.traits) || ""} ${lead.traits?.email || ""}`.replace(/\s+$/, ""))))
    : h("p", { class: "error", role: "alert" }, `No lead with the email ${text} among ${ids.size} segment members.`)];
}

// -- routing -------------------------------------------------------------------------------------
async function route() {
  while (charts.length) charts.pop().destroy();
  const [path, query] = (location.hash.slice(1) || "/segments").split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const main = h("main", { id: "main", tabindex: "-1", "data-state": "loading" }, h("p", { class: "muted" }, "Loading…"));
  currentMain.replaceWith(main);
  currentMain = main;
  document.querySelectorAll("[data-nav]").forEach((a) => a.toggleAttribute("aria-current", false));
  const nav = document.querySelector(`[data-nav="${parts[0]}"]`);
  if (nav) nav.setAttribute("aria-current", "page");
  let page;
  try {
    if (parts[0] === "segments" && parts.length === 1) page = await segmentsPage(main, params);
    else if (parts[0] === "segments") page = await segmentPage(main, parts[1], params);
    else if (parts[0] === "leads" && parts[1]) page = await leadPage(main, parts[1]);
    else if (parts[0] === "triggers") page = await triggersPage(main, params);
    else if (parts[0] === "search") page = await searchPage(main, params.get("q") || "");
    else page = [h("h1", { tabindex: "-1" }, "Not found"), h("p", {}, "No such page. ", link("#/segments", "Segments"))];
  } catch (error) {
    page = [h("h1", { tabindex: "-1" }, "Something went wrong"), h("p", { class: "error", role: "alert" }, String(error))];
  }
  if (main !== currentMain) return;  // the reader moved on while this page loaded
  if (page) fill(main, ...page);
  const heading = main.querySelector("h1");
  document.title = `${heading ? heading.textContent : "Leadwire"} · Leadwire console`;
  if (heading) heading.focus({ preventScroll: true });
  main.dataset.state = "ready";
}

document.getElementById("lead-search").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = document.getElementById("lead-search-input").value.trim();
  if (q) location.hash = `#/search?q=${enc(q)}`;
});
// The skip link moves focus to the page; as a hash link it would be routed as a page "main".
document.querySelector("a.skip").addEventListener("click", (event) => {
  event.preventDefault();
  currentMain.focus();
});
window.addEventListener("hashchange", route);
route();

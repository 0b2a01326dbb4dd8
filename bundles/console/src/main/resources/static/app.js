// The pot4j console: one page, plain JavaScript, no external script. Routes: #/ (jobs), #/job/ID, #/submit,
// #/plugins. Live updates come from the Server-Sent Events of /api/events.
"use strict";
const main = document.getElementById("main");
const tokenInput = document.getElementById("token");
tokenInput.value = localStorage.getItem("pot4j.token") || "";
tokenInput.addEventListener("change", () => localStorage.setItem("pot4j.token", tokenInput.value));

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}
function svg(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}
function headers() {
  return tokenInput.value ? { "Authorization": "Bearer " + tokenInput.value } : {};
}
function metrics(m) {
  return m ? Object.entries(m).map(([k, v]) => k + " " + Number(v).toFixed(4)).join(", ") : "";
}
function time(t) {
  return t ? t.replace("T", " ").replace(/\.\d+Z$/, "Z") : "";
}

// ---- jobs table
let rows = new Map();
let filter = "";
function jobsPage() {
  const select = el("select", { id: "filter" }, el("option", { value: "" }, "every state"));
  for (const s of ["ACCEPTED", "STARTED", "COMPLETED", "FAILED", "CANCELLED", "REJECTED", "INTERRUPTED"]) {
    select.append(el("option", { value: s }, s));
  }
  select.value = filter;
  select.addEventListener("change", () => { filter = select.value; renderRows(); });
  main.replaceChildren(el("p", null, "state ", select),
    el("table", { id: "jobs" }, el("thead", null, el("tr", null, ...["job", "state", "model", "algorithm",
      "device", "server", "submitted", "started", "finished", "seconds", "progress", "fp32", "int8"].map(h => el("th", null, h)))),
      el("tbody")));
  fetch("/api/jobs").then(r => r.json()).then(list => {
    rows = new Map(list.map(row => [row.id, row]));
    renderRows();
  });
}
function jobRow(row) {
  const progress = row.total ? el("progress", { class: "progress", max: row.total, value: row.done }) : "";
  return el("tr", { "data-job": row.id },
    el("td", null, el("a", { href: "#/job/" + encodeURIComponent(row.id) }, row.id.substring(0, 8))),
    el("td", { class: "state state-" + row.state }, row.state),
    el("td", null, row.model), el("td", null, row.algorithm), el("td", null, row.device),
    el("td", { class: "server" }, row.server || ""), el("td", null, time(row.submitted)), el("td", null, time(row.started)), el("td", null, time(row.finished)),
    el("td", null, row.seconds == null ? "" : row.seconds.toFixed(1)),
    el("td", null, row.stage || "", " ", progress),
    el("td", null, metrics(row.fp32)), el("td", null, metrics(row.int8)));
}
function renderRows() {
  const body = document.querySelector("#jobs tbody");
  if (!body) return;
  const list = [...rows.values()].filter(r => !filter || r.state === filter)
    .sort((a, b) => String(b.submitted).localeCompare(String(a.submitted)));
  body.replaceChildren(...list.map(jobRow));
}

// ---- one job
let current = null;
function jobPage(id) {
  current = { id: id, detail: null, report: null };
  fetch("/api/jobs/" + encodeURIComponent(id)).then(r => r.json()).then(detail => {
    if (!current || current.id !== id) return;
    current.detail = detail;
    renderJob();
    if (detail.files && detail.files.includes("report.json")) {
      fetch("/download/" + encodeURIComponent(id) + "/report.json", { headers: headers() })
        .then(r => r.ok ? r.json() : null).then(report => {
          if (report && current && current.id === id) { current.report = report; renderJob(); }
        });
    }
  });
}
function renderJob() {
  const d = current.detail;
  if (d.field && !d.id) { main.replaceChildren(el("p", { class: "error" }, d.message)); return; }
  const parts = [el("h2", null, "job ", d.id),
    el("p", null, "state ", el("b", { id: "job-state", class: "state-" + d.state }, d.state),
      " · model ", d.model || "", " · device ", d.device || "", " · server ",
      el("span", { id: "job-server" }, d.server || ""), " · stage ", d.stage || ""),
    el("p", null, el("progress", { id: "job-progress", max: d.total || 1, value: d.done || 0 }),
      " ", d.total ? d.done + " / " + d.total : ""),
    el("p", null, "FP32 ", metrics(d.fp32), el("br"), "INT8 ", metrics(d.int8))];
  if (d.code) {
    const e = d.error || {};
    parts.push(el("p", { id: "job-error", class: "error" }, d.code + (e.field ? " in " + e.field : "") + ": " + d.message));
  }
  if (d.state === "ACCEPTED" || d.state === "STARTED") {
    const cancel = el("button", { id: "cancel" }, "Cancel");
    cancel.addEventListener("click", () => fetch("/api/jobs/" + encodeURIComponent(d.id) + "/cancel",
      { method: "POST", headers: headers() }));
    parts.push(cancel);
  }
  parts.push(...accuracyAware(d.events, current.report && current.report.accuracy_aware));
  parts.push(...tpeTrials(d.events));
  parts.push(el("h3", null, "Stages"), el("table", { id: "stages" }, ...d.stages.map(s =>
    el("tr", null, el("td", null, time(s.start)), el("td", null, s.stage)))));
  if (d.files && d.files.length) {
    const token = tokenInput.value ? "?token=" + encodeURIComponent(tokenInput.value) : "";
    parts.push(el("h3", null, "Files"), el("ul", { id: "files" }, ...d.files.map(f => el("li", null,
      el("a", { href: "/download/" + encodeURIComponent(d.id) + "/" + f.split("/").map(encodeURIComponent).join("/") + token }, f)))));
  }
  if (current.report) parts.push(...report(current.report));
  if (d.summary) parts.push(el("h3", null, "Summary"), el("pre", null, JSON.stringify(d.summary, null, 1)));
  main.replaceChildren(...parts);
}

// AccuracyAware publishes METRIC events: "accuracy_aware.baseline" (metric -> FP32 value),
// "accuracy_aware.iteration N: ..." (metric values, <metric>.remaining_gap, iteration) and
// "accuracy_aware.layer_ranking" (layer -> gain).
// report.json: the quantization points and the ignored nodes with their reasons
function report(r) {
  const points = r.quantization_points || [];
  const ignored = r.ignored_nodes || [];
  return [el("h3", null, "Report: " + points.length + " quantization points, " + ignored.length + " ignored nodes"),
    el("table", { id: "ignored" }, el("tr", null, el("th", null, "ignored node"), el("th", null, "reason")),
      ...ignored.map(n => el("tr", null, el("td", null, n.node), el("td", null, n.reason)))),
    el("details", null, el("summary", null, "quantization points"),
      el("table", null, el("tr", null, ...["node", "input", "kind", "bits", "mode", "granularity", "scale"].map(h => el("th", null, h))),
        ...points.map(q => el("tr", null, ...["node", "input", "kind", "bits", "mode", "granularity", "scale"]
          .map(k => el("td", null, q[k] === undefined ? "" : q[k]))))))];
}

function accuracyAware(events, reported) {
  const metricEvents = events.filter(e => e.type === "METRIC" && e.message && e.message.startsWith("accuracy_aware."));
  if (!metricEvents.length) return [];
  const baseline = metricEvents.find(e => e.message === "accuracy_aware.baseline");
  const iterations = metricEvents.filter(e => e.message.startsWith("accuracy_aware.iteration"));
  const ranking = metricEvents.filter(e => e.message === "accuracy_aware.layer_ranking").slice(-1)[0];
  const out = [el("h3", null, "AccuracyAware")];
  if (baseline && iterations.length) {
    const name = Object.keys(baseline.metrics)[0];
    out.push(iterationPlot(name, baseline.metrics[name], iterations, reported));
  }
  if (ranking) out.push(rankingBars(ranking.metrics));
  return out;
}
function iterationPlot(name, base, iterations, reported) {
  const points = iterations.map(e => ({ x: e.metrics.iteration, y: e.metrics[name], gap: e.metrics[name + ".remaining_gap"] }));
  if (reported && reported.base_metrics && reported.base_metrics[name] !== undefined) {
    points.unshift({ x: 0, y: reported.base_metrics[name], gap: 0 }); // the quantized model before any revert
  }
  // the bound (higher is better): from the report once written (baseline and maximal_drop), before that from a
  // remaining gap (value + gap) while one is left
  let bound = null;
  if (reported && reported.maximal_drop !== undefined) {
    bound = reported.drop_type === "relative" ? base * (1 - reported.maximal_drop) : base - reported.maximal_drop;
  } else {
    const gaps = points.filter(p => p.gap > 0);
    bound = gaps.length ? gaps[0].y + gaps[0].gap : null;
  }
  const ys = points.map(p => p.y).concat([base]).concat(bound == null ? [] : [bound]);
  const lo = Math.min(...ys), hi = Math.max(...ys), span = hi - lo || 1;
  const w = 560, h = 220, pad = 40, right = 60, maxX = Math.max(1, ...points.map(p => p.x));
  const X = x => pad + (w - pad - right) * x / maxX, Y = y => h - pad - (h - 2 * pad) * (y - lo) / span;
  const plot = svg("svg", { id: "aa-plot", width: w, height: h });
  plot.append(svg("text", { x: pad, y: 15 }, name + " per iteration"));
  plot.append(svg("line", { class: "baseline", x1: pad, x2: w - right, y1: Y(base), y2: Y(base), stroke: "#888", "stroke-dasharray": "4" }));
  plot.append(svg("text", { x: w - right + 4, y: Y(base) }, "FP32"));
  if (bound != null) {
    plot.append(svg("line", { class: "bound", x1: pad, x2: w - right, y1: Y(bound), y2: Y(bound), stroke: "#c33" }));
    plot.append(svg("text", { x: w - right + 4, y: Y(bound) + 12 }, "bound"));
  }
  plot.append(svg("polyline", { fill: "none", stroke: "#236", points: points.map(p => X(p.x) + "," + Y(p.y)).join(" ") }));
  for (const p of points) {
    plot.append(svg("circle", { class: "point", cx: X(p.x), cy: Y(p.y), r: 3, fill: "#236" },
      svg("title", null, "iteration " + p.x + ": " + p.y)));
  }
  plot.append(svg("text", { x: 4, y: h - 10, "font-size": "12" }, "iteration (0: quantized, no revert) .. " + maxX + "; " + name + " " + lo.toFixed(4) + " .. " + hi.toFixed(4)));
  return plot;
}
function rankingBars(gains) {
  const entries = Object.entries(gains).slice(0, 20);
  const max = Math.max(1e-12, ...entries.map(([, g]) => Math.abs(g)));
  const w = 480, row = 16;
  const chart = svg("svg", { id: "aa-ranking", width: w, height: row * entries.length + 20 });
  chart.append(svg("text", { x: 0, y: 12 }, "layer ranking (gain of reverting)"));
  entries.forEach(([layer, gain], i) => {
    const y = 20 + i * row;
    chart.append(svg("rect", { class: "bar", x: 200, y: y, height: row - 3, width: 260 * Math.abs(gain) / max, fill: gain >= 0 ? "#4a7" : "#c55" }));
    chart.append(svg("text", { x: 0, y: y + row - 5 }, layer.substring(0, 30)));
  });
  return chart;
}

// TPE publishes one METRIC event per trial (stage "trial"): details trial, accuracy_loss, latency_ratio (null without
// a latency benchmark), loss, best_trial. The scatter: accuracy drop against latency ratio (INT8 / FP32, lower is
// faster), the Pareto front of the trials (no other trial is better in both), and the best-so-far line (the best
// trial after each trial, in order).
function tpeTrials(events) {
  const trials = events.filter(e => e.type === "METRIC" && e.stage === "trial" && e.details && e.details.trial !== undefined)
    .map(e => e.details);
  if (!trials.length) return [];
  const out = [el("h3", null, "TPE trials (" + trials.length + ")")];
  const points = trials.filter(t => t.latency_ratio > 0 && t.accuracy_loss !== null && t.accuracy_loss !== undefined);
  if (!points.length) {
    out.push(el("p", { id: "tpe-none" }, "no latency ratio measured (benchmark off): no scatter"));
    return out;
  }
  const byTrial = new Map(points.map(t => [t.trial, t]));
  const front = points.filter(p => !points.some(q => q !== p && q.latency_ratio <= p.latency_ratio
      && q.accuracy_loss <= p.accuracy_loss && (q.latency_ratio < p.latency_ratio || q.accuracy_loss < p.accuracy_loss)))
    .sort((a, b) => a.latency_ratio - b.latency_ratio);
  const best = [];
  for (const t of trials) {
    const b = byTrial.get(t.best_trial);
    if (b && best[best.length - 1] !== b) best.push(b);
  }
  const xs = points.map(p => p.latency_ratio), ys = points.map(p => p.accuracy_loss);
  // x on a log scale (ratios; one noisy measurement must not squeeze the rest), taking in 1 (as fast as FP32);
  // y starts at no drop and spans at least 0.001
  const x0 = Math.min(1, ...xs), x1 = Math.max(1, ...xs), y0 = Math.min(0, ...ys), y1 = Math.max(y0 + 0.001, ...ys);
  const w = 560, h = 300, pad = 50, top = 24;
  const X = x => pad + (w - 2 * pad) * Math.log(x / x0) / (Math.log(x1 / x0) || 1);
  const Y = y => h - pad - (h - pad - top) * (y - y0) / ((y1 - y0) || 1);
  const plot = svg("svg", { id: "tpe-plot", width: w, height: h });
  plot.append(svg("text", { x: pad, y: 15 }, "accuracy drop vs latency ratio (INT8 / FP32)"));
  plot.append(svg("line", { x1: pad, x2: w - pad, y1: h - pad, y2: h - pad, stroke: "#888" }));
  plot.append(svg("line", { x1: pad, x2: pad, y1: top, y2: h - pad, stroke: "#888" }));
  plot.append(svg("line", { class: "fp32-latency", x1: X(1), x2: X(1), y1: top, y2: h - pad, stroke: "#aaa", "stroke-dasharray": "2 3" }));
  plot.append(svg("text", { x: X(1) + 3, y: top + 10, "font-size": "11" }, "FP32 latency"));
  plot.append(svg("text", { x: pad, y: h - pad + 16, "font-size": "12" }, x0.toFixed(3)));
  plot.append(svg("text", { x: w - pad - 30, y: h - pad + 16, "font-size": "12" }, x1.toFixed(3)));
  plot.append(svg("text", { x: 2, y: h - pad, "font-size": "12" }, y0.toFixed(4)));
  plot.append(svg("text", { x: 2, y: top + 10, "font-size": "12" }, y1.toFixed(4)));
  plot.append(svg("text", { x: pad, y: h - 10, "font-size": "12" }, "latency ratio (log) →   ↑ accuracy drop   ● trial  — Pareto front  ┄ best so far"));
  plot.append(svg("polyline", { class: "pareto", fill: "none", stroke: "#c33",
    points: front.map(p => X(p.latency_ratio) + "," + Y(p.accuracy_loss)).join(" ") }));
  plot.append(svg("polyline", { class: "best-so-far", fill: "none", stroke: "#2a6", "stroke-dasharray": "5 3",
    points: best.map(p => X(p.latency_ratio) + "," + Y(p.accuracy_loss)).join(" ") }));
  for (const p of points) {
    const onFront = front.includes(p);
    plot.append(svg("circle", { class: "trial" + (onFront ? " front" : ""), cx: X(p.latency_ratio), cy: Y(p.accuracy_loss),
      r: onFront ? 4.5 : 3.5, fill: onFront ? "#c33" : "#236" },
      svg("title", null, "trial " + p.trial + ": drop " + p.accuracy_loss + ", latency ratio " + p.latency_ratio)));
  }
  out.push(plot);
  return out;
}

// ---- submit
function submitPage() {
  const text = el("textarea", { id: "job-json", rows: 24 });
  text.value = localStorage.getItem("pot4j.lastJob") || "";
  const button = el("button", { id: "submit" }, "Submit");
  const result = el("div", { id: "submit-error", class: "error" });
  button.addEventListener("click", () => {
    localStorage.setItem("pot4j.lastJob", text.value);
    result.textContent = "";
    fetch("/api/jobs", { method: "POST", headers: Object.assign({ "Content-Type": "application/json" }, headers()), body: text.value })
      .then(r => r.json().then(body => ({ ok: r.ok, body: body })))
      .then(({ ok, body }) => {
        if (ok) { location.hash = "#/job/" + encodeURIComponent(body.id); }
        else { result.replaceChildren(el("b", { class: "field" }, body.field), ": ", body.message); }
      });
  });
  main.replaceChildren(el("h2", null, "Submit a job (POT JSON)"), text, el("p", null, button), result);
}

// ---- plugins: the list comes with the page, then by push (a "plugins" message whenever a plugin service comes or goes)
let pluginList = null;
let pluginPushes = 0;
function pluginsPage() {
  if (pluginList) renderPlugins();
  const pushesBefore = pluginPushes;
  fetch("/api/plugins").then(r => r.json()).then(list => {
    if (pluginPushes === pushesBefore) pluginList = list; // a push that came meanwhile is newer
    renderPlugins();
  });
}
function renderPlugins() {
  if (location.hash !== "#/plugins" || !pluginList) return;
  main.replaceChildren(el("table", { id: "plugins" },
    el("tr", null, ...["kind", "name", "bundle", "version"].map(h => el("th", null, h))),
    ...pluginList.map(p => el("tr", null, el("td", null, p.kind), el("td", { class: "name" }, p.name),
      el("td", null, p.bundle), el("td", null, p.version)))));
}

// ---- routing and live updates
function route() {
  const hash = location.hash || "#/";
  current = null;
  if (hash.startsWith("#/job/")) jobPage(decodeURIComponent(hash.substring(6)));
  else if (hash === "#/submit") submitPage();
  else if (hash === "#/plugins") pluginsPage();
  else jobsPage();
}
window.addEventListener("hashchange", route);
route();
const events = new EventSource("/api/events");
events.onmessage = message => {
  const data = JSON.parse(message.data);
  if (data.plugins) {
    pluginList = data.plugins;
    pluginPushes++;
    renderPlugins();
    return;
  }
  const { job, event } = data;
  rows.set(job.id, Object.assign(rows.get(job.id) || {}, job));
  renderRows();
  if (!event) { // a state another server recorded (the group's jobs topic): the row, and its page if open
    if (current && current.id === job.id) jobPage(job.id);
    return;
  }
  if (current && current.detail && current.id === job.id) {
    Object.assign(current.detail, job);
    current.detail.events.push(event);
    const last = current.detail.stages.map(s => s.stage).slice(-1)[0];
    if (event.type === "STAGE" && !(event.details && event.stage === last)) { // a notice within a stage is no new stage
      current.detail.stages.push({ stage: event.stage, start: event.time });
    }
    if (["COMPLETED", "FAILED", "CANCELLED", "REJECTED"].includes(event.type)) jobPage(job.id);
    else renderJob();
  }
};

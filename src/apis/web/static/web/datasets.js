/**
 * DATASETS (every logged-in user): choose an operating site, a component, ids, a time range (site time),
 * fields and optional resampling from the catalog (/api/ess/operating-sites/); preview the first page as a
 * chart of the numeric fields and a table; download CSV or Parquet (/api/ess/download/...). Values are only
 * ever shown as text.
 */
import { apiUrl, h, showError, table } from "./common.js";

const BASE = apiUrl("ess/operating-sites/");
const PREVIEW_ROWS = 500;
const $ = (id) => document.getElementById(id);
const form = $("dataset-form");
const site = $("ds-site");
const component = $("ds-component");
const bank = $("ds-bank");
const rack = $("ds-rack");
const start = $("ds-start");
const end = $("ds-end");
const interval = $("ds-interval");
const agg = $("ds-agg");
const fieldList = $("ds-field-list");
let sites = [];
let chart;

/** The catalog entry of the chosen site and of its chosen table. */
const chosenSite = () => sites.find((s) => String(s.id) === site.value);
const chosenTable = () => chosenSite()?.tables[component.value];

/** Wall time `YYYY-MM-DDTHH:MM:SS` of an ISO time with offset, moved by `seconds` (zone-free arithmetic). */
function wallTime(iso, seconds = 0) {
  const moved = new Date(new Date(`${iso.slice(0, 19)}Z`).getTime() + seconds * 1000);
  return moved.toISOString().slice(0, 19);
}

/** The ESS error body (`{"code", "exception type", "message"}`) or the response text as an Error. */
async function failure(response) {
  const body = await response.text();
  try {
    const doc = JSON.parse(body);
    return new Error(`${doc["exception type"]}: ${doc.message}`);
  } catch {
    return new Error(body || `HTTP ${response.status}`);
  }
}

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw await failure(response);
  return response.json();
}

function fillSites() {
  site.replaceChildren(...sites.map((s) =>
    h("option", { value: s.id, disabled: Boolean(s.error) }, s.error ? `${s.name} (${s.error})` : s.name)));
  const usable = sites.find((s) => !s.error);
  if (usable) site.value = String(usable.id);
  fillComponents();
}

function fillComponents() {
  const tables = Object.keys(chosenSite()?.tables || {});
  component.replaceChildren(...tables.map((name) => h("option", { value: name }, name)));
  fillTable();
}

/** Fields, id inputs and default range (the last day of data) of the chosen table. */
function fillTable() {
  const entry = chosenTable();
  const keys = entry?.keys || [];
  const boxes = (entry?.fields || []).filter((f) => !keys.includes(f)).map((field, i) =>
    h("label", null, h("input", { type: "checkbox", name: "field", value: field, checked: i < 2 }), ` ${field}`));
  fieldList.replaceChildren(...boxes);
  for (const [input, key] of [[bank, "bank_id"], [rack, "rack_id"]]) {
    const used = keys.includes(key);
    input.parentElement.hidden = !used;
    input.disabled = !used;
  }
  bank.required = !bank.disabled;
  $("ds-span").textContent = entry?.first ? `stored: ${wallTime(entry.first).replace("T", " ")} – ${wallTime(entry.last).replace("T", " ")}` : "no rows stored";
  if (entry?.last) {
    const dayBefore = wallTime(entry.last, -86400);
    start.value = wallTime(entry.first) > dayBefore ? wallTime(entry.first) : dayBefore;
    end.value = wallTime(entry.last, 1);
  }
  updateLinks();
}

/** The request parameters of the form: key fields first, then the checked ones (none: every field). */
function parameters() {
  const entry = chosenTable();
  const checked = [...fieldList.querySelectorAll("input:checked")].map((box) => box.value);
  const params = new URLSearchParams();
  if (checked.length) params.set("fields", [...entry.keys, ...checked].join(","));
  if (start.value) params.set("start-time", start.value);
  if (end.value) params.set("end-time", end.value);
  if (interval.value) {
    params.set("interval", interval.value);
    params.set("agg", agg.value);
  }
  return params;
}

/** The paged JSON URL of the chosen component and ids. */
function dataUrl() {
  const root = `${BASE}${encodeURIComponent(site.value)}/`;
  const bankPath = `${root}banks/${encodeURIComponent(bank.value)}/`;
  if (component.value === "bank") return bankPath;
  if (component.value === "rack") return rack.value ? `${bankPath}racks/${encodeURIComponent(rack.value)}/` : `${bankPath}racks/`;
  return `${root}${component.value}/`;
}

function updateLinks() {
  agg.disabled = !interval.value;
  for (const format of ["csv", "parquet"]) {
    const link = $(`ds-${format}`);
    const ready = chosenTable() && start.value && end.value;
    const params = parameters();
    for (const [input, name] of [[bank, "bank_id"], [rack, "rack_id"]]) {
      if (!input.disabled && input.value) params.set(name, input.value);
    }
    params.set("format", format);
    if (ready) {
      link.href = apiUrl(`ess/download/operating-sites/${encodeURIComponent(site.value)}/${component.value}/`, params);
      link.removeAttribute("aria-disabled");
    } else {
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
    }
  }
}

const shown = (value) => (value !== null && typeof value === "object" ? JSON.stringify(value) : value);

/** One line per numeric field (and per bank/rack when the page holds several) over the page's times. */
function drawChart(rows, keys) {
  const times = [...new Set(rows.map((r) => r.timestamp))];
  const index = new Map(times.map((t, i) => [t, i]));
  const ids = keys.filter((k) => k !== "timestamp");
  const numeric = Object.keys(rows[0] || {}).filter((f) => !keys.includes(f) && rows.some((r) => typeof r[f] === "number"));
  const groups = [...new Set(rows.map((r) => ids.map((k) => `${k} ${r[k]}`).join(", ")))];
  const datasets = [];
  for (const field of numeric) {
    for (const group of groups) {
      const data = new Array(times.length).fill(null);
      for (const row of rows) {
        if (ids.map((k) => `${k} ${row[k]}`).join(", ") === group) data[index.get(row.timestamp)] = row[field];
      }
      datasets.push({ label: groups.length > 1 ? `${field} (${group})` : field, data, pointRadius: 0, spanGaps: true });
    }
  }
  chart?.destroy();
  chart = new globalThis.Chart($("ds-chart"), {
    type: "line",
    data: { labels: times.map((t) => (t ? wallTime(t).replace("T", " ") : "")), datasets },
    options: { responsive: true, maintainAspectRatio: false, animation: false, interaction: { mode: "nearest", intersect: false } },
  });
}

async function preview() {
  const params = parameters();
  params.set("cursor", "");
  params.set("page_size", String(PREVIEW_ROWS));
  const page = await getJson(`${dataUrl()}?${params}`);
  const rows = page.results;
  $("ds-summary").textContent = rows.length
    ? `${rows.length} rows shown (first page)${page.next ? "; more rows follow in the download" : ""}`
    : "no rows in this range";
  drawChart(rows, chosenTable().keys);
  const fields = Object.keys(rows[0] || {});
  const columns = fields.map((field) => ({
    label: field,
    value: (row) => shown(row[field]),
    numeric: rows.some((row) => typeof row[field] === "number"),
  }));
  table($("ds-table"), columns, rows, { pageSize: 50, caption: `${component.value} rows` });
}

site.addEventListener("change", fillComponents);
component.addEventListener("change", fillTable);
form.addEventListener("input", updateLinks);
form.addEventListener("change", updateLinks);
$("ds-all").addEventListener("click", () => {
  fieldList.querySelectorAll("input").forEach((box) => { box.checked = true; });
  updateLinks();
});
$("ds-none").addEventListener("click", () => {
  fieldList.querySelectorAll("input").forEach((box) => { box.checked = false; });
  updateLinks();
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  preview().then(() => showError(null), showError);
});
getJson(BASE).then((catalog) => {
  sites = catalog;
  fillSites();
  if (!sites.length) showError("No operating site is configured.");
}, showError);

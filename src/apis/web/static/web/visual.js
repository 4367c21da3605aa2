/**
 * VISUAL: a live SVG of every unit of the selection, polled every 5 s (latestSet + liveList in BUDO form).
 * Units are laid out automatically (one in the centre, up to 12 on a circle, more on a grid), so any cluster
 * of 1 to 50+ units is drawn. Residents see their own unit and one masked counterpart per live deal.
 */
import { api, ctx, localTime, num, poll, where } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";
const SIZE = 600;
const STALE_MS = 120000; // a unit whose data is older than this (or absent) is shown as "no data"
const MAX_PVC = 3000;
const svg = document.getElementById("visual");

function s(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) if (value !== null && value !== undefined) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** Centre and scale of `n` units: centre for one, a circle up to 12, a grid beyond. */
function layout(n) {
  if (n <= 1) return [{ x: SIZE / 2, y: SIZE / 2, scale: 1.2 }];
  if (n <= 12) {
    const radius = SIZE / 2 - 90;
    const scale = Math.min(1, (2 * Math.PI * radius) / n / 150);
    return Array.from({ length: n }, (_, i) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
      return { x: SIZE / 2 + radius * Math.cos(angle), y: SIZE / 2 + radius * Math.sin(angle), scale };
    });
  }
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const cell = (SIZE - 20) / Math.max(cols, rows);
  return Array.from({ length: n }, (_, i) => ({
    x: 10 + cell * ((i % cols) + 0.5),
    y: 10 + cell * (Math.floor(i / cols) + 0.5),
    scale: cell / 170,
  }));
}

const get = (doc, ...path) => path.reduce((value, key) => (value == null ? undefined : value[key]), doc);

function unitGlyph(unit, doc, at, now) {
  const stale = !doc || !doc.time || now - new Date(doc.time).getTime() > STALE_MS;
  const rsoc = get(doc, "battery", "rsoc") ?? get(doc, "emu", "rsoc");
  const reference = get(doc, "dcdc", "status", "status") === "0x0014";
  const master = Boolean(get(doc, "apis", "is_grid_master"));
  const pv = get(doc, "emu", "pvc_charge_power");
  const g = s("g", {
    class: `unit${stale ? " stale" : ""}${reference ? " reference" : ""}`,
    transform: `translate(${at.x} ${at.y}) scale(${at.scale})`,
    "data-unit-id": unit.id,
    "data-state": stale ? "stale" : "live",
  });
  g.append(s("title", null, `${unit.name} (${unit.id})`));
  if (master) g.append(s("polygon", { class: "crown", points: "-16,-78 -16,-66 16,-66 16,-78 8,-71 0,-80 -8,-71" }, ""));
  g.append(s("text", { class: "name", y: -84 }, stale ? `No DATA ${unit.name}` : unit.name));
  g.append(s("rect", { class: "pv", x: -25, y: -62, width: 50, height: 8, "fill-opacity": Math.min(1, Math.max(0.1, (pv || 0) / MAX_PVC)) }));
  g.append(s("rect", { class: "battery", x: -25, y: -50, width: 50, height: 90, rx: 4 }));
  const level = Math.max(0, Math.min(100, Number(rsoc) || 0)) * 0.86;
  g.append(s("rect", { class: "level", x: -23, y: 38 - level, width: 46, height: level }));
  g.append(s("text", { class: "rsoc", y: 0 }, rsoc === undefined ? "–" : `${num(Number(rsoc))}%`));
  if (reference) g.append(s("text", { class: "vr", y: 20 }, "V ref"));
  const lines = [
    `PV ${num(pv)} W`,
    `AC in ${num(get(doc, "dcdc", "powermeter", "p2"))} W ${num(get(doc, "emu", "ups_input_voltage"), 1)} V`,
    `AC out ${num(get(doc, "emu", "ups_output_power"))} W`,
    `DC ${num(get(doc, "dcdc", "meter", "vg"), 1)} V ${num(get(doc, "dcdc", "meter", "wg"))} W`,
  ];
  const label = s("text", { class: "values", y: 56 });
  lines.forEach((line, i) => label.append(s("tspan", { x: 0, dy: i ? 14 : 0 }, line)));
  g.append(label);
  return { node: g, stale, time: doc && doc.time };
}

/** A resident's masked counterpart of one live deal: a grey battery named `******`. */
function phantomGlyph(at) {
  const g = s("g", { class: "unit phantom", transform: `translate(${at.x} ${at.y}) scale(${at.scale})`, "data-unit-id": "******" });
  g.append(s("rect", { class: "battery", x: -25, y: -50, width: 50, height: 90, rx: 4 }), s("text", { class: "name", y: -60 }, "******"));
  return { node: g, phantom: true };
}

function draw(units, latest, deals) {
  const now = Date.now();
  const own = ctx.role === "resident" ? ctx.selection.unitId : null;
  // Residents: the counterparts are masked, one phantom per deal.
  const shown = units.slice();
  const dealEnds = deals.map((deal) => {
    const ends = [deal.dischargingUnit, deal.chargingUnit];
    if (own) {
      const phantom = { id: `deal:${deal.id}`, name: "******", phantom: true };
      shown.push(phantom);
      return ends.map((end) => (end === own ? own : phantom.id));
    }
    return ends;
  });
  // Residents: the own unit in the centre, the phantoms around it.
  const around = layout(Math.max(shown.length - 1, 2)).map((p) => ({ ...p, scale: 0.5 }));
  const positions = own ? [{ x: SIZE / 2, y: SIZE / 2, scale: 1.2 }, ...around] : layout(shown.length);
  const at = new Map(shown.map((unit, i) => [unit.id, positions[i]]));
  const defs = s("defs");
  const marker = s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" });
  marker.append(s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }));
  defs.append(marker);
  const flows = s("g", { class: "flows" });
  dealEnds.forEach(([from, to], i) => {
    const a = at.get(from);
    const b = at.get(to);
    if (!a || !b) return;
    const path = s("path", { class: "flow", d: `M${a.x},${a.y} Q${SIZE / 2},${SIZE / 2} ${b.x},${b.y}`, "marker-end": "url(#arrow)", "data-deal-id": deals[i].id });
    path.append(s("title", null, `${from} → ${to} since ${localTime(deals[i].startTime)}`));
    flows.append(path);
  });
  const glyphs = shown.map((unit) =>
    unit.phantom ? phantomGlyph(at.get(unit.id)) : unitGlyph(unit, latest[unit.id], at.get(unit.id), now)
  );
  svg.replaceChildren(defs, flows, ...glyphs.map((glyph) => glyph.node));
  const times = glyphs.map((glyph) => glyph.time).filter(Boolean).sort();
  document.getElementById("newest").textContent = times.length ? localTime(times[times.length - 1]) : "no data";
  const live = glyphs.filter((glyph) => !glyph.phantom && !glyph.stale).length;
  document.getElementById("status").textContent =
    `${live} of ${units.length} units reporting. ${deals.length} live deal${deals.length === 1 ? "" : "s"}.`;
}

function registered(latest) {
  const units = ctx.selection.units.map((unit) => ({ id: unit.id, name: unit.name }));
  // Units that report without being registered are drawn too (staff).
  for (const id of Object.keys(latest)) if (!units.some((unit) => unit.id === id)) units.push({ id, name: id });
  return units;
}

poll(async () => {
  const [latest, deals] = await Promise.all([api.unitData.latestSet(...where()), api.deal.liveList(...where(), "budo")]);
  draw(registered(latest), latest, deals);
}, 5000);

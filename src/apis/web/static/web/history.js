/**
 * UNIT HISTORY (staff): rsoc, PV power and DC-grid power of one unit over a chosen range, downsampled by
 * the server (/api/staff/unitData/history) so that a month loads as a few hundred points.
 */
import { apiUrl, ctx, h, showError } from "./common.js";

const form = document.getElementById("history-form");
const unit = document.getElementById("history-unit");
const from = document.getElementById("history-from");
const to = document.getElementById("history-to");
const points = document.getElementById("history-points");
let chart;

const pad = (n) => String(n).padStart(2, "0");
const inputValue = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

unit.replaceChildren(...ctx.selection.units.map((u) => h("option", { value: u.id }, u.name)));
to.value = inputValue(new Date(Date.now() + 60000));
from.value = inputValue(new Date(Date.now() - 86400000));

async function load() {
  const params = new URLSearchParams({
    communityId: ctx.selection.communityId,
    clusterId: ctx.selection.clusterId,
    unitId: unit.value,
    datetimeFrom: new Date(from.value).toISOString(),
    datetimeTo: new Date(to.value).toISOString(),
    points: points.value || "500",
  });
  const response = await fetch(apiUrl("staff/unitData/history", params), { credentials: "same-origin" });
  const body = await response.text();
  if (!response.ok) throw new Error(body);
  const doc = JSON.parse(body);
  document.getElementById("history-bucket").textContent = doc.bucketSeconds;
  document.getElementById("history-count").textContent = doc.points.length;
  const labels = doc.points.map((p) => new Date(p.time).toLocaleString());
  const series = (key) => doc.points.map((p) => p[key]);
  chart?.destroy();
  chart = new globalThis.Chart(document.getElementById("history-chart"), {
    type: "line",
    data: {
      labels,
      datasets: [
        { label: "rsoc (%)", data: series("rsoc"), yAxisID: "percent", borderColor: "#27AE60", pointRadius: 0 },
        { label: "PV (W)", data: series("pvPower"), yAxisID: "watt", borderColor: "#F1C40F", pointRadius: 0 },
        { label: "DC grid (W)", data: series("dcGridPower"), yAxisID: "watt", borderColor: "#3498DB", pointRadius: 0 },
      ],
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: { percent: { position: "left", min: 0, max: 100 }, watt: { position: "right", grid: { drawOnChartArea: false } } },
    },
  });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  load().then(() => showError(null), showError);
});
if (ctx.selection.units.length) load().catch(showError);

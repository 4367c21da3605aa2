/**
 * AVAILABILITY: the cluster's and every unit's availability over a period (end date inclusive), computed
 * by the server (/api/staff/downtime/availability); a detail view lists a unit's downtimes. A unit without
 * any record in its period shows "no data" (it counts as down); one outside its window shows "–".
 */
import { apiUrl, ctx, h, localDate, localTime, midnight, remember, showDetail, showError, table } from "./common.js";

const from = document.getElementById("availability-from");
const to = document.getElementById("availability-to");
const weekAgo = new Date(Date.now() - 6 * 86400000);
remember(from, "availability.periodFrom", localDate(weekAgo));
remember(to, "availability.periodTo", localDate(new Date()));

/** `<h> hrs <m> mins <s> secs` without zero parts, `0` for nothing. */
function duration(seconds) {
  const total = Math.round(seconds || 0);
  const parts = [[Math.floor(total / 3600), "hrs"], [Math.floor((total % 3600) / 60), "mins"], [total % 60, "secs"]];
  return parts.filter(([n]) => n).map(([n, unit]) => `${n} ${unit}`).join(" ") || "0";
}
const percent = (ratio) => (ratio === null || ratio === undefined ? "–" : `${(ratio * 100).toFixed(2)} %`);
/** A unit's availability: "no data" when it sent nothing in a non-empty period. */
const unitPercent = (u) => (u.periodSeconds > 0 && u.hasData === false ? "no data" : percent(u.ratio));

async function load() {
  const params = new URLSearchParams({
    communityId: ctx.selection.communityId,
    clusterId: ctx.selection.clusterId,
    datetimeFrom: midnight(from.value).toISOString(),
    datetimeTo: midnight(to.value, 1).toISOString(),
  });
  const response = await fetch(apiUrl("staff/downtime/availability", params), { credentials: "same-origin" });
  const body = await response.text();
  if (!response.ok) throw new Error(body);
  const doc = JSON.parse(body);
  const n = doc.unitCount || 1;
  table(document.getElementById("cluster-availability"), [
    { label: "units", value: (d) => d.unitCount, numeric: true },
    { label: "without data", value: (d) => d.noDataUnitCount, numeric: true },
    { label: "days", value: (d) => `${Math.floor(d.periodSeconds / n / 86400)} days` },
    { label: "average uptime", value: (d) => duration((d.periodSeconds - d.downtimeSeconds) / n) },
    { label: "average downtime", value: (d) => duration(d.downtimeSeconds / n) },
    { label: "availability", value: (d) => d.ratio, text: (d) => percent(d.ratio), numeric: true },
  ], [doc]);
  table(document.getElementById("unit-availability"), [
    { label: "unit", value: (u) => u.name },
    { label: "period", value: (u) => u.periodSeconds, text: (u) => duration(u.periodSeconds) },
    { label: "downtime", value: (u) => u.downtimeSeconds, text: (u) => duration(u.downtimeSeconds) },
    { label: "availability", value: (u) => u.ratio, text: unitPercent, numeric: true },
  ], doc.units, {
    onDetail: (u) => {
      const body = h("div", { className: "scroll" });
      table(body, [
        { label: "down", value: (d) => d.downDateTime, text: (d) => localTime(d.downDateTime) },
        { label: "recovery", value: (d) => d.recoveryDateTime, text: (d) => (d.open ? "(open)" : localTime(d.recoveryDateTime)) },
        { label: "duration", value: (d) => new Date(d.recoveryDateTime) - new Date(d.downDateTime), text: (d) => duration((new Date(d.recoveryDateTime) - new Date(d.downDateTime)) / 1000) },
      ], u.downtimes);
      const window = u.periodFrom ? ` (${localTime(u.periodFrom)} – ${localTime(u.periodTo)})` : "";
      showDetail(`${u.name}${window}`, body);
    },
  });
}

document.getElementById("availability-form").addEventListener("submit", (event) => {
  event.preventDefault();
  load().then(() => showError(null), showError);
});
load().catch(showError);

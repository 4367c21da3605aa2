/**
 * DEAL: the deals of one local day — totals, a by-hour bar chart with the all-time daily average line, a
 * by-unit stacked charge/discharge chart and a sortable table with a detail view per deal. It opens on the
 * day the user chose last; without one on today, or on the newest day with deals of the user when today has
 * none (a former resident).
 */
import { api, ctx, localDate, localTime, midnight, num, remember, showDetail, showError, table, where } from "./common.js";

const Chart = globalThis.Chart;
const form = document.getElementById("deal-form");
const dateInput = document.getElementById("deal-date");
const charts = {};
const DAY_MS = 86400000;

function status(deal) {
  if (deal.scramDateTime) return "scram";
  if (deal.abortDateTime) return "abort";
  return deal.deactivateDateTime ? "ok" : "live";
}

/** Resident: the own unit id shown by its name; counterparts stay masked. */
function unitLabel(id) {
  const unit = ctx.selection.units.find((u) => u.id === id);
  return unit ? unit.name : id || "";
}

function chart(id, config) {
  charts[id]?.destroy();
  charts[id] = new Chart(document.getElementById(id), { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options } });
}

function byHour(deals, allTime, range) {
  const day = new Array(24).fill(0);
  for (const deal of deals) day[new Date(deal.createDateTime).getHours()] += deal.cumulateAmountWh || 0;
  const days = range.min && range.max ? Math.max(1, Math.ceil((new Date(range.max) - new Date(range.min)) / DAY_MS)) : 0;
  const average = day.map((_, hour) => (days ? (allTime[String(hour)] || 0) / days : 0));
  chart("by-hour", {
    data: {
      labels: day.map((_, hour) => String(hour)),
      datasets: [
        { type: "bar", label: "day", data: day, backgroundColor: "#34495E" },
        { type: "line", label: "average", data: average, borderColor: "#E67E22", backgroundColor: "#E67E22" },
      ],
    },
  });
}

function byUnit(deals, dayStart, dayEnd) {
  const units = ctx.selection.units.filter(
    (u) => (!u.available_from || new Date(u.available_from) < dayEnd) && (!u.available_to || new Date(u.available_to) > dayStart)
  );
  const sum = (key, id) => deals.filter((d) => d[key] === id).reduce((total, d) => total + (d.cumulateAmountWh || 0), 0);
  chart("by-unit", {
    type: "bar",
    data: {
      labels: units.map((u) => u.name),
      datasets: [
        { label: "discharge", data: units.map((u) => sum("dischargeUnitId", u.id)), backgroundColor: "#3498DB" },
        { label: "charge", data: units.map((u) => sum("chargeUnitId", u.id)), backgroundColor: "#E74C3C" },
      ],
    },
    options: { indexAxis: "y", scales: { x: { stacked: true }, y: { stacked: true } } },
  });
}

const COLUMNS = [
  { label: "id", value: (d) => d.dealId },
  { label: "discharge unit", value: (d) => unitLabel(d.dischargeUnitId) },
  { label: "charge unit", value: (d) => unitLabel(d.chargeUnitId) },
  { label: "request type", value: (d) => d.type },
  { label: "request Wh", value: (d) => d.requestAmountWh, numeric: true },
  { label: "negotiated Wh", value: (d) => d.dealAmountWh, numeric: true },
  { label: "cumulate Wh", value: (d) => d.cumulateAmountWh, text: (d) => num(d.cumulateAmountWh, 2), numeric: true },
  { label: "status", value: status },
  { label: "start", value: (d) => d.startDateTime, text: (d) => localTime(d.startDateTime) },
  { label: "stop", value: (d) => d.stopDateTime, text: (d) => localTime(d.stopDateTime) },
];

async function aggregate() {
  const from = midnight(dateInput.value);
  const to = midnight(dateInput.value, 1);
  const [deals, range, allTime] = await Promise.all([
    api.deal.list(...where(), from, to, "raw"),
    api.deal.datetimeRange(...where()),
    api.deal.sumOfCumulateAmountWhsByHour(...where()),
  ]);
  const total = deals.reduce((sum, d) => sum + (d.cumulateAmountWh || 0), 0);
  document.getElementById("total-kwh").textContent = (Math.round(total / 10) / 100).toFixed(2);
  document.getElementById("aborted").textContent = deals.filter((d) => d.abortDateTime).length;
  document.getElementById("scrammed").textContent = deals.filter((d) => d.scramDateTime).length;
  byHour(deals, allTime, range);
  byUnit(deals, from, to);
  deals.sort((a, b) => String(a.startDateTime || "").localeCompare(String(b.startDateTime || "")));
  table(document.getElementById("deals"), COLUMNS, deals, { onDetail: (d) => showDetail(`deal ${d.dealId}`, d), pageSize: 50 });
}

/**
 * The day the page opens on when the user has not chosen one: today, or the day of the newest deal the user
 * may see when that is older (a former resident's last day with deals, a cluster that stopped dealing).
 */
async function openingDay() {
  const today = localDate(new Date());
  const range = await api.deal.datetimeRange(...where());
  return range.max && new Date(range.max) < midnight(today) ? localDate(new Date(range.max)) : today;
}

remember(dateInput, "deal.date", "");
form.addEventListener("submit", (event) => {
  event.preventDefault();
  aggregate().then(() => showError(null), showError);
});
const opened = dateInput.value ? Promise.resolve() : openingDay().then((day) => { dateInput.value = day; });
opened.then(aggregate).catch(showError);

/**
 * MONITORING: the six jobs with toggles (POST with CSRF), the open failures refreshed every 30 s and the
 * failures of a period with paging; every failure has a detail view.
 */
import { api, h, localDate, localTime, midnight, poll, remember, showDetail, showError, table, where } from "./common.js";

const jobs = document.getElementById("jobs");

const COLUMNS = [
  { label: "detected", value: (f) => f.detected, text: (f) => localTime(f.detected) },
  { label: "closed", value: (f) => f.closed, text: (f) => localTime(f.closed) },
  { label: "type", value: (f) => f.type },
  { label: "program", value: (f) => f.program_id },
  { label: "unit", value: (f) => f.unit_id },
  { label: "description", value: (f) => f.description },
];
const detail = (f) => showDetail(`failure ${f.id}`, f);

async function loadJobs() {
  const list = await api.monitoring.job.list(...where());
  jobs.replaceChildren(
    ...list.map((job) => {
      const id = `job-${job.type}`;
      const box = h("input", { type: "checkbox", id, name: job.type, checked: job.isActive });
      box.addEventListener("change", () => {
        box.disabled = true;
        const call = box.checked ? api.monitoring.job.activate : api.monitoring.job.deactivate;
        call(...where(), job.type).then(loadJobs, showError).finally(() => (box.disabled = false));
      });
      return h("li", { className: job.isActive ? "active" : "inactive" }, box, h("label", { for: id }, job.type), h("span", { className: "state" }, job.isActive ? " active" : " inactive"));
    })
  );
}

async function loadOpen() {
  const open = await api.monitoring.failure.openList(...where());
  table(document.getElementById("open-failures"), COLUMNS.filter((c) => c.label !== "closed"), open, { onDetail: detail });
}

const from = document.getElementById("failure-from");
const to = document.getElementById("failure-to");
const today = localDate(new Date());
remember(from, "monitoring.periodFrom", today);
remember(to, "monitoring.periodTo", today);

async function loadPeriod() {
  const list = await api.monitoring.failure.list(...where(), midnight(from.value), midnight(to.value, 1));
  table(document.getElementById("failures"), COLUMNS, list, { onDetail: detail, pageSize: 20 });
}

document.getElementById("failure-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadPeriod().then(() => showError(null), showError);
});
loadJobs().catch(showError);
poll(loadOpen, 30000);
loadPeriod().catch(showError);

/**
 * SCENARIO: the scenarios the unit may use, the current one highlighted, choose / un-choose, and the
 * scenario JSON pretty-printed in a detail view.
 */
import { api, h, localTime, showDetail, showError, table, where } from "./common.js";

function pretty(data) {
  try {
    return JSON.stringify(JSON.parse(data), null, 2);
  } catch {
    return String(data);
  }
}

async function load() {
  const [list, current] = await Promise.all([api.scenario.availableList(...where()), api.scenario.current(...where())]);
  const currentId = current && typeof current === "object" ? current.id : null;
  document.getElementById("current-scenario").textContent = currentId ? current.name : "none";
  document.getElementById("unchoose").disabled = !currentId;
  const choose = (scenario) =>
    h("button", { type: "button", disabled: scenario.id === currentId, onclick: () => api.scenario.choose(...where(), scenario.id).then(load).catch(showError) },
      scenario.id === currentId ? "current" : "choose");
  table(document.getElementById("scenarios"), [
    { label: "name", value: (s) => s.name },
    { label: "description", value: (s) => s.description },
    { label: "created", value: (s) => s.created, text: (s) => localTime(s.created) },
    { label: "use", value: (s) => s.id === currentId, text: choose },
  ], list, {
    rowClass: (s) => (s.id === currentId ? "current" : null),
    onDetail: (s) => showDetail(s.name, h("pre", { className: "json" }, pretty(s.data))),
  });
}

document.getElementById("unchoose").addEventListener("click", () => {
  api.scenario.choose(...where(), "").then(load).catch(showError);
});
load().catch(showError);

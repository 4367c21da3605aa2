/**
 * Helpers shared by the pages. Data strings are only ever inserted as text nodes (XSS-safe).
 */

/** The page's context rendered by the server (role, page, selection, and the installation's `urls`). */
export const ctx = JSON.parse(document.getElementById("page-data")?.textContent || "{}");
export const api = globalThis.client;

/**
 * A URL of the JSON API: `path` below the API root the server rendered (`<APIS_URL_PREFIX>/api/`), with
 * `params` (an object or URLSearchParams) as its query. Pages never write absolute paths themselves.
 */
export function apiUrl(path, params) {
  const query = params ? new URLSearchParams(params).toString() : "";
  return `${ctx.urls.api}${path}${query ? `?${query}` : ""}`;
}

/** The selection as the client's positional parameters (staff: community, cluster; resident: + unit). */
export function where() {
  const s = ctx.selection;
  return ctx.role === "staff" ? [s.communityId, s.clusterId] : [s.communityId, s.clusterId, s.unitId];
}

/** Create an element; `attrs` are properties/attributes, children are nodes or strings (as text). */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Show an error message (as text) in the page's alert line; `null` hides it. */
export function showError(error) {
  const line = document.getElementById("error");
  if (!line) return;
  line.hidden = !error;
  line.textContent = error ? String(error.responseText || error.message || error) : "";
}

const pad = (n) => String(n).padStart(2, "0");

/** `YYYY-MM-DD HH:MM:SS` in the browser's zone for an ISO time, "" for none. */
export function localTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${localDate(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `YYYY-MM-DD` of a Date in the browser's zone. */
export function localDate(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Local midnight of a `YYYY-MM-DD` value plus `days`. */
export function midnight(value, days = 0) {
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, d + days);
}

/** Run `task` now and every `ms` milliseconds (errors are shown, polling goes on). */
export function poll(task, ms) {
  const run = () => Promise.resolve().then(task).then(() => showError(null), showError);
  run();
  return setInterval(run, ms);
}

/** Remember a form value per user in localStorage (`key`), restoring it into `input` when present. */
export function remember(input, key, fallback) {
  const name = `apis.${ctx.username}.${key}`;
  input.value = localStorage.getItem(name) || fallback;
  input.addEventListener("change", () => localStorage.setItem(name, input.value));
}

const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Any JSON value as nested <dl>/<ol>, ISO-UTC strings shown as local times. */
export function jsonView(value) {
  if (Array.isArray(value)) return h("ol", null, value.map((item) => h("li", null, jsonView(item))));
  if (value && typeof value === "object") {
    return h("dl", null, Object.entries(value).flatMap(([k, v]) => [h("dt", null, k), h("dd", null, jsonView(v))]));
  }
  if (typeof value === "string" && ISO_Z.test(value)) return localTime(value);
  return value === null ? "null" : String(value);
}

/** Open the detail dialog with `title` and `content` (a node or a JSON value). */
export function showDetail(title, content) {
  const dialog = document.getElementById("detail");
  document.getElementById("detail-title").textContent = title;
  document.getElementById("detail-body").replaceChildren(content instanceof Node ? content : jsonView(content));
  dialog.showModal();
}

/**
 * A sortable table: `columns` = [{label, value(row), text?(row), numeric?}], a `detail` button per row when
 * `onDetail` is given, `pageSize` rows per page with previous/next buttons when set.
 */
export function table(container, columns, rows, { onDetail, pageSize, rowClass, caption } = {}) {
  let sortIndex = -1;
  let ascending = true;
  let pageNo = 0;
  const render = () => {
    const sorted = rows.slice();
    if (sortIndex >= 0) {
      const column = columns[sortIndex];
      sorted.sort((a, b) => {
        const x = column.value(a);
        const y = column.value(b);
        const order = x === y ? 0 : x === undefined || x === null ? -1 : y === undefined || y === null ? 1 : x < y ? -1 : 1;
        return ascending ? order : -order;
      });
    }
    const pages = pageSize ? Math.max(1, Math.ceil(sorted.length / pageSize)) : 1;
    pageNo = Math.min(pageNo, pages - 1);
    const shown = pageSize ? sorted.slice(pageNo * pageSize, (pageNo + 1) * pageSize) : sorted;
    const head = columns.map((column, i) =>
      h("th", { scope: "col", "aria-sort": i === sortIndex ? (ascending ? "ascending" : "descending") : null },
        h("button", { type: "button", onclick: () => { ascending = i === sortIndex ? !ascending : true; sortIndex = i; render(); } }, column.label)));
    if (onDetail) head.push(h("th", { scope: "col" }, "detail"));
    const body = shown.map((row) => {
      const cells = columns.map((column) => h("td", { className: column.numeric ? "num" : null },
        column.text ? column.text(row) : column.value(row) ?? ""));
      if (onDetail) cells.push(h("td", null, h("button", { type: "button", onclick: () => onDetail(row) }, "detail…")));
      return h("tr", { className: rowClass ? rowClass(row) : null }, cells);
    });
    const parts = [h("div", { className: "scroll" }, h("table", null, caption ? h("caption", null, caption) : null,
      h("thead", null, h("tr", null, head)), h("tbody", null, body)))];
    if (pageSize) {
      parts.push(h("p", { className: "pager" },
        h("button", { type: "button", disabled: pageNo === 0, onclick: () => { pageNo -= 1; render(); } }, "previous"),
        ` page ${pageNo + 1} of ${pages} (${rows.length} rows) `,
        h("button", { type: "button", disabled: pageNo >= pages - 1, onclick: () => { pageNo += 1; render(); } }, "next")));
    }
    container.replaceChildren(...parts);
  };
  render();
}

/** Round to `digits` decimals for display, "" for non-numbers. */
export function num(value, digits = 0) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "";
}

// The episodes table: sortable, filterable, a thumbnail per camera, episodes marked for deletion.
"use strict";
const state = {rows: [], sortKey: "index", asc: true, marked: new Set(), about: null};
const columns = [["index", "Episode"], ["task", "Task"], ["length", "Length"], ["success", "Success"],
                 ["tags", "Tags"], ["notes", "Notes"]];

function value(row, key) {
  if (key === "task") return row.tasks.join(", ");
  if (key === "tags") return row.tags.join(", ");
  if (key === "success") return row.success === null ? "" : String(row.success);
  return row[key] ?? "";
}

function visible() {
  const text = document.getElementById("filter").value.trim().toLowerCase();
  const label = document.getElementById("success-filter").value;
  return state.rows.filter(row => {
    if (label === "true" && row.success !== true) return false;
    if (label === "false" && row.success !== false) return false;
    if (label === "unset" && row.success !== null) return false;
    if (!text) return true;
    const hay = [String(row.index), ...row.tasks, ...row.tags, row.notes || ""].join(" ").toLowerCase();
    return hay.includes(text);
  }).sort((a, b) => {
    const x = value(a, state.sortKey), y = value(b, state.sortKey);
    const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
    return state.asc ? order : -order;
  });
}

function render() {
  const head = document.getElementById("head");
  head.replaceChildren();
  for (const [key, title] of columns) {
    const th = el("th", {"data-sort": key, onclick: () => {
      state.asc = state.sortKey === key ? !state.asc : true; state.sortKey = key; render(); }}, title);
    if (state.sortKey === key) th.className = state.asc ? "sorted-asc" : "sorted-desc";
    head.append(th);
  }
  const streams = state.about.review.streams;
  for (const s of streams) head.append(el("th", {}, shortKey(s.key)));
  if (!state.about.read_only) head.append(el("th", {}, "Delete"));
  const body = document.querySelector("#episodes tbody");
  body.replaceChildren();
  const rows = visible();
  for (const row of rows) {
    const tr = el("tr", {"data-episode": row.index, class: state.marked.has(row.index) ? "marked" : ""},
      el("td", {}, el("a", {href: `/episodes/${row.index}`}, `#${row.index}`)),
      el("td", {}, row.tasks.join(", ")), el("td", {}, row.length),
      el("td", {class: row.success === true ? "ok" : row.success === false ? "bad" : ""}, successText(row.success)),
      el("td", {}, row.tags.join(", ")), el("td", {}, row.notes || ""));
    for (const s of streams) {
      tr.append(el("td", {}, el("img", {class: "thumb", loading: "lazy", alt: shortKey(s.key),
        src: `/api/episodes/${row.index}/thumbnail/${encodeURIComponent(s.key)}`})));
    }
    if (!state.about.read_only) {
      const box = el("input", {type: "checkbox", class: "mark", onchange: () => {
        if (box.checked) state.marked.add(row.index); else state.marked.delete(row.index);
        render(); }});
      box.checked = state.marked.has(row.index);
      tr.append(el("td", {}, box));
    }
    body.append(tr);
  }
  document.getElementById("count").textContent = `${rows.length} of ${state.rows.length} episodes`;
  const apply = document.getElementById("apply-delete");
  apply.disabled = state.marked.size === 0;
  apply.textContent = `apply deletion (${state.marked.size} marked)`;
}

async function applyDeletion() {
  const episodes = [...state.marked].sort((a, b) => a - b);
  const result = document.getElementById("delete-result");
  result.textContent = "writing...";
  try {
    const done = await api("/api/delete", {episodes});
    result.textContent = `wrote ${done.output}: ${done.episodes} episodes, without ${done.deleted.join(", ")}`;
    state.marked.clear();
    render();
  } catch (err) { result.textContent = `not applied: ${err.message}`; result.className = "warn"; }
}

async function main() {
  state.about = await api("/api/about");
  const r = state.about.review;
  document.getElementById("dataset").textContent = `${r.name}: ${r.episodes} episodes, ${r.frames} frames at ${r.fps} fps` +
    (state.about.read_only ? " (read-only)" : "");
  document.getElementById("live-link").hidden = !state.about.live;
  const panel = document.getElementById("delete-panel");
  panel.hidden = state.about.read_only;
  document.getElementById("delete-output").textContent = r.output ? `writes a new dataset to ${r.output}; the source stays as it is` :
    "start lerec review with --output OUT to apply deletions";
  document.getElementById("apply-delete").addEventListener("click", applyDeletion);
  document.getElementById("filter").addEventListener("input", render);
  document.getElementById("success-filter").addEventListener("change", render);
  state.rows = await api("/api/episodes");
  render();
  document.body.dataset.ready = "1";
}
main().catch(err => { document.body.append(el("p", {class: "warn"}, err.message)); });

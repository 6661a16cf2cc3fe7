// The live session: each camera's newest frame a few times a second, the timer, counts and warnings; the
// buttons do what the keys do.
"use strict";
const FRAME_MS = 250, STATUS_MS = 500;
const shownStreams = new Set();

function refreshFrame(img) {
  const next = () => setTimeout(() => refreshFrame(img), FRAME_MS);
  const probe = new Image();
  probe.onload = () => { img.src = probe.src; img.dataset.frames = Number(img.dataset.frames || 0) + 1; next(); };
  probe.onerror = next;
  probe.src = `/api/live/frames/${encodeURIComponent(img.dataset.key)}?t=${Date.now()}`;
}

function showStatus(s) {
  document.getElementById("phase").textContent = s.phase;
  document.getElementById("timer").textContent =
    `${(s.tick / Math.max(1, s.fps)).toFixed(1)} s / ${(s.length / Math.max(1, s.fps)).toFixed(1)} s`;
  document.getElementById("episode").textContent = s.episode_index;
  document.getElementById("saved").textContent = s.saved;
  document.getElementById("total").textContent = s.episodes;
  document.getElementById("warnings").replaceChildren(...s.warnings.map(w => el("li", {}, w)));
  const body = document.querySelector("#stream-table tbody");
  body.replaceChildren(...s.streams.map(st => el("tr", {},
    el("td", {}, shortKey(st.key)), el("td", {}, st.frames), el("td", {}, st.queue), el("td", {}, st.spilled),
    el("td", {}, `${st.age_s.toFixed(2)} s`))));
  for (const st of s.streams) {
    if (shownStreams.has(st.key) || !st.image) continue;
    shownStreams.add(st.key);
    const img = el("img", {"data-key": st.key, alt: st.key});
    document.getElementById("streams").append(el("div", {class: "stream"}, img, el("span", {}, shortKey(st.key))));
    refreshFrame(img);
  }
  for (const b of document.querySelectorAll("#buttons button")) b.disabled = s.read_only || s.phase === "ended";
}

async function poll() {
  try { showStatus(await api("/api/live/status")); document.body.dataset.ready = "1"; }
  catch (err) { document.getElementById("phase").textContent = `no session: ${err.message}`; }
  setTimeout(poll, STATUS_MS);
}

for (const name of ["next", "rerecord", "stop", "success", "failure"]) {
  document.getElementById(name).addEventListener("click", async () => {
    const out = document.getElementById("command-result");
    try { out.textContent = (await api("/api/live/command", {command: name})).done; }
    catch (err) { out.textContent = err.message; }
  });
}
document.addEventListener("keydown", ev => {
  const keys = {ArrowRight: "next", n: "next", ArrowLeft: "rerecord", r: "rerecord", q: "stop", Escape: "stop"};
  if (keys[ev.key]) document.getElementById(keys[ev.key]).click();
});
poll();

// One episode: every camera in sync (the first video leads, the others follow it), depth and image streams as
// frames fetched for the frame shown, state/action plotted with a cursor, keys to step frames, the label form.
"use strict";
const E = Number(location.pathname.split("/").pop());
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
let ep, videos = [], images = [], plots = [], success = null, shown = -1;

function frameAt(t) { return Math.max(0, Math.min(ep.length - 1, Math.floor(t * ep.fps + 1e-3))); }
function lead() { return videos[0]; }
function now() { return lead() ? lead().currentTime - lead().offset : clock.t; }  // offset: a whole file's start
const clock = {t: 0, playing: false, last: 0};  // the time when no stream is a video

function seekFrame(i) {
  i = Math.max(0, Math.min(ep.length - 1, i));
  const t = (i + 0.5) / ep.fps;  // the middle of the frame's time: never the one before it
  pause();
  for (const v of videos) v.currentTime = t + v.offset;
  clock.t = t;
  update();
}
function playing() { return lead() ? !lead().paused : clock.playing; }
function play() {
  if (frameAt(now()) >= ep.length - 1) seekFrame(0);
  for (const v of videos) v.play().catch(() => {});
  clock.playing = true; clock.last = performance.now();
  document.getElementById("play").textContent = "pause";
}
function pause() {
  for (const v of videos) v.pause();
  clock.playing = false;
  document.getElementById("play").textContent = "play";
}

function update() {
  const t = now();
  for (const v of videos.slice(1)) {  // followers: a hard seek when they drift
    if (Math.abs(v.currentTime - v.offset - t) > (playing() ? 0.1 : 0.25 / ep.fps)) v.currentTime = t + v.offset;
    if (playing() && v.paused) v.play().catch(() => {});
  }
  const i = frameAt(t);
  if (i === shown) return;
  shown = i;
  document.getElementById("frame").textContent = i;
  document.getElementById("seek").value = i;
  for (const img of images) loadFrame(img, i);
  for (const p of plots) drawCursor(p, i);
}

function loadFrame(img, i) {
  img.dataset.want = i;
  if (img.dataset.busy === "1") return;  // the newest wanted frame is fetched when this one arrives
  img.dataset.busy = "1";
  img.src = `/api/episodes/${E}/frames/${encodeURIComponent(img.dataset.key)}/${i}`;
}

function tick(stamp) {
  if (!lead() && clock.playing) {
    clock.t += (stamp - clock.last) / 1000; clock.last = stamp;
    if (clock.t >= ep.length / ep.fps) { clock.t = (ep.length - 0.5) / ep.fps; pause(); }
  }
  if (lead() && (lead().ended || (playing() && now() >= ep.length / ep.fps))) pause();
  update();
  requestAnimationFrame(tick);
}

function makePlot(key, series) {
  const canvas = el("canvas", {class: "plot", width: 660, height: 140, "data-key": key});
  const legend = el("div", {class: "muted"}, `${key}: `,
    ...series.names.map((n, k) => el("span", {style: `color:${COLOURS[k % COLOURS.length]}`}, `${n} `)));
  document.getElementById("plots").append(legend, canvas);
  const base = document.createElement("canvas");
  base.width = canvas.width; base.height = canvas.height;
  const g = base.getContext("2d"), values = series.values;
  const flat = values.flat(), lo = Math.min(...flat), hi = Math.max(...flat), span = hi - lo || 1;
  const x = i => 4 + (canvas.width - 8) * i / Math.max(1, values.length - 1);
  const y = v => canvas.height - 6 - (canvas.height - 12) * (v - lo) / span;
  for (let k = 0; k < series.names.length; k++) {
    g.strokeStyle = COLOURS[k % COLOURS.length]; g.beginPath();
    values.forEach((row, i) => i ? g.lineTo(x(i), y(row[k])) : g.moveTo(x(i), y(row[k])));
    g.stroke();
  }
  const plot = {canvas, base, x};
  plots.push(plot);
  drawCursor(plot, 0);
}
function drawCursor(p, i) {
  const g = p.canvas.getContext("2d");
  g.clearRect(0, 0, p.canvas.width, p.canvas.height);
  g.drawImage(p.base, 0, 0);
  g.strokeStyle = "#000"; g.beginPath(); g.moveTo(p.x(i), 0); g.lineTo(p.x(i), p.canvas.height); g.stroke();
  p.canvas.dataset.cursor = i;
}

function showLabel(label) {
  success = label.success;
  for (const [id, v] of [["mark-success", true], ["mark-failure", false], ["mark-unset", null]])
    document.getElementById(id).classList.toggle("on", success === v);
  document.getElementById("tags").value = (label.tags || []).join(", ");
  document.getElementById("notes").value = label.notes || "";
}
async function saveLabel() {
  const status = document.getElementById("label-status");
  const tags = document.getElementById("tags").value.split(",").map(t => t.trim()).filter(Boolean);
  const notes = document.getElementById("notes").value;
  try {
    showLabel(await api(`/api/episodes/${E}/label`, {success, tags, notes: notes || null}));
    status.textContent = "saved"; status.className = "ok";
  } catch (err) { status.textContent = err.message; status.className = "warn"; }
}

async function main() {
  const about = await api("/api/about");
  ep = await api(`/api/episodes/${E}`);
  document.getElementById("title").textContent = `episode ${E}`;
  document.getElementById("task").textContent = ep.tasks.join(", ");
  document.getElementById("length").textContent = ep.length;
  document.getElementById("prev").href = `/episodes/${Math.max(0, E - 1)}`;
  document.getElementById("next").href = `/episodes/${Math.min(about.review.episodes - 1, E + 1)}`;
  const seek = document.getElementById("seek");
  seek.max = ep.length - 1;
  seek.addEventListener("input", () => seekFrame(Number(seek.value)));
  for (const s of ep.streams) {
    const box = el("div", {class: "stream"});
    if (s.as === "video") {
      const v = el("video", {muted: "", playsinline: "", preload: "auto", "data-key": s.key,
        src: `/api/episodes/${E}/video/${encodeURIComponent(s.key)}`});
      v.muted = true;
      v.offset = ep.offsets[s.key] || 0;
      if (v.offset) v.addEventListener("loadedmetadata", () => { v.currentTime = v.offset; }, {once: true});
      videos.push(v); box.append(v);
    } else {
      const img = el("img", {"data-key": s.key, alt: s.key});
      img.addEventListener("load", () => {
        img.dataset.busy = "0"; img.dataset.shown = img.src.split("/").pop();
        if (img.dataset.want !== img.dataset.shown) loadFrame(img, Number(img.dataset.want));
      });
      img.addEventListener("error", () => { img.dataset.busy = "0"; });
      images.push(img); box.append(img);
    }
    box.append(el("span", {}, `${shortKey(s.key)} (${s.kind})`));
    document.getElementById("streams").append(box);
  }
  for (const [key, series] of Object.entries(ep.series)) makePlot(key, series);
  document.getElementById("play").addEventListener("click", () => playing() ? pause() : play());
  document.addEventListener("keydown", ev => {
    if (ev.target.tagName === "INPUT" || ev.target.tagName === "TEXTAREA") return;
    if (ev.key === "ArrowRight" || ev.key === ".") { seekFrame(frameAt(now()) + 1); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft" || ev.key === ",") { seekFrame(frameAt(now()) - 1); ev.preventDefault(); }
    else if (ev.key === " ") { playing() ? pause() : play(); ev.preventDefault(); }
  });
  const panel = document.getElementById("label-panel");
  panel.hidden = about.read_only;
  document.getElementById("mark-success").addEventListener("click", () => showLabel({...current(), success: true}));
  document.getElementById("mark-failure").addEventListener("click", () => showLabel({...current(), success: false}));
  document.getElementById("mark-unset").addEventListener("click", () => showLabel({...current(), success: null}));
  document.getElementById("save-label").addEventListener("click", saveLabel);
  showLabel(ep);
  for (const img of images) loadFrame(img, 0);
  requestAnimationFrame(tick);
  document.body.dataset.ready = "1";
}
function current() {
  return {success, tags: document.getElementById("tags").value.split(",").map(t => t.trim()).filter(Boolean),
          notes: document.getElementById("notes").value};
}
main().catch(err => { document.body.append(el("p", {class: "warn"}, err.message)); });

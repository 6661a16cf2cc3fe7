// Shared by the pages: JSON requests (writes carry the header the server asks of the app's own pages).
"use strict";
async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", body: JSON.stringify(body),
    headers: {"Content-Type": "application/json", "X-Lerec-Request": "1"}};
  const res = await fetch(path, opts);
  const text = await res.text();
  if (!res.ok) throw new Error(text || res.statusText);
  return text ? JSON.parse(text) : null;
}
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}
function successText(value) { return value === true ? "success" : value === false ? "failure" : ""; }
function shortKey(key) { return key.replace(/^observation\.images\./, ""); }

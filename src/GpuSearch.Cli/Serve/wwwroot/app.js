// The search page: pick, drop or paste an image → POST /search; click a result → search by its id ("more like
// this"). The Duplicates tab shows GET /duplicates groups side by side; clicking a member searches by it. Plain JS, no build step, no network beyond this server. With an API key, images are fetched with the
// key header and shown from blob URLs, since <img src> cannot send headers.
"use strict";
const $ = (id) => document.getElementById(id);
let lastQuery = null; // { kind: "image", file } or { kind: "id", id, path }
// Answers can arrive out of order (a slow first duplicates scan compiling its kernels, a quick second one): each
// request takes a turn, and only the newest turn may draw its answer.
function turns() { let newest = 0; return () => { const mine = ++newest; return () => mine === newest; }; }
const searchTurn = turns(), duplicatesTurn = turns();
const blobUrls = [];

function apiKey() { return $("api-key").value.trim(); }
function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (apiKey()) h["X-Api-Key"] = apiKey();
  return h;
}

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").classList.toggle("error", !!isError);
}

async function api(path, init) {
  const r = await fetch(path, Object.assign({}, init, { headers: headers(init && init.headers) }));
  if (!r.ok) {
    let message = r.status + " " + r.statusText;
    try { const e = await r.json(); if (e.error) message = e.error; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return r;
}

function queryString() {
  const k = parseInt($("k").value, 10) || 24;
  const minScore = parseFloat($("min-score").value);
  const q = new URLSearchParams({ k: String(k) });
  if (!Number.isNaN(minScore)) q.set("min_score", String(minScore));
  return q.toString();
}

async function setImage(img, url, urls) {
  if (!apiKey()) { img.src = url; return; }
  const r = await api(url);
  const blobUrl = URL.createObjectURL(await r.blob());
  (urls || blobUrls).push(blobUrl);
  img.src = blobUrl;
}

function resultItem(hit, urls) {
  const li = document.createElement("li");
  li.className = "result";
  li.dataset.id = hit.id;
  const button = document.createElement("button");
  button.type = "button";
  const name = hit.path.split("/").pop();
  button.setAttribute("aria-label", "Search for images like " + name + " (score " + hit.score.toFixed(4) + ")");
  const img = document.createElement("img");
  img.alt = name;
  img.loading = "lazy";
  setImage(img, "/thumbs/" + hit.id, urls).catch(() => { img.alt = name + " (thumbnail unavailable)"; });
  button.appendChild(img);
  button.addEventListener("click", () => searchById(hit.id, hit.path));
  const score = document.createElement("span");
  score.className = "score";
  score.textContent = hit.score.toFixed(4);
  const link = document.createElement("a");
  link.href = "/images/" + hit.id;
  link.target = "_blank";
  link.rel = "noopener";
  link.className = "path";
  link.textContent = name;
  link.title = hit.path;
  link.addEventListener("click", async (e) => {
    if (!apiKey()) return; // a plain link works without a key
    e.preventDefault();
    const r = await api("/images/" + hit.id);
    window.open(URL.createObjectURL(await r.blob()), "_blank", "noopener");
  });
  li.append(button, score, link);
  return li;
}

function showResults(answer, label) {
  blobUrls.splice(0).forEach((u) => URL.revokeObjectURL(u));
  const list = $("results");
  list.replaceChildren(...answer.results.map((hit) => resultItem(hit)));
  setStatus(answer.results.length + " results for " + label + " in " + answer.took_ms.toFixed(0) + " ms");
  $("again").disabled = false;
}

async function run(label, fetchAnswer) {
  const current = searchTurn();
  setStatus("Searching…");
  try {
    const answer = await (await fetchAnswer()).json();
    if (current()) showResults(answer, label);
  } catch (e) {
    if (current()) setStatus("Search failed: " + e.message, true);
  }
}

function showQuery(src, caption) {
  $("query").hidden = false;
  $("query-caption").textContent = caption;
  return setImage($("query-image"), src).catch(() => {});
}

function searchByFile(file) {
  if (!file) return;
  lastQuery = { kind: "image", file };
  $("query").hidden = false;
  $("query-image").src = URL.createObjectURL(file);
  $("query-caption").textContent = file.name || "pasted image";
  const form = new FormData();
  form.append("image", file, file.name || "pasted");
  return run(file.name || "the pasted image", () => api("/search?" + queryString(), { method: "POST", body: form }));
}

function searchById(id, path) {
  showTab("results");
  lastQuery = { kind: "id", id, path };
  const name = path.split("/").pop();
  showQuery("/thumbs/" + id, "More like " + name + " (#" + id + ")");
  return run(name + " (#" + id + ")", () => api("/search?" + queryString(), {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ id }),
  }));
}

async function loadStats() {
  try {
    const s = await (await api("/stats")).json();
    $("stats").textContent = s.count + " images · " + s.model + " · " + s.device + (s.read_only ? " · read-only" : "");
  } catch (e) {
    $("stats").textContent = "stats unavailable: " + e.message;
  }
}

// Views: a tab list (arrow keys move between tabs, Enter or Space or a click opens one).
const dupBlobUrls = [];
let duplicatesLoaded = false;

function showTab(name) {
  ["results", "duplicates"].forEach((t) => {
    const selected = t === name;
    $("tab-" + t).setAttribute("aria-selected", String(selected));
    $("tab-" + t).tabIndex = selected ? 0 : -1;
    $("panel-" + t).hidden = !selected;
  });
  if (name === "duplicates" && !duplicatesLoaded) loadDuplicates();
}

function groupItem(group, index) {
  const li = document.createElement("li");
  li.className = "group";
  const best = new Map();
  group.pairs.forEach((p) => [p.a, p.b].forEach((id) => best.set(id, Math.max(best.get(id) ?? -1, p.score))));
  const heading = document.createElement("h3");
  const identical = group.pairs.filter((p) => p.identical).length;
  heading.textContent = "Group " + (index + 1) + " · " + group.members.length + " images"
    + (identical ? " · " + identical + " identical file pair" + (identical > 1 ? "s" : "") : "");
  const members = document.createElement("ul");
  members.className = "members";
  // Each member's score is its highest similarity to another member of the group.
  members.replaceChildren(...group.members.map((m) => resultItem({ id: m.id, path: m.path, score: best.get(m.id) ?? 0 }, dupBlobUrls)));
  li.append(heading, members);
  return li;
}

async function loadDuplicates() {
  const current = duplicatesTurn();
  const threshold = parseFloat($("dup-threshold").value);
  $("dup-status").textContent = "Finding duplicates…";
  $("dup-status").classList.remove("error");
  try {
    const answer = await (await api("/duplicates?" + new URLSearchParams({ threshold: String(Number.isNaN(threshold) ? 0.9 : threshold) }))).json();
    if (!current()) return;
    dupBlobUrls.splice(0).forEach((u) => URL.revokeObjectURL(u));
    $("groups").replaceChildren(...answer.groups.map(groupItem));
    duplicatesLoaded = true;
    const n = answer.groups.length;
    $("dup-status").textContent = n + " group" + (n === 1 ? "" : "s") + " of near-duplicates among " + answer.items
      + " images (cosine above " + answer.threshold + ")" + (answer.truncated_items ? "; " + answer.truncated_items + " images had more neighbours than listed" : "");
  } catch (e) {
    if (!current()) return;
    $("dup-status").textContent = "Finding duplicates failed: " + e.message;
    $("dup-status").classList.add("error");
  }
}

function init() {
  const drop = $("drop");
  $("api-key").value = sessionStorage.getItem("gpusearch-api-key") || "";
  $("api-key").addEventListener("change", () => { sessionStorage.setItem("gpusearch-api-key", apiKey()); loadStats(); });
  $("file").addEventListener("change", (e) => searchByFile(e.target.files[0]));
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
  drop.addEventListener("drop", (e) => { e.preventDefault(); searchByFile(e.dataTransfer.files[0]); });
  document.addEventListener("paste", (e) => {
    const item = Array.from(e.clipboardData ? e.clipboardData.items : []).find((i) => i.type.startsWith("image/"));
    if (item) { e.preventDefault(); searchByFile(item.getAsFile()); }
  });
  $("options").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!lastQuery) return;
    if (lastQuery.kind === "image") searchByFile(lastQuery.file);
    else searchById(lastQuery.id, lastQuery.path);
  });
  ["results", "duplicates"].forEach((t, i, all) => {
    $("tab-" + t).addEventListener("click", () => showTab(t));
    $("tab-" + t).addEventListener("keydown", (e) => {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      const next = all[(i + (e.key === "ArrowRight" ? 1 : all.length - 1)) % all.length];
      showTab(next);
      $("tab-" + next).focus();
    });
  });
  $("dup-options").addEventListener("submit", (e) => { e.preventDefault(); loadDuplicates(); });
  loadStats();
}

init();

// The dashboard reads the REST API with the operator's token (kept in this
// browser's localStorage only) and refreshes every five seconds.
"use strict";

const $ = (sel) => document.querySelector(sel);
let token = localStorage.getItem("cofferToken") || "";

// A link like http://127.0.0.1:8080/#token=cft1_... logs in: the fragment
// never reaches the server, and it is removed from the address bar at once.
if (location.hash.startsWith("#token=")) {
  token = decodeURIComponent(location.hash.slice("#token=".length));
  localStorage.setItem("cofferToken", token);
  history.replaceState(null, "", location.pathname);
}

$("#login").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("#token").value.trim();
  localStorage.setItem("cofferToken", token);
  $("#token").value = "";
  refresh();
});

async function api(path) {
  const res = await fetch(path, { headers: { Authorization: "Bearer " + token } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || body.success === false) {
    const msg = body.error ? body.error.message : res.statusText;
    throw new Error(path + ": " + msg);
  }
  return body.data || {};
}

function text(v) { return v === undefined || v === null ? "" : String(v); }

function cell(tr, value, cls) {
  const td = document.createElement("td");
  td.textContent = text(value);
  if (cls) td.className = cls;
  tr.appendChild(td);
}

function fill(id, rows, columns) {
  const body = $(id + " tbody");
  body.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const col of columns) {
      const [value, cls] = col(row);
      cell(tr, value, cls);
    }
    body.appendChild(tr);
  }
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    cell(tr, "none", "muted");
    body.appendChild(tr);
  }
}

function bytes(n) {
  n = Number(n || 0);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + " " + units[i];
}

function when(ts) { return ts ? new Date(ts).toLocaleString() : ""; }

function card(label, value, cls) {
  const d = document.createElement("div");
  d.className = "card";
  const b = document.createElement("b");
  b.textContent = text(value);
  if (cls) b.className = cls;
  d.append(b, label);
  return d;
}

// walSummary is the archived WAL range per timeline, flagged when
// segments are missing (point-in-time recovery cannot cross a gap).
function walSummary(w) {
  if (!w || !w.reportedAt) return [""];
  const tls = (w.timelines || []).filter((t) => t.lastSegment)
    .map((t) => "TL" + t.timeline + " " + t.firstSegment.slice(8) + "–" + t.lastSegment.slice(8) + " (" + t.segmentCount + ")");
  const gaps = w.gapCount || 0;
  return gaps ? [tls.join(", ") + " — " + gaps + (gaps > 1 ? " gaps!" : " gap!"), "failed"] : [tls.join(", ")];
}

async function refresh() {
  if (!token) {
    $("#status").textContent = "Paste an API token (coffer dev writes one to .coffer/admin.token).";
    return;
  }
  try {
    const [backups, agents, schedules, sources] = await Promise.all([
      api("/api/backups?limit=25"), api("/api/agents"), api("/api/backup-schedules"), api("/api/sources"),
    ]);
    const list = backups.backups || [];
    const failed = list.filter((b) => b.status === "failed").length;
    const running = list.filter((b) => b.status === "running" || b.status === "pending").length;
    const lastOk = list.find((b) => b.status === "completed");
    $("#summary").replaceChildren(
      card("backups", backups.total ?? list.length),
      card("running", running, running ? "running" : ""),
      card("failed (recent)", failed, failed ? "failed" : ""),
      card("last success", lastOk ? when(lastOk.completedAt) : "never", lastOk ? "" : "failed"),
      card("agents", (agents.agents || []).length),
    );
    fill("#backups", list, [
      (b) => [b.sourceName], (b) => [b.type], (b) => [b.status, b.status],
      (b) => [when(b.startedAt)], (b) => [b.durationSeconds ? b.durationSeconds.toFixed(1) + " s" : ""],
      (b) => [bytes(b.sizeBytes)], (b) => [bytes(b.storedBytes)],
      (b) => [b.error || (b.progress ? (b.progress.phase || "") + " " + Math.round(b.progress.percent || 0) + "%" : "")],
    ]);
    fill("#agents", agents.agents || [], [
      (a) => [a.name], (a) => [a.status, a.status], (a) => [a.version], (a) => [when(a.lastSeen)],
    ]);
    fill("#schedules", schedules.schedules || [], [
      (s) => [s.name], (s) => [s.cronExpression], (s) => [s.timezone], (s) => [s.enabled ? "yes" : "no"], (s) => [when(s.nextRun)],
    ]);
    const agentNames = new Map((agents.agents || []).map((a) => [a.id, a.name]));
    const srcs = sources.sources || [];
    const wal = new Map(await Promise.all(srcs.filter((s) => s.type === "postgres")
      .map(async (s) => [s.id, await api("/api/sources/" + encodeURIComponent(s.id) + "/wal").catch(() => null)])));
    fill("#sources", srcs, [(s) => [s.name], (s) => [s.type], (s) => [agentNames.get(s.agentId) || s.agentId],
      (s) => walSummary(wal.get(s.id))]);
    $("#status").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (err) {
    $("#status").textContent = err.message;
  }
}

refresh();
setInterval(refresh, 5000);

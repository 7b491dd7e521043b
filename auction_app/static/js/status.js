// Service status in plain words, from /ready, and the latest announcement (/api/status; live for members).

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 30000;

function words(body) {
  const database = body.database === "connected" ? "Working" : "Not working right now";
  const redis = body.redis === "connected" ? "Working" : "Not working right now";
  const workers = body.workers > 0 ? "Working" : "Delayed: auction clocks and emails may be slow";
  return { database, redis, workers };
}

function summary(body) {
  if (body.status === "healthy") return "Everything is working normally.";
  if (body.status === "degraded") return "The site is up, but auction clocks and emails may be delayed.";
  return "Part of the service isn't working right now. We're on it; please try again in a few minutes.";
}

function show(body) {
  const text = words(body);
  $("status-database").textContent = text.database;
  $("status-redis").textContent = text.redis;
  $("status-workers").textContent = text.workers;
  $("status-summary").textContent = summary(body);
  $("status-summary").dataset.status = body.status || "unhealthy";
  $("status-checked").textContent = new Date().toLocaleTimeString();
}

function showAnnouncement(announcement) {
  if (!announcement) return;
  $("announcement").textContent = announcement.message;
  $("announcement").dataset.level = announcement.level || "info";
}

async function check() {
  try {
    const response = await fetch($("status").dataset.readyUrl, { headers: { Accept: "application/json" } });
    show(await response.json());
    const status = await fetch("/api/status", { headers: { Accept: "application/json" } });
    if (status.ok) showAnnouncement((await status.json()).announcement);
  } catch {
    show({ status: "unreachable", database: "?", redis: "?", workers: 0 });
    $("status-summary").textContent = "We couldn't reach the service. Check your connection, or try again shortly.";
  }
}

function listenForAnnouncements() {
  if (!window.io || !document.querySelector(".nav-account")) return; // only signed-in members connect
  const socket = window.io({ transports: ["websocket", "polling"] });
  socket.on("announcement", showAnnouncement);
}

check();
setInterval(check, REFRESH_MS);
listenForAnnouncements();

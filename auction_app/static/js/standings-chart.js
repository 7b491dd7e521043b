// The season chart on the standings page: each member's points (or rank) after every
// match day, drawn with Chart.js (served by the app from static/vendor, never a CDN),
// with the same numbers as a table for anyone who would rather read.
import { seriesColour, tableFrom } from "./charts.js";

const card = document.getElementById("season-card");
const leagueId = document.getElementById("standings-page").dataset.leagueId;
let data = JSON.parse(document.getElementById("season-data").textContent);
let showing = "points";
let chart = null;

function draw() {
  card.hidden = !data.days.length;
  if (!data.days.length || !window.Chart) return;
  const datasets = data.members.map((m, i) => ({
    label: m.name, data: m[showing], borderColor: seriesColour(i), backgroundColor: seriesColour(i), tension: 0.2,
  }));
  const options = {
    responsive: true, maintainAspectRatio: false, animation: false,
    scales: { y: showing === "rank" ? { reverse: true, min: 1, ticks: { stepSize: 1 } } : { beginAtZero: true } },
    plugins: { legend: { position: "bottom" } },
  };
  if (chart) chart.destroy();
  chart = new window.Chart(document.getElementById("season-chart"), { type: "line", data: { labels: data.days, datasets }, options });
  document.getElementById("season-chart").setAttribute("aria-label",
    `Each member's ${showing} after every match day, ${data.days[0]} to ${data.days[data.days.length - 1]}`);
  tableFrom(document.getElementById("season-table"), ["Member", ...data.days],
    data.members.map((m) => [m.name, ...m[showing]]));
}

card.querySelector(".chart-tabs").addEventListener("click", (event) => {
  const button = event.target.closest("[data-season]");
  if (!button) return;
  showing = button.dataset.season;
  for (const other of card.querySelectorAll("[data-season]")) {
    const on = other === button;
    other.setAttribute("aria-pressed", String(on));
    other.classList.toggle("primary", on);
  }
  draw();
});

window.addEventListener("standings-updated", async () => {
  try {
    const response = await fetch(`/leagues/${encodeURIComponent(leagueId)}/standings/season.json`, { credentials: "same-origin" });
    if (response.ok) { data = await response.json(); draw(); }
  } catch { /* the table is already up to date; the chart catches up on the next update */ }
});

draw();

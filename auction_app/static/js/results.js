// The results page: bid times in the member's own time zone, the price ladders and the
// value-for-money chart (Chart.js from static/vendor; the same numbers are in tables).
import { seriesColour } from "./charts.js";

for (const node of document.querySelectorAll("time[data-local-time]")) {
  const at = new Date(node.getAttribute("datetime"));
  if (!Number.isNaN(at.getTime())) {
    node.textContent = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
}

const source = document.getElementById("results-data");
const data = source ? JSON.parse(source.textContent) : null;
const common = { responsive: true, maintainAspectRatio: false, animation: false };

if (data && window.Chart && data.ladders.length) {
  const longest = Math.max(...data.ladders.map((l) => l.steps.length));
  new window.Chart(document.getElementById("ladder-chart"), {
    type: "line",
    data: {
      labels: Array.from({ length: longest }, (_, i) => `Bid ${i + 1}`),
      datasets: data.ladders.map((l, i) => ({ label: `${l.team_name} (${l.winner}, ${l.price})`, data: l.steps,
        borderColor: seriesColour(i), backgroundColor: seriesColour(i), stepped: true })),
    },
    options: { ...common, scales: { y: { beginAtZero: true, title: { display: true, text: "Price" } } },
      plugins: { legend: { position: "bottom" } } },
  });
}

if (data && window.Chart && data.value.length) {
  new window.Chart(document.getElementById("value-chart"), {
    type: "bar",
    data: { labels: data.value.map((v) => v.team_name),
      datasets: [{ label: "Points per unit spent", data: data.value.map((v) => v.per_unit), backgroundColor: seriesColour(0) }] },
    options: { ...common, indexAxis: "y", plugins: { legend: { display: false } } },
  });
}

// The join page: join with the invite token in the page, then open the league.
import { api, busy, say } from "./api.js";

function onJoin(event) {
  const root = document.getElementById("join");
  const message = document.getElementById("join-message");
  busy(event.currentTarget, async () => {
    const body = await api("POST", `/api/invites/${encodeURIComponent(root.dataset.token)}/join`);
    window.location.assign(`/leagues/${body.league.id}`);
  }).catch((error) => {
    if (error.code === "already_member" && error.details && error.details.league_id) {
      window.location.assign(`/leagues/${error.details.league_id}`);
      return;
    }
    say(message, error.message);
  });
}

document.getElementById("join-button")?.addEventListener("click", onJoin);

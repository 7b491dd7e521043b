// The league page before the auction: who is here (a lobby), and the live switch to
// "Auction is on — join" the moment the commissioner starts, without a reload.
const HEARTBEAT_MS = 4000;
const $ = (id) => document.getElementById(id);

export function watchLeague(leagueId, status) {
  if (status !== "setup" || !window.io) return;
  const socket = window.io({ transports: ["websocket", "polling"] });
  let timer = null;

  function showHere(names) {
    const box = $("lobby-here");
    if (!box) return;
    box.textContent = names.length > 1 ? `${names.length} here: ${names.join(", ")}` : "Just you so far.";
  }

  function started() {
    clearInterval(timer);
    $("auction-live").hidden = false;
    const actions = $("actions-card");
    if (actions) actions.hidden = true;
    const badge = $("league-status");
    badge.textContent = "Auction live now";
    badge.className = "badge badge-running";
    socket.emit("lobby_leave", { league_id: leagueId });
    $("auction-live").querySelector("a").focus();
  }

  async function here() {
    try {
      const reply = await socket.timeout(HEARTBEAT_MS).emitWithAck("lobby_here", { league_id: leagueId });
      if (!reply.ok) return;
      showHere(reply.here);
      if (reply.status !== "setup") started();
    } catch {
      /* the next heartbeat tries again */
    }
  }

  socket.on("connect", () => {
    here();
    clearInterval(timer);
    timer = setInterval(here, HEARTBEAT_MS);
  });
  socket.on("lobby_presence", (payload) => { if (payload.league_id === leagueId) showHere(payload.here); });
  socket.on("auction_started", (payload) => { if (payload.league_id === leagueId) started(); });
  window.addEventListener("pagehide", () => socket.emit("lobby_leave", { league_id: leagueId }));
}

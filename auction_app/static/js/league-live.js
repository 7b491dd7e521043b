// The league page before the auction: who is here (a lobby), a countdown to a scheduled
// start, and the live switch to "Auction is on — join" the moment it starts, without a reload.
const HEARTBEAT_MS = 4000;
const $ = (id) => document.getElementById(id);

function countdown(startsAt) {
  const box = $("lobby-countdown");
  if (!box) return;
  clearInterval(countdown.timer);
  box.hidden = !startsAt;
  if (!startsAt) return;
  const at = Date.parse(startsAt);
  const draw = () => {
    const left = Math.max(0, Math.round((at - Date.now()) / 1000));
    const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    const parts = h ? `${h} h ${m} min` : m ? `${m} min ${s} s` : `${s} s`;
    box.textContent = left ? `The auction starts in ${parts} (${new Date(at).toLocaleString()}).`
      : "The auction is starting…";
  };
  draw();
  countdown.timer = setInterval(draw, 1000);
}

export function watchLeague(leagueId, status, startsAt) {
  if (status !== "setup" || !window.io) return;
  const socket = window.io({ transports: ["websocket", "polling"] });
  let timer = null;
  countdown(startsAt);

  function showHere(names) {
    const box = $("lobby-here");
    if (!box) return;
    box.textContent = names.length > 1 ? `${names.length} here: ${names.join(", ")}` : "Just you so far.";
  }

  function started() {
    clearInterval(timer);
    countdown(null);
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
  socket.on("auction_scheduled", (payload) => { if (payload.league_id === leagueId) countdown(payload.starts_at); });
  socket.on("auction_schedule_failed", (payload) => {
    if (payload.league_id !== leagueId) return;
    countdown(null);
    const box = $("lobby-countdown");
    box.hidden = false;
    box.textContent = `The scheduled start didn't happen: ${payload.message}`;
  });
  window.addEventListener("pagehide", () => socket.emit("lobby_leave", { league_id: leagueId }));
}

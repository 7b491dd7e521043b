// The live auction room: Socket.IO connection, sequence numbers, resync, bids and controls.
// Rules: keep the last seq; a gap (seq > last + 1) or a reconnect means "sync" and redraw
// from the snapshot; every event's server_time corrects the countdown.
import { api, say } from "./api.js";
import { ServerClock } from "./room-clock.js";
import { RoomView, quickAmounts } from "./room-view.js";

const root = document.getElementById("room");
const $ = (id) => document.getElementById(id);
const ACK_TIMEOUT_MS = 8000;
const FRIENDLY = {
  offline: "You're offline, so your bid wasn't sent. We'll reconnect as soon as we can.",
  timeout: "We didn't hear back about your bid. We're checking the latest price; please look before bidding again.",
};

const room = {
  auctionId: root.dataset.auctionId,
  mode: root.dataset.mode,
  spectatorToken: root.dataset.spectatorToken || undefined,
  snapshot: null,
  seq: 0,
  online: new Set(),
  clock: new ServerClock(),
  view: new RoomView(JSON.parse(root.dataset.teams || "{}"), root.dataset.mode),
  socket: null,
  syncing: false,
};

// ------------------------------------------------------------------ snapshot and sync

function joinPayload() {
  const payload = { auction_id: room.auctionId };
  if (room.spectatorToken) payload.spectator_token = room.spectatorToken;
  return payload;
}

function applySnapshot(snapshot) {
  room.snapshot = snapshot;
  room.seq = snapshot.seq;
  room.clock.observe(snapshot.server_time);
  if (Array.isArray(snapshot.online)) room.online = new Set(snapshot.online);
  room.view.all(snapshot, room.clock, room.online);
  root.dataset.seq = String(snapshot.seq);
}

async function sync(event = "sync") {
  if (room.syncing || !room.socket.connected) return;
  room.syncing = true;
  try {
    const reply = await room.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, joinPayload());
    if (reply && reply.ok) applySnapshot(reply.snapshot);
    else room.view.connection("error", (reply && reply.error && reply.error.message) || "Couldn't load the auction.");
  } catch {
    room.view.connection("reconnecting", "Reconnecting…");
  } finally {
    room.syncing = false;
  }
}

// ------------------------------------------------------------------ events

// Decide what to do with an event's seq: "apply", "skip" (old news) or "sync" (we missed one).
function sequence(payload) {
  room.clock.observe(payload.server_time);
  if (!room.snapshot) return "skip";
  if (payload.seq <= room.seq) return "skip";
  if (payload.seq > room.seq + 1) return "sync";
  room.seq = payload.seq;
  root.dataset.seq = String(room.seq);
  return "apply";
}

function onBidAccepted(payload) {
  const lot = room.snapshot.lot;
  if (!lot || lot.id !== payload.bid.lot_id) return sync();
  Object.assign(lot, { price: payload.bid.amount, leader_id: payload.bid.user_id, ends_at: payload.ends_at,
    min_next_bid: payload.min_next_bid, bid_count: (lot.bid_count || 0) + 1 });
  room.snapshot.recent_bids = [...(room.snapshot.recent_bids || []), payload.bid].slice(-30);
  room.view.prependBid(room.snapshot, payload.bid, payload.bidder_name);
  redrawLot();
}

function onLotOpened(payload) {
  room.snapshot.lot = payload.lot;
  room.snapshot.next_lot_at = null;
  if (room.mode === "member") {
    bidMessage("");
    $("bid-amount").value = "";
  }
  redrawLot();
}

function onLotClosed(payload) {
  const team = room.view.teamName(payload.team_key);
  if (payload.winner_id) room.view.moment("sold", `SOLD! ${team} to ${payload.winner_name} for ${payload.price}`);
  else room.view.moment("unsold", `No bids: ${team} is unsold`);
  sync();
}

function onPaused(payload) {
  room.snapshot.status = "paused";
  if (room.snapshot.lot && room.snapshot.lot.status === "open") {
    Object.assign(room.snapshot.lot, { status: "paused", remaining_ms: payload.remaining_ms });
  }
  room.view.moment("paused", "The commissioner paused the auction");
  redrawLot();
}

function onResumed(payload) {
  room.snapshot.status = "running";
  if (room.snapshot.lot && room.snapshot.lot.status === "paused") {
    Object.assign(room.snapshot.lot, { status: "open", ends_at: payload.ends_at });
  }
  room.view.moment("resumed", "The auction is back on");
  redrawLot();
}

function onCompleted() {
  room.view.moment("done", "The auction is over");
  sync();
}

function onSaleUndone(payload) {
  room.view.moment("undone", `Sale undone: ${room.view.teamName(payload.team_key)} goes back on the list`);
  sync();
}

const HANDLERS = {
  bid_accepted: onBidAccepted,
  lot_opened: onLotOpened,
  lot_sold: onLotClosed,
  lot_unsold: onLotClosed,
  auction_paused: onPaused,
  auction_resumed: onResumed,
  sale_undone: onSaleUndone,
  auction_completed: onCompleted,
};

function onAuctionEvent(name, payload) {
  if (!payload || payload.auction_id !== room.auctionId) return;
  const decision = sequence(payload);
  if (decision === "sync") sync();
  else if (decision === "apply") HANDLERS[name](payload);
}

function onPresence(payload) {
  if (!payload || payload.auction_id !== room.auctionId || !room.snapshot) return;
  room.online = new Set(payload.online || []);
  room.view.board(room.snapshot, room.online);
}

function redrawLot() {
  room.view.lot(room.snapshot, room.clock);
  room.view.me(room.snapshot);
  room.view.bidButtons(room.snapshot);
}

// ------------------------------------------------------------------ bidding

function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function bidMessage(text, kind = "error") {
  say($("bid-message"), text, kind);
}

async function placeBid(amount) {
  const lot = room.snapshot && room.snapshot.lot;
  if (!lot || lot.status !== "open") return bidMessage("Bidding on this team isn't open right now.");
  if (!room.socket.connected) return bidMessage(FRIENDLY.offline);
  // A fresh key every time: this page never resends a bid, so each is a first attempt (retry: false).
  const payload = { auction_id: room.auctionId, lot_id: lot.id, amount, idempotency_key: newKey(),
    seen_price: lot.price, retry: false };
  bidMessage("");
  try {
    const ack = await room.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("bid", payload);
    if (ack.ok) bidMessage(`Your bid of ${amount} is in.`, "notice");
    else bidMessage(ack.error.message);
  } catch {
    bidMessage(FRIENDLY.timeout);
    sync();
  }
}

function onQuickBid(event) {
  const button = event.target.closest("[data-bid]");
  if (!button || !room.snapshot) return;
  const amounts = quickAmounts(room.snapshot.lot);
  const amount = { min: amounts.min, 5: amounts.plus5, 10: amounts.plus10 }[button.dataset.bid];
  placeBid(amount);
}

function onCustomBid(event) {
  event.preventDefault();
  const input = $("bid-amount");
  const amount = Number(input.value);
  if (!Number.isInteger(amount) || amount < 1) {
    bidMessage("Type your bid as a whole number, like 12.");
    input.focus();
    return;
  }
  placeBid(amount);
}

async function onControl(event) {
  const button = event.target.closest("[data-control]");
  if (!button) return;
  const action = button.dataset.control;
  if (action === "end" && !window.confirm("End the auction now for everyone?")) return;
  const message = $("control-message");
  button.disabled = true;
  try {
    applySnapshot(await api("POST", `/api/auctions/${room.auctionId}/${action}`));
    say(message, "");
  } catch (error) {
    say(message, error.message);
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ connection

function connect() {
  const options = room.spectatorToken ? { auth: { spectator_token: room.spectatorToken } } : {};
  const socket = window.io(Object.assign({ transports: ["websocket", "polling"] }, options));
  room.socket = socket;
  socket.on("connect", () => {
    room.view.connection("live", "Live");
    sync("join_auction");
  });
  socket.on("disconnect", () => room.view.connection("reconnecting", "Reconnecting…"));
  socket.on("connect_error", (error) => {
    const data = error && error.data;
    room.view.connection("reconnecting", data && data.message ? data.message : "Reconnecting…");
  });
  for (const name of Object.keys(HANDLERS)) socket.on(name, (payload) => onAuctionEvent(name, payload));
  socket.on("presence", onPresence);
  socket.on("announcement", (payload) => room.view.announce(payload.message, payload.level));
}

// The browser knows first when the network goes: drop the socket at once and come back
// (with a fresh snapshot) as soon as it returns, instead of waiting for a ping timeout.
function watchNetwork() {
  window.addEventListener("offline", () => {
    room.view.connection("offline", "Offline: waiting for the network");
    room.socket.disconnect();
  });
  window.addEventListener("online", () => {
    room.view.connection("reconnecting", "Reconnecting…");
    room.socket.connect();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && room.socket.connected) sync();
  });
}

function tick() {
  if (room.snapshot) room.view.clock(room.snapshot, room.clock);
}

function start() {
  if (!room.auctionId) return;
  connect();
  watchNetwork();
  setInterval(tick, 250);
  if (room.mode === "member") {
    document.querySelector(".quick-bids").addEventListener("click", onQuickBid);
    $("custom-bid").addEventListener("submit", onCustomBid);
    $("controls").addEventListener("click", onControl);
  }
}

start();

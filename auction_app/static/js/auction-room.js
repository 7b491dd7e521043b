// The live auction room: Socket.IO connection, sequence numbers, resync, bids and controls.
// Rules: keep the last seq; a gap (seq > last + 1) or a reconnect means "sync" and redraw
// from the snapshot; every event's server_time corrects the countdown. Messages follow the
// state: anything a new event makes untrue is cleared.
import { api, say } from "./api.js";
import { ServerClock } from "./room-clock.js";
import { RoomView, quickAmounts } from "./room-view.js";
import { outbidAlert, tooLateText } from "./room-alerts.js";
import { Watchlist, loadSteps, setUpKeys, setUpSettings } from "./room-extras.js";
import { Chat } from "./room-chat.js";
import { onControl } from "./room-controls.js";
import { Nomination } from "./room-nominate.js";

const root = document.getElementById("room");
const $ = (id) => document.getElementById(id);
const ACK_TIMEOUT_MS = 8000;
const CONFIRM_SHARE = 0.5; // a typed bid above this share of what's left asks first
const FRIENDLY = {
  offline: "You're offline, so your bid wasn't sent. We'll reconnect as soon as we can.",
  timeout: "We didn't hear back about your bid. We're checking the latest price; please look before bidding again.",
  full: "This auction server is full right now. We'll get you in as soon as a place is free.",
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
  steps: loadSteps(),
  mine: "none",            // my state on the lot on the block: none | winning | outbid
  closed: {},              // lot id -> how it ended, for "Too late for X — it sold to Y for Z"
  lastSale: null,          // the latest sale seen here, for the undo confirmation
  awaySeq: null,           // the seq we had when the connection dropped
  beaten: new Set(),       // lots where I was told my maximum was passed
  watchlist: null,
  chat: null,
  nomination: null,
};

// ------------------------------------------------------------------ snapshot and sync

function joinPayload() {
  const payload = { auction_id: room.auctionId };
  if (room.spectatorToken) payload.spectator_token = room.spectatorToken;
  return payload;
}

function myId() {
  return room.snapshot && room.snapshot.me ? room.snapshot.me.user_id : null;
}

function applySnapshot(snapshot) {
  const previousLot = room.snapshot && room.snapshot.lot ? room.snapshot.lot.id : null;
  room.snapshot = snapshot;
  room.seq = snapshot.seq;
  room.clock.observe(snapshot.server_time);
  if (Array.isArray(snapshot.online)) room.online = new Set(snapshot.online);
  const lot = snapshot.lot;
  if (!lot || lot.id !== previousLot) room.mine = "none";
  if (lot && lot.leader_id && lot.leader_id === myId()) room.mine = "winning";
  else if (room.mine === "winning") room.mine = "outbid";
  room.view.all(snapshot, room.clock, room.online);
  redrawLot();
  if (room.watchlist) room.watchlist.draw(snapshot);
  if (room.nomination) room.nomination.draw(snapshot);
  root.dataset.seq = String(snapshot.seq);
}

function awaySummary(snapshot) {
  if (room.awaySeq === null) return;
  const missed = (snapshot.recent_bids || []).filter((b) => b.seq > room.awaySeq).length;
  room.awaySeq = null;
  const bids = missed === 1 ? "1 bid" : `${missed} bids`;
  room.view.notice(missed ? `Back online — ${bids} while you were away.` : "Back online — nothing happened while you were away.");
  setTimeout(() => room.view.notice(""), 8000);
}

async function sync(event = "sync") {
  if (room.syncing || !room.socket.connected) return;
  room.syncing = true;
  try {
    const reply = await room.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, joinPayload());
    if (reply && reply.ok) {
      awaySummary(reply.snapshot);
      applySnapshot(reply.snapshot);
    } else room.view.connection("error", (reply && reply.error && reply.error.message) || "Couldn't load the auction.");
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
  const before = Date.parse(lot.ends_at || "");
  const wasMine = lot.leader_id && lot.leader_id === myId();
  Object.assign(lot, { price: payload.bid.amount, leader_id: payload.bid.user_id, ends_at: payload.ends_at,
    min_next_bid: payload.min_next_bid, bid_count: (lot.bid_count || 0) + 1 });
  room.snapshot.recent_bids = [...(room.snapshot.recent_bids || []), payload.bid].slice(-30);
  room.view.prependBid(room.snapshot, payload.bid, payload.bidder_name);
  const pushedBy = Math.round((Date.parse(payload.ends_at) - before) / 1000);
  if (pushedBy > 0) room.view.extended(pushedBy);
  if (room.mode === "member") myStateAfterBid(lot, payload, wasMine);
  redrawLot();
}

function myStateAfterBid(lot, payload, wasMine) {
  const mineNow = payload.bid.user_id === myId();
  if (mineNow) {
    room.mine = "winning";
    return;
  }
  const team = room.view.teamName(lot.team_key);
  const proxies = (room.snapshot.me && room.snapshot.me.proxies) || {};
  const maximum = proxies[lot.team_key];
  if (maximum && payload.bid.amount > maximum && !room.beaten.has(lot.id)) {
    room.beaten.add(lot.id);
    bidMessage(`Your maximum of ${maximum} for ${team} was passed: the price is now ${payload.bid.amount}.`, "error");
  } else if (wasMine) {
    bidMessage("");
  }
  if (wasMine) {
    room.mine = "outbid";
    outbidAlert(`Outbid on ${team}: ${payload.bidder_name} bid ${payload.bid.amount}. Bid ${payload.min_next_bid}?`);
  }
}

function onNominationTurn(payload) {
  room.snapshot.nominating = { user_id: payload.user_id, name: payload.name, ends_at: payload.ends_at };
  room.view.clearMoment();
  room.nomination.draw(room.snapshot);
}

function onLotOpened(payload) {
  room.snapshot.lot = payload.lot;
  room.snapshot.next_lot_at = null;
  room.snapshot.nominating = null;
  room.snapshot.offerable = (room.snapshot.offerable || []).filter((key) => key !== payload.lot.team_key);
  room.nomination.draw(room.snapshot);
  const entry = (room.snapshot.lots || []).find((l) => l.team_key === payload.lot.team_key);
  if (entry) Object.assign(entry, { status: "open", round: payload.lot.round });
  room.mine = "none";
  room.view.clearMoment();
  $("lot-extended").hidden = true;
  if (room.mode === "member") {
    clearStaleMessage();
    $("bid-amount").value = "";
  }
  redrawLot();
  room.view.progress(room.snapshot);
  room.view.upcoming(room.snapshot);
  if (room.watchlist) room.watchlist.draw(room.snapshot);
}

function onLotClosed(payload, name) {
  const team = room.view.teamName(payload.team_key);
  room.closed[payload.lot_id] = { team, ...payload, kind: name };
  room.mine = "none";
  if (payload.winner_id) {
    room.lastSale = { team, team_key: payload.team_key, name: payload.winner_name, price: payload.price };
    room.view.moment("sold", `SOLD! ${team} to ${payload.winner_name} for ${payload.price}`);
  } else if (name === "lot_skipped") {
    room.view.moment("unsold", payload.had_bids ? `${team} skipped, bids cancelled` : `${team} skipped`);
  } else {
    room.view.moment("unsold", `No bids: ${team} is unsold`);
  }
  if (room.mode === "member") clearStaleMessage();
  sync();
}

function onPaused(payload) {
  room.snapshot.status = "paused";
  if (room.snapshot.lot && room.snapshot.lot.status === "open") {
    Object.assign(room.snapshot.lot, { status: "paused", remaining_ms: payload.remaining_ms });
  }
  room.view.moment("paused", "The commissioner paused the auction", 2500);
  redrawLot();
}

function onResumed(payload) {
  room.snapshot.status = "running";
  if (room.snapshot.lot && room.snapshot.lot.status === "paused") {
    Object.assign(room.snapshot.lot, { status: "open", ends_at: payload.ends_at });
  }
  room.view.moment("resumed", "The auction is back on", 1500);
  if (room.mode === "member") clearStaleMessage();
  redrawLot();
}

function onCompleted() {
  room.view.clearMoment();
  sync();
}

function onSaleUndone(payload) {
  room.view.moment("undone", `Sale undone: ${room.view.teamName(payload.team_key)} goes back on the list`);
  room.lastSale = null;
  sync();
}

const HANDLERS = {
  nomination_turn: onNominationTurn,
  bid_accepted: onBidAccepted,
  lot_opened: onLotOpened,
  lot_sold: onLotClosed,
  lot_unsold: onLotClosed,
  lot_skipped: onLotClosed,
  auction_paused: onPaused,
  auction_resumed: onResumed,
  sale_undone: onSaleUndone,
  auction_completed: onCompleted,
};

function onAuctionEvent(name, payload) {
  if (!payload || payload.auction_id !== room.auctionId) return;
  const decision = sequence(payload);
  if (decision === "sync") sync();
  else if (decision === "apply") HANDLERS[name](payload, name);
}

function onPresence(payload) {
  if (!payload || payload.auction_id !== room.auctionId || !room.snapshot) return;
  room.online = new Set(payload.online || []);
  room.view.board(room.snapshot, room.online);
}

function amounts() {
  return quickAmounts(room.snapshot && room.snapshot.lot, room.steps);
}

function redrawLot() {
  if (!room.snapshot) return;
  room.view.lot(room.snapshot, room.clock);
  room.view.me(room.snapshot);
  room.view.mine(room.snapshot, room.mine);
  room.view.bidButtons(room.snapshot, amounts(), room.steps);
}

// ------------------------------------------------------------------ bidding

function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let staleOnChange = false;

// `sticky` messages (too late, maximum passed) survive the next state change; others don't.
function bidMessage(text, kind = "error", sticky = false) {
  say($("bid-message"), text, kind);
  staleOnChange = Boolean(text) && !sticky;
}

function clearStaleMessage() {
  if (staleOnChange) bidMessage("");
}

async function placeBid(amount) {
  const lot = room.snapshot && room.snapshot.lot;
  if (!lot || lot.status !== "open" || room.snapshot.status !== "running") {
    return bidMessage(room.snapshot && room.snapshot.status === "paused"
      ? "The auction is paused. You can bid again when the commissioner resumes it."
      : "There's no team to bid on right now. The next one is coming up.");
  }
  if (!room.socket.connected) return bidMessage(FRIENDLY.offline);
  // A fresh key every time: this page never resends a bid, so each is a first attempt (retry: false).
  const payload = { auction_id: room.auctionId, lot_id: lot.id, amount, idempotency_key: newKey(),
    seen_price: lot.price, retry: false };
  bidMessage("");
  try {
    const ack = await room.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("bid", payload);
    if (ack.ok) {
      if (room.snapshot.lot && room.snapshot.lot.id === lot.id && room.snapshot.lot.leader_id === myId()) {
        room.mine = "winning";
      }
      redrawLot();
    } else if (ack.error.code === "too_late" || (ack.error.code === "lot_not_open" && room.closed[lot.id])) {
      bidMessage(tooLateText(room.closed[lot.id]), "error", true);
    } else bidMessage(ack.error.message);
  } catch {
    bidMessage(FRIENDLY.timeout);
    sync();
  }
}

function quickBid(which) {
  if (!room.snapshot) return;
  const all = amounts();
  placeBid({ min: all.min, step1: all.step1, step2: all.step2 }[which]);
}

function onQuickBid(event) {
  const button = event.target.closest("[data-bid]");
  if (button && !button.disabled) quickBid(button.dataset.bid);
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
  const me = room.snapshot && room.snapshot.me;
  const lot = room.snapshot && room.snapshot.lot;
  if (me && lot && amount > me.budget_left * CONFIRM_SHARE && amount <= me.max_bid) {
    const team = room.view.teamName(lot.team_key);
    if (!window.confirm(`Bid ${amount} on ${team}? That's ${Math.round((100 * amount) / me.budget_left)}% `
      + `of the ${me.budget_left} you have left.`)) {
      bidMessage("Not sent. Change the amount or bid again.", "notice");
      return;
    }
  }
  placeBid(amount);
}

// ------------------------------------------------------------------ connection

function connect() {
  const options = room.spectatorToken ? { auth: { spectator_token: room.spectatorToken } } : {};
  const socket = window.io(Object.assign({ transports: ["websocket", "polling"] }, options));
  room.socket = socket;
  socket.on("connect", () => {
    room.view.connection("live", "Live");
    if (room.mode === "member" && staleOnChange) bidMessage("");
    sync("join_auction");
    if (room.chat) room.chat.join();
  });
  socket.on("disconnect", () => {
    if (room.awaySeq === null) room.awaySeq = room.seq;
    room.view.connection("reconnecting", "Reconnecting…");
  });
  socket.on("connect_error", (error) => {
    const data = error && error.data;
    if (data && data.code === "server_full") {
      room.view.connection("reconnecting", FRIENDLY.full);
      retryWhenFull(socket, data.retry_after_ms);
      return;
    }
    room.view.connection("reconnecting", data && data.message ? data.message : "Reconnecting…");
  });
  for (const name of Object.keys(HANDLERS)) socket.on(name, (payload) => onAuctionEvent(name, payload));
  socket.on("presence", onPresence);
  socket.on("announcement", (payload) => room.view.announce(payload.message, payload.level));
  room.chat = new Chat(socket, room.auctionId, room.mode, (id) => room.snapshot && room.view.memberName(room.snapshot, id));
  room.nomination = new Nomination(room, (event, payload) => socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)
    .catch(() => ({ ok: false, error: { message: FRIENDLY.timeout } })));
}

// socket.io does not retry a connection the server refused. A full web process says when to
// try again; half to one and a half times that, so its refused members do not all come back at once.
function retryWhenFull(socket, afterMs) {
  if (room.fullRetry) return;
  const wait = (afterMs || 20000) * (0.5 + Math.random());
  room.fullRetry = setTimeout(() => {
    room.fullRetry = null;
    socket.connect();
  }, wait);
}

// The browser knows first when the network goes: drop the socket at once and come back
// (with a fresh snapshot) as soon as it returns, instead of waiting for a ping timeout.
function watchNetwork() {
  window.addEventListener("offline", () => {
    if (room.awaySeq === null) room.awaySeq = room.seq;
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

// A spectator link opened before the start: say so, and switch to the auction when it begins.
function waitForStart() {
  room.view.connection("waiting", "Not started yet");
  const timer = setInterval(async () => {
    try {
      const body = await api("GET", `/api/watch/${encodeURIComponent(room.spectatorToken)}`);
      if (body.auction_id) {
        clearInterval(timer);
        room.auctionId = body.auction_id;
        root.dataset.auctionId = body.auction_id;
        const card = $("not-started");
        if (card) card.hidden = true;
        begin();
      }
    } catch {
      /* try again at the next tick */
    }
  }, 4000);
}

function begin() {
  connect();
  watchNetwork();
  setInterval(tick, 250);
}

function start() {
  if (room.mode === "member") {
    document.querySelector(".quick-bids").addEventListener("click", onQuickBid);
    $("my-state").addEventListener("click", () => quickBid("min"));
    $("custom-bid").addEventListener("submit", onCustomBid);
    $("controls").addEventListener("click", (event) => onControl(event, room, applySnapshot));
    setUpSettings((steps) => { room.steps = steps; redrawLot(); });
    setUpKeys({ min: () => quickBid("min"), step1: () => quickBid("step1"), step2: () => quickBid("step2"),
      custom: () => $("bid-amount").focus() });
    room.watchlist = new Watchlist(root.dataset.leagueId, room.view);
    room.watchlist.onChange = (mine) => {
      if (room.snapshot && room.snapshot.me) room.snapshot.me.proxies = mine;
      redrawLot();
    };
  }
  if (!room.auctionId) {
    if (room.spectatorToken) waitForStart();
    else room.view.connection("waiting", "Not started yet");
    return;
  }
  begin();
}

start();

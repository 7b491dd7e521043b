// Drawing the auction room from its state. No network here.
import { formatRemaining } from "./room-clock.js";

const $ = (id) => document.getElementById(id);

const REASONS = {
  rosters_full: "Every roster is full.",
  no_lots_left: "Every team has been offered.",
  ended_by_commissioner: "The commissioner ended the auction.",
};

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

export class RoomView {
  constructor(teams, mode) {
    this.teams = teams;
    this.mode = mode;
    this.momentTimer = null;
  }

  teamName(key) {
    return this.teams[key] || key || "";
  }

  memberName(snapshot, userId) {
    const member = (snapshot.members || []).find((m) => m.user_id === userId);
    return member ? member.name : "someone";
  }

  connection(state, text) {
    const conn = $("conn");
    conn.dataset.state = state;
    $("conn-text").textContent = text;
  }

  lot(snapshot, clock) {
    const lot = snapshot.lot;
    const box = $("lot");
    box.dataset.status = lot ? lot.status : "waiting";
    const open = lot && (lot.status === "open" || lot.status === "paused");
    $("lot-label").textContent = lot && lot.round > 1 ? `On the block (round ${lot.round})` : "On the block";
    $("lot-team").textContent = open ? this.teamName(lot.team_key) : this.waitingText(snapshot);
    $("lot-price").textContent = open && lot.price !== null ? lot.price : "–";
    $("lot-leader").textContent = this.leaderText(snapshot, lot, open);
    this.clock(snapshot, clock);
  }

  waitingText(snapshot) {
    if (snapshot.status === "completed") return "Auction finished";
    return "Next team coming up…";
  }

  leaderText(snapshot, lot, open) {
    if (!open) return "";
    if (lot.leader_id === null || lot.leader_id === undefined) return `No bids yet: opens at ${lot.min_next_bid}`;
    const me = snapshot.me && snapshot.me.user_id === lot.leader_id;
    return me ? "You're winning" : `Leader: ${this.memberName(snapshot, lot.leader_id)}`;
  }

  clock(snapshot, clock) {
    const lot = snapshot.lot;
    const node = $("lot-clock");
    let text = "–";
    let urgent = false;
    if (lot && lot.status === "paused") {
      text = `Paused (${formatRemaining(lot.remaining_ms || 0)})`;
    } else if (lot && lot.status === "open" && snapshot.status === "running") {
      const left = clock.until(lot.ends_at);
      text = left > 0 ? formatRemaining(left) : "Closing…";
      urgent = left < 5000;
    }
    node.textContent = text;
    node.classList.toggle("urgent", urgent);
  }

  me(snapshot) {
    const me = snapshot.me;
    if (!me || this.mode !== "member") return;
    const lot = snapshot.lot;
    $("my-budget").textContent = me.budget_left;
    $("my-max").textContent = me.max_bid;
    $("my-slots").textContent = me.slots_left;
    const proxy = lot && me.proxies ? me.proxies[lot.team_key] : undefined;
    $("my-proxy").textContent = proxy ? `up to ${proxy}` : "none";
    $("controls").hidden = !me.is_commissioner || snapshot.status === "completed";
  }

  bidButtons(snapshot) {
    if (this.mode !== "member") return;
    const lot = snapshot.lot;
    const open = lot && lot.status === "open" && snapshot.status === "running";
    const amounts = quickAmounts(lot);
    $("bid-min").textContent = open ? `Bid ${amounts.min}` : "Bid";
    $("bid-plus5").textContent = open ? `+5 (${amounts.plus5})` : "+5";
    $("bid-plus10").textContent = open ? `+10 (${amounts.plus10})` : "+10";
    for (const id of ["bid-min", "bid-plus5", "bid-plus10"]) $(id).disabled = !open;
    $("bid-panel").classList.toggle("closed", !open);
    $("bid-panel").hidden = snapshot.status === "completed";
  }

  board(snapshot, online) {
    const rows = (snapshot.members || []).map((m) => this.boardRow(m, online.has(m.user_id)));
    $("board").tBodies[0].replaceChildren(...rows);
  }

  boardRow(member, isOnline) {
    const row = el("tr");
    row.dataset.member = member.user_id;
    const name = el("th");
    name.scope = "row";
    name.append(el("span", isOnline ? "●" : "○", isOnline ? "presence on" : "presence"),
      ` ${member.name}`, el("span", isOnline ? " (online)" : " (offline)", "visually-hidden"));
    const teams = member.roster.map((r) => `${this.teamName(r.team_key)} (${r.price})`).join(", ");
    row.append(name, el("td", member.budget_left, "budget"), el("td", member.slots_left, "slots"),
      el("td", teams || "–", "roster"));
    return row;
  }

  feed(snapshot) {
    const items = (snapshot.recent_bids || []).slice().reverse().slice(0, 30);
    $("feed").replaceChildren(...items.map((bid) => this.feedItem(snapshot, bid)));
  }

  feedItem(snapshot, bid, bidderName) {
    const name = bidderName || this.memberName(snapshot, bid.user_id);
    const item = el("li");
    item.dataset.seq = bid.seq;
    item.append(el("strong", name), ` bid ${bid.amount} on ${this.teamName(bid.team_key)}`);
    if (bid.source === "proxy") item.append(el("span", " (proxy)", "muted"));
    return item;
  }

  prependBid(snapshot, bid, bidderName) {
    const feed = $("feed");
    feed.prepend(this.feedItem(snapshot, bid, bidderName));
    while (feed.children.length > 30) feed.lastElementChild.remove();
  }

  moment(kind, text) {
    const box = $("moment");
    box.className = `moment moment-${kind}`;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(this.momentTimer);
    this.momentTimer = setTimeout(() => { box.hidden = true; }, 4000);
  }

  done(snapshot) {
    const over = snapshot.status === "completed";
    $("done").hidden = !over;
    if (over) $("done-reason").textContent = REASONS[snapshot.completed_reason] || "";
  }

  announce(message, level) {
    const box = $("announcement");
    if (!box) return;
    box.textContent = message;
    box.dataset.level = level || "info";
    box.hidden = !message;
  }

  all(snapshot, clock, online) {
    this.lot(snapshot, clock);
    this.me(snapshot);
    this.bidButtons(snapshot);
    this.board(snapshot, online);
    this.feed(snapshot);
    this.done(snapshot);
  }
}

// The quick-bid amounts: next minimum, and 5 or 10 over the current price (never below the minimum).
export function quickAmounts(lot) {
  const min = lot ? lot.min_next_bid : 0;
  const price = lot && lot.price !== null ? lot.price : 0;
  return { min, plus5: Math.max(min, price + 5), plus10: Math.max(min, price + 10) };
}

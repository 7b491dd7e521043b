// Drawing the auction room from its state. No network here.
import { formatRemaining } from "./room-clock.js";

const $ = (id) => document.getElementById(id);

const REASONS = {
  rosters_full: "Every roster is full.",
  no_lots_left: "Every team has been offered.",
  ended_by_commissioner: "The commissioner ended the auction.",
};
// The countdown is read out at these seconds left (once per lot and per extension).
export const ANNOUNCE_AT = [10, 5];

export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// The biggest bid a member can make: keep the minimum for every other empty slot.
export function maxBid(budgetLeft, slotsLeft, minBid) {
  if (slotsLeft <= 0) return 0;
  return Math.max(0, budgetLeft - (slotsLeft - 1) * minBid);
}

export class RoomView {
  constructor(teams, mode) {
    this.teams = teams;
    this.mode = mode;
    this.momentTimer = null;
    this.announced = new Set();
  }

  teamName(key) {
    const team = this.teams[key];
    return (team && (team.name || team)) || key || "";
  }

  teamShort(key) {
    const team = this.teams[key];
    return (team && team.short) || this.teamName(key);
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

  notice(text) {
    const box = $("room-notice");
    box.textContent = text || "";
    box.hidden = !text;
  }

  lot(snapshot, clock) {
    const lot = snapshot.lot;
    const box = $("lot");
    box.dataset.status = lot ? lot.status : "waiting";
    box.hidden = snapshot.status === "completed";
    const open = lot && (lot.status === "open" || lot.status === "paused");
    $("lot-label").textContent = lot && lot.round > 1 ? `On the block (round ${lot.round})` : "On the block";
    $("lot-team").textContent = open ? this.teamName(lot.team_key) : "Next team coming up…";
    $("lot-price").textContent = open && lot.price !== null ? lot.price : "–";
    $("lot-leader").textContent = this.leaderText(snapshot, lot, open);
    if (!open) $("lot-extended").hidden = true;
    this.clock(snapshot, clock);
    this.progress(snapshot);
  }

  leaderText(snapshot, lot, open) {
    if (!open) return "";
    if (lot.leader_id === null || lot.leader_id === undefined) return `No bids yet: opens at ${lot.min_next_bid}`;
    const me = snapshot.me && snapshot.me.user_id === lot.leader_id;
    return me ? "You're winning" : `Leader: ${this.memberName(snapshot, lot.leader_id)}`;
  }

  // "Team 4 of 10": teams already offered, counting the one on the block (or coming up next).
  progress(snapshot) {
    const lots = snapshot.lots || [];
    const box = $("progress");
    if (!lots.length || snapshot.status === "completed") { box.hidden = true; return; }
    const offered = lots.filter((l) => l.status !== "pending").length;
    const onBlock = snapshot.lot && (snapshot.lot.status === "open" || snapshot.lot.status === "paused");
    const again = lots.filter((l) => l.status === "unsold").length;
    const round2 = snapshot.lot && snapshot.lot.round > 1;
    box.textContent = round2 ? `Second chances: ${again + (onBlock ? 1 : 0)} left`
      : `Team ${Math.min(lots.length, offered + (onBlock ? 0 : 1))} of ${lots.length}`;
    box.hidden = false;
  }

  // Late bids push the clock back: say so instead of letting the clock jump silently.
  extended(seconds) {
    const badge = $("lot-extended");
    badge.textContent = `+${seconds} s, late bid`;
    badge.hidden = false;
    this.announced.clear();
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
      this.announceClock(lot, left);
    } else if (snapshot.next_lot_at && snapshot.status === "running") {
      // Between teams (or before the first one, when a start is scheduled): count down to it.
      const left = clock.until(snapshot.next_lot_at);
      text = left > 0 ? formatRemaining(left) : "–";
      $("lot-team").textContent = left > 0 ? `Next team in ${formatRemaining(left)}` : "Next team coming up…";
    }
    node.textContent = text;
    node.classList.toggle("urgent", urgent);
  }

  announceClock(lot, left) {
    const seconds = Math.ceil(left / 1000);
    for (const mark of ANNOUNCE_AT) {
      const key = `${lot.id}:${lot.ends_at}:${mark}`;
      if (seconds <= mark && seconds > mark - 2 && !this.announced.has(key)) {
        this.announced.add(key);
        $("clock-announce").textContent = `${mark} seconds left on ${this.teamName(lot.team_key)}`;
      }
    }
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
    this.controls(snapshot);
  }

  // Pause only while running, Resume only while paused, Skip only with a team on the block.
  controls(snapshot) {
    const lot = snapshot.lot;
    const onBlock = lot && (lot.status === "open" || lot.status === "paused");
    const anySold = (snapshot.lots || []).some((l) => l.status === "sold");
    const enabled = {
      pause: snapshot.status === "running", resume: snapshot.status === "paused", skip: Boolean(onBlock),
      undo: anySold, end: snapshot.status !== "completed",
    };
    for (const button of document.querySelectorAll("[data-control]")) {
      button.disabled = !enabled[button.dataset.control];
    }
  }

  // My own state on this lot: winning, outbid (with a one-tap re-bid) or nothing.
  mine(snapshot, state) {
    const box = $("my-state");
    if (!box) return;
    const lot = snapshot.lot;
    const open = lot && lot.status === "open" && snapshot.status === "running";
    const shown = open && (state === "winning" || state === "outbid") ? state : "none";
    $("lot").dataset.mine = shown;
    box.dataset.state = shown;
    box.hidden = shown === "none";
    box.disabled = shown !== "outbid";
    if (shown === "outbid") box.textContent = `Outbid — bid ${lot.min_next_bid}?`;
    if (shown === "winning") box.textContent = `You're winning at ${lot.price}`;
  }

  bidButtons(snapshot, amounts, steps) {
    if (this.mode !== "member") return;
    const lot = snapshot.lot;
    const open = lot && lot.status === "open" && snapshot.status === "running";
    const labels = [["bid-min", amounts.min, null], ["bid-step1", amounts.step1, steps[0]],
      ["bid-step2", amounts.step2, steps[1]]];
    for (const [id, amount, step] of labels) {
      const button = $(id);
      if (step === null) button.textContent = open ? `Bid ${amount}` : "Bid –";
      else button.textContent = open ? `+${step} · ${amount}` : `+${step}`;
      if (open) button.setAttribute("aria-label", `Bid ${amount}`);
      else button.removeAttribute("aria-label");
      button.disabled = !open;
    }
    $("bid-panel").classList.toggle("closed", !open);
    $("bid-panel").hidden = snapshot.status === "completed";
    const watch = $("watchlist");
    if (watch) watch.hidden = snapshot.status === "completed";
  }

  board(snapshot, online) {
    const s = snapshot.settings || {};
    const budget = s.budget || 1;
    const rows = (snapshot.members || []).map((m) => this.boardRow(m, online.has(m.user_id), budget, s.min_bid || 1));
    $("board").tBodies[0].replaceChildren(...rows);
    this.upcoming(snapshot);
  }

  boardRow(member, isOnline, budget, minBid) {
    const row = el("tr");
    row.dataset.member = member.user_id;
    const name = el("th");
    name.scope = "row";
    name.append(el("span", isOnline ? "●" : "○", isOnline ? "presence on" : "presence"),
      ` ${member.name}`, el("span", isOnline ? " (online)" : " (offline)", "visually-hidden"));
    const left = el("td", null, "budget");
    const bar = el("span", null, "bar");
    bar.setAttribute("aria-hidden", "true");
    const fill = el("span", null, "bar-fill");
    fill.style.width = `${Math.round((100 * member.budget_left) / budget)}%`;
    bar.append(fill);
    left.append(el("span", member.budget_left, "budget-value"), bar);
    const teams = el("td", null, "roster");
    if (!member.roster.length) teams.textContent = "–";
    for (const r of member.roster) {
      const chip = el("abbr", `${this.teamShort(r.team_key)} ${r.price}`, "chip");
      chip.title = `${this.teamName(r.team_key)} (${r.price})`;
      teams.append(chip, " ");
    }
    row.append(name, left, el("td", maxBid(member.budget_left, member.slots_left, minBid), "maxbid"),
      el("td", member.slots_left, "slots"), teams);
    return row;
  }

  upcomingKeys(snapshot) {
    const lots = snapshot.lots || [];
    return [...lots.filter((l) => l.status === "pending"), ...lots.filter((l) => l.status === "unsold")]
      .map((l) => l.team_key);
  }

  upcoming(snapshot) {
    const keys = this.upcomingKeys(snapshot);
    $("upcoming").textContent = keys.length ? keys.map((k) => this.teamName(k)).join(" · ") : "No more teams after this one.";
  }

  feed(snapshot) {
    const items = (snapshot.recent_bids || []).slice().reverse().slice(0, 30);
    $("feed").replaceChildren(...items.map((bid) => this.feedItem(snapshot, bid)));
  }

  // Nobody learns who has a hidden maximum: a bid made for you looks like any other bid.
  feedItem(snapshot, bid, bidderName) {
    const name = bidderName || this.memberName(snapshot, bid.user_id);
    const item = el("li");
    item.dataset.seq = bid.seq;
    item.append(el("strong", name), ` bid ${bid.amount} on ${this.teamName(bid.team_key)}`);
    return item;
  }

  prependBid(snapshot, bid, bidderName) {
    const feed = $("feed");
    feed.prepend(this.feedItem(snapshot, bid, bidderName));
    while (feed.children.length > 30) feed.lastElementChild.remove();
  }

  moment(kind, text, ms = 4000) {
    const box = $("moment");
    box.className = `moment moment-${kind}`;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(this.momentTimer);
    this.momentTimer = setTimeout(() => { box.hidden = true; }, ms);
  }

  // A new team on the block: the last moment must never cover it.
  clearMoment() {
    clearTimeout(this.momentTimer);
    $("moment").hidden = true;
  }

  done(snapshot) {
    const over = snapshot.status === "completed";
    $("done").hidden = !over;
    if (over) $("done-reason").textContent = REASONS[snapshot.completed_reason] || "";
    if (over) $("done-mine").textContent = this.summary(snapshot);
  }

  // The end in one line for me: what I bought, for how much, and what is left.
  summary(snapshot) {
    const me = snapshot.me && (snapshot.members || []).find((m) => m.user_id === snapshot.me.user_id);
    if (!me) return "";
    const budget = (snapshot.settings || {}).budget || 0;
    if (!me.roster.length) return `You didn't buy a team; all ${budget} of your budget is left.`;
    const bought = me.roster.map((r) => `${this.teamName(r.team_key)} for ${r.price}`);
    const list = bought.length > 1 ? `${bought.slice(0, -1).join(", ")} and ${bought[bought.length - 1]}` : bought[0];
    const spent = me.roster.reduce((sum, r) => sum + r.price, 0);
    return `You bought ${list}: ${spent} of ${budget} spent.`;
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
    this.board(snapshot, online);
    this.feed(snapshot);
    this.done(snapshot);
  }
}

// The quick-bid amounts: next minimum, and each step over the current price (never below the minimum).
export function quickAmounts(lot, steps = [5, 10]) {
  const min = lot ? lot.min_next_bid : 0;
  const price = lot && lot.price !== null ? lot.price : 0;
  return { min, step1: Math.max(min, price + steps[0]), step2: Math.max(min, price + steps[1]) };
}

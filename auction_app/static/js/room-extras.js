// The member's own tools in the room: quick-bid steps, sound, keyboard shortcuts and the
// watchlist (the private proxy maximums, the same API as the league page).
import { api, say, sentences } from "./api.js";
import { setSound, soundOn } from "./room-alerts.js";
import { el } from "./room-view.js";

const $ = (id) => document.getElementById(id);
const STEPS_KEY = "club-auction.steps";

export function loadSteps() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(STEPS_KEY) || "null");
    if (Array.isArray(saved) && saved.length === 2 && saved.every((n) => Number.isInteger(n) && n > 0)) return saved;
  } catch {
    /* nothing saved */
  }
  return [5, 10];
}

function saveSteps(steps) {
  try { window.localStorage.setItem(STEPS_KEY, JSON.stringify(steps)); } catch { /* page only */ }
}

// The settings form: two quick raises (whole numbers, 1 to 1000) and the outbid sound.
export function setUpSettings(onChange) {
  const form = $("bid-settings");
  const steps = loadSteps();
  form.elements.step1.value = steps[0];
  form.elements.step2.value = steps[1];
  form.elements.sound.checked = soundOn();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = [Number(form.elements.step1.value), Number(form.elements.step2.value)];
    if (!values.every((n) => Number.isInteger(n) && n >= 1 && n <= 1000)) {
      say($("settings-message"), "Quick raises are whole numbers from 1 to 1000.");
      return;
    }
    saveSteps(values);
    setSound(form.elements.sound.checked);
    say($("settings-message"), "Saved on this device.", "notice");
    onChange(values);
  });
}

// Desktop shortcuts; never while typing in a field or with a modifier key held.
export function setUpKeys(actions) {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
    const action = { b: actions.min, 1: actions.step1, 2: actions.step2, "/": actions.custom }[event.key.toLowerCase()];
    if (!action) return;
    event.preventDefault();
    action();
  });
}

export class Watchlist {
  constructor(leagueId, view) {
    this.base = `/api/leagues/${leagueId}/proxies`;
    this.view = view;
    this.mine = {};
    this.form = $("watch-form");
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.save(); });
    $("watch-list").addEventListener("click", (event) => {
      const button = event.target.closest("[data-clear-proxy]");
      if (button) this.clear(button.dataset.clearProxy);
    });
  }

  // Teams still to come, plus the one on the block: those are the ones a maximum can matter for.
  draw(snapshot) {
    const keys = [];
    if (snapshot.lot && snapshot.lot.status !== "sold") keys.push(snapshot.lot.team_key);
    for (const key of this.view.upcomingKeys(snapshot)) if (!keys.includes(key)) keys.push(key);
    const select = this.form.elements.team_key;
    const chosen = select.value;
    select.replaceChildren(...keys.map((key) => {
      const option = el("option", this.view.teamName(key));
      option.value = key;
      return option;
    }));
    if (keys.includes(chosen)) select.value = chosen;
    this.mine = (snapshot.me && snapshot.me.proxies) || {};
    this.list();
  }

  list() {
    const items = Object.entries(this.mine).map(([key, amount]) => {
      const item = el("li");
      const clear = el("button", "Clear", "link-button");
      clear.type = "button";
      clear.dataset.clearProxy = key;
      clear.setAttribute("aria-label", `Clear the maximum for ${this.view.teamName(key)}`);
      item.append(`${this.view.teamName(key)}: up to `, el("strong", amount), " ", clear);
      return item;
    });
    $("watch-list").replaceChildren(...items);
  }

  tell(text, kind = "notice") {
    say($("watch-message"), text, kind);
  }

  async save() {
    const amount = Number(this.form.elements.max_amount.value);
    const team = this.form.elements.team_key.value;
    if (!team) return this.tell("There are no teams left to plan for.", "error");
    if (!Number.isInteger(amount) || amount < 1) return this.tell("Type your maximum as a whole number, like 20.", "error");
    try {
      const body = await api("PUT", `${this.base}/${encodeURIComponent(team)}`, { max_amount: amount });
      this.apply(body);
      this.form.elements.max_amount.value = "";
      this.tell(`Saved: up to ${amount} for ${this.view.teamName(team)}. Only you can see it.`);
    } catch (error) {
      this.tell(sentences(error).join(" "), "error");
    }
  }

  async clear(team) {
    try {
      this.apply(await api("DELETE", `${this.base}/${encodeURIComponent(team)}`));
      this.tell(`Cleared your maximum for ${this.view.teamName(team)}.`);
    } catch (error) {
      this.tell(sentences(error).join(" "), "error");
    }
  }

  apply(body) {
    this.mine = Object.fromEntries(body.proxies.map((p) => [p.team_key, p.max_amount]));
    this.list();
    if (this.onChange) this.onChange(this.mine);
  }
}

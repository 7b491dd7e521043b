// The league page: copy links, invitations, settings, start, proxy maximums, membership.
import { api, busy, say, sentences } from "./api.js";
import { readSettings } from "./forms.js";
import { watchLeague } from "./league-live.js";

const root = document.getElementById("league");
const leagueId = root.dataset.leagueId;
const base = `/api/leagues/${leagueId}`;
const message = document.getElementById("league-message");

function tell(text, kind = "notice") {
  say(message, text, kind);
  message.scrollIntoView({ block: "nearest" });
}

function failed(error) {
  tell(sentences(error).join(" "), "error");
}

async function copyField(button) {
  const input = document.getElementById(button.dataset.copy);
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    document.execCommand("copy");
  }
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = "Copy"; }, 2000);
}

async function startAuction(button) {
  if (!window.confirm("Start the auction now? Settings can't change after this.")) return;
  await api("POST", `${base}/auction/start`);
  window.location.assign(`/leagues/${leagueId}/auction`);
}

// The commissioner's chosen time, in their own time zone, sent with its offset.
async function schedule(form) {
  const value = form.elements.starts_at.value;
  if (!value) return tell("Choose a date and time first.", "error");
  const when = new Date(value);
  await api("PUT", `${base}/auction/schedule`, { starts_at: when.toISOString() });
  tell(`Scheduled: the auction starts by itself on ${when.toLocaleString()}. Members have been emailed.`);
}

async function clearSchedule() {
  await api("PUT", `${base}/auction/schedule`, { starts_at: null });
  tell("The start time is cleared. Start the auction when you're ready.");
}

async function rotateInvite() {
  if (!window.confirm("Make a new invite link? The old one stops working.")) return;
  const body = await api("POST", `${base}/invite-link/rotate`);
  document.getElementById("invite-link").value = body.invite_link;
  tell("Here's the new invite link. The old one no longer works.");
}

async function sendInvites(form) {
  const emails = form.elements.emails.value.split(/[\s,;]+/).filter(Boolean);
  if (!emails.length) return tell("Type at least one email address.", "error");
  const body = await api("POST", `${base}/invitations`, { emails });
  const refused = body.rejected.map((r) => `${r.email}: ${r.reason}`);
  form.elements.emails.value = body.rejected.map((r) => r.email).join("\n");
  tell(`Invitations sent: ${body.accepted.length}.${refused.length ? " Not sent: " + refused.join("; ") : ""}`,
    refused.length ? "error" : "notice");
}

async function saveSettings(form) {
  const { settings, invalid } = readSettings(form);
  if (invalid.length) return tell(`${invalid.join(", ")}: please use whole numbers.`, "error");
  await api("PATCH", base, { name: form.elements.name.value.trim(), ...settings });
  tell("Settings saved.");
}

function proxyItem(proxy) {
  const item = document.createElement("li");
  const amount = document.createElement("strong");
  amount.textContent = proxy.max_amount;
  const clear = document.createElement("button");
  clear.type = "button";
  clear.className = "link-button";
  clear.dataset.clearProxy = proxy.team_key;
  clear.textContent = "Clear";
  item.append(`${proxy.name}: up to `, amount, " ", clear);
  return item;
}

function showProxies(body) {
  document.getElementById("proxy-list").replaceChildren(...body.proxies.map(proxyItem));
}

async function saveProxy(form) {
  const amount = Number(form.elements.max_amount.value);
  if (!Number.isInteger(amount) || amount < 1) return tell("Type your maximum as a whole number.", "error");
  const team = form.elements.team_key.value;
  showProxies(await api("PUT", `${base}/proxies/${encodeURIComponent(team)}`, { max_amount: amount }));
  tell("Maximum saved. Only you can see it.");
}

async function clearProxy(button) {
  showProxies(await api("DELETE", `${base}/proxies/${encodeURIComponent(button.dataset.clearProxy)}`));
  tell("Maximum cleared.");
}

async function removeMember(button) {
  if (!window.confirm(`Remove ${button.dataset.name} from the league?`)) return;
  await api("DELETE", `${base}/members/${encodeURIComponent(button.dataset.removeMember)}`);
  button.closest("li").remove();
  tell(`${button.dataset.name} was removed.`);
}

async function leave() {
  if (!window.confirm("Leave this league?")) return;
  await api("POST", `${base}/leave`);
  window.location.assign("/leagues");
}

const CLICKS = [
  ["[data-copy]", copyField], ["#start-auction", startAuction], ["#rotate-invite", rotateInvite],
  ["#schedule-clear", clearSchedule],
  ["[data-clear-proxy]", clearProxy], ["[data-remove-member]", removeMember], ["#leave-league", leave],
];
const SUBMITS = { "invite-form": sendInvites, "settings-form": saveSettings, "proxy-form": saveProxy,
  "schedule-form": schedule };

root.addEventListener("click", (event) => {
  for (const [selector, action] of CLICKS) {
    const target = event.target.closest(selector);
    if (target) {
      busy(target, () => action(target)).catch(failed);
      return;
    }
  }
});

root.addEventListener("submit", (event) => {
  const action = SUBMITS[event.target.id];
  if (!action) return;
  event.preventDefault();
  const button = event.target.querySelector('button[type="submit"]');
  busy(button, () => action(event.target)).catch(failed);
});

watchLeague(leagueId, root.dataset.status, root.dataset.startsAt);
